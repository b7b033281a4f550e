import { z } from 'zod';
import type { SupplierHistory } from '../ports.js';
import { normalizeIban } from './keys.js';

/**
 * Running statistics of one supplier's invoices, updated once per invoice in the same transaction that moves it
 * to FEATURES_DONE: the supplier history of the next invoice is one read, however many came before (the
 * alternative, a scan of every earlier invoice of the supplier per invoice, is O(n) reads each and O(n^2) in all).
 */
export const SupplierStatsSchema = z.object({
  /** Invoices counted. */
  count: z.number().int().nonnegative(),
  /** Of which with a total: Welford's running mean and sum of squared deviations of ln(1 + max(total, 0)). */
  amounts: z.number().int().nonnegative(),
  meanLogAmount: z.number(),
  m2LogAmount: z.number().nonnegative(),
  lastInvoiceDate: z.string().optional(),
  /** Distinct IBANs seen (electronic format), at most {@link MAX_IBANS}. */
  ibans: z.array(z.string()),
});
export type SupplierStats = z.infer<typeof SupplierStatsSchema>;

/** A supplier with more IBANs than this is unusual already; the list only has to answer "seen before?". */
export const MAX_IBANS = 50;

export const EMPTY_SUPPLIER_STATS: SupplierStats = { count: 0, amounts: 0, meanLogAmount: 0, m2LogAmount: 0, ibans: [] };

export interface SupplierObservation {
  total?: number | undefined;
  invoiceDate?: string | undefined;
  iban?: string | undefined;
}

/** `stats` with one more invoice. Pure. */
export function addToSupplierStats(stats: SupplierStats, obs: SupplierObservation): SupplierStats {
  let { amounts, meanLogAmount, m2LogAmount } = stats;
  if (obs.total !== undefined && Number.isFinite(obs.total)) {
    const x = Math.log1p(Math.max(obs.total, 0));
    amounts += 1;
    const delta = x - meanLogAmount;
    meanLogAmount += delta / amounts;
    m2LogAmount += delta * (x - meanLogAmount);
  }
  const iban = normalizeIban(obs.iban);
  const ibans = iban && !stats.ibans.includes(iban) && stats.ibans.length < MAX_IBANS ? [...stats.ibans, iban] : stats.ibans;
  const lastInvoiceDate =
    obs.invoiceDate !== undefined && (stats.lastInvoiceDate === undefined || obs.invoiceDate > stats.lastInvoiceDate)
      ? obs.invoiceDate
      : stats.lastInvoiceDate;
  return { count: stats.count + 1, amounts, meanLogAmount, m2LogAmount: Math.max(0, m2LogAmount), lastInvoiceDate, ibans };
}

/** The supplier history features read, from the stats of the invoices counted so far. */
export function supplierHistoryOf(stats: SupplierStats, iban?: string): SupplierHistory {
  const wanted = normalizeIban(iban);
  return {
    count: stats.count,
    meanLogAmount: stats.amounts > 0 ? stats.meanLogAmount : 0,
    stdLogAmount: stats.amounts > 0 ? Math.sqrt(stats.m2LogAmount / stats.amounts) : 0,
    lastInvoiceDate: stats.lastInvoiceDate,
    distinctIbans: stats.ibans.length,
    ibanSeenBefore: wanted !== null && stats.ibans.includes(wanted),
  };
}

/** What an invoice record contributes to its supplier's stats. */
export function supplierObservation(record: { invoice?: { fields: Record<string, { value: unknown } | undefined> } | undefined }): SupplierObservation {
  const f = record.invoice?.fields;
  const value = <T>(name: string, type: 'number' | 'string'): T | undefined => {
    const v = f?.[name]?.value;
    return typeof v === type ? (v as T) : undefined;
  };
  return { total: value<number>('total_amount', 'number'), invoiceDate: value<string>('invoice_date', 'string'), iban: value<string>('supplier_iban', 'string') };
}

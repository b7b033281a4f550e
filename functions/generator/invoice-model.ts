import { addDays, LABELS } from './locale.js';
import { invoiceNumber, type Party, type Supplier } from './parties.js';
import type { Rng } from './rng.js';
import type { Problem } from './schemas.js';

/** Header fields a "missing field" problem can leave off the page. */
export type OmittableField = 'invoice_id' | 'invoice_date' | 'total_amount';

export interface LineModel {
  product_code?: string;
  description: string;
  quantity: number;
  /** Cents. */
  unitCents: number;
  /** Cents as printed (differs from quantity x unit price only under a line-sum-mismatch problem). */
  amountCents: number;
  taxRate: number;
}

export interface VatModel {
  taxRate: number;
  baseCents: number;
  taxCents: number;
}

/**
 * Everything printed on one invoice, in integer cents so that net, tax and total agree to the cent.
 * Problems mutate the model (what is printed); the truth is derived from it afterwards.
 */
export interface InvoiceModel {
  supplier: Supplier;
  receiver: Party;
  seq: number;
  invoiceId: string;
  issueDate: string;
  dueDate: string;
  purchaseOrder?: string;
  customerNo: string;
  lines: LineModel[];
  vat: VatModel[];
  netCents: number;
  taxCents: number;
  totalCents: number;
  prepaidCents: number;
  /** VAT id / EIN and IBAN as printed (possibly corrupted by a problem). */
  supplierTaxId: string;
  iban?: string;
  paymentTerms: string;
  omit: Set<OmittableField>;
  problems: Problem[];
  /** Printed on re-sent copies ("COPY", "KOPIE", "DUPLICATA"). */
  stamp?: string;
}

export const cents = (units: number): number => Math.round(units * 100);
export const units = (c: number): number => Math.round(c) / 100;

/** Rounds half away from zero: VAT = base x rate, with rate given in percent (e.g. 5.5). */
export function taxOf(baseCents: number, rate: number): number {
  const bp = Math.round(rate * 100);
  const sign = baseCents < 0 ? -1 : 1;
  return sign * Math.floor((Math.abs(baseCents) * bp + 5000) / 10000);
}

/** Recomputes VAT lines and totals from the correct line amounts (quantity x unit price). */
export function recomputeTotals(model: InvoiceModel): void {
  const byRate = new Map<number, number>();
  for (const line of model.lines) {
    const correct = Math.round(line.quantity * line.unitCents);
    byRate.set(line.taxRate, (byRate.get(line.taxRate) ?? 0) + correct);
  }
  model.vat = [...byRate.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([taxRate, baseCents]) => ({ taxRate, baseCents, taxCents: taxOf(baseCents, taxRate) }));
  model.netCents = model.vat.reduce((s, v) => s + v.baseCents, 0);
  model.taxCents = model.vat.reduce((s, v) => s + v.taxCents, 0);
  model.totalCents = model.netCents + model.taxCents;
}

export interface BuildInvoiceInput {
  supplier: Supplier;
  receiver: Party;
  seq: number;
  issueDate: string;
  /** Net amount to aim at, in currency units (lines are drawn to add up to about this). */
  targetNet: number;
}

/** A fresh, consistent invoice. Pure given `rng`. */
export function buildInvoice(rng: Rng, input: BuildInvoiceInput): InvoiceModel {
  const { supplier, receiver, seq, issueDate, targetNet } = input;
  const lineCount = rng.weighted({ 1: 3, 2: 4, 3: 4, 4: 3, 5: 2, 6: 2, 7: 1, 8: 1, 9: 1, 10: 0.5, 11: 0.5, 12: 0.5 });
  const n = Number(lineCount);
  const mixedRates = supplier.vatRates.length > 1 && rng.chance(0.25);
  const weights = Array.from({ length: n }, () => rng.float(0.2, 1));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const lines: LineModel[] = weights.map((w, i) => {
    const item = rng.pick(supplier.catalog);
    const lineTarget = Math.max(1, (targetNet * w) / weightSum);
    const quantity = item.fractional
      ? Math.min(200, Math.max(0.5, Math.round((lineTarget / item.unitPrice) * 2) / 2))
      : Math.min(500, Math.max(1, Math.round(lineTarget / item.unitPrice)));
    const unitCents = Math.max(1, Math.round((lineTarget / quantity) * 100));
    const taxRate = mixedRates && i > 0 && rng.chance(0.5) ? supplier.vatRates[1]! : supplier.vatRates[0]!;
    return {
      product_code: rng.chance(0.7) ? item.code : undefined,
      description: item.description,
      quantity,
      unitCents,
      amountCents: Math.round(quantity * unitCents),
      taxRate,
    };
  });
  const labels = LABELS[supplier.language];
  const model: InvoiceModel = {
    supplier,
    receiver,
    seq,
    invoiceId: invoiceNumber(supplier.numberPattern, issueDate, seq),
    issueDate,
    dueDate: addDays(issueDate, supplier.termsDays),
    purchaseOrder: rng.chance(0.4) ? (rng.chance(0.5) ? `PO-${rng.digits(6)}` : `4500${rng.digits(6)}`) : undefined,
    customerNo: `${rng.int(10000, 99999)}`,
    lines,
    vat: [],
    netCents: 0,
    taxCents: 0,
    totalCents: 0,
    prepaidCents: 0,
    supplierTaxId: supplier.taxId,
    iban: supplier.iban,
    paymentTerms: labels.termsText(supplier.termsDays),
    omit: new Set(),
    problems: [],
  };
  recomputeTotals(model);
  if (rng.chance(0.05)) model.prepaidCents = Math.round(model.totalCents * rng.pick([0.2, 0.3, 0.5]));
  return model;
}

/** Printed total; differs from net + tax only under a total-mismatch problem. */
export function printedTotalCents(model: InvoiceModel): number {
  const p = model.problems.find((x) => x.type === 'total-mismatch');
  return p ? cents(Number(p.details.printed)) : model.totalCents;
}

export function amountDueCents(model: InvoiceModel): number {
  return printedTotalCents(model) - model.prepaidCents;
}

/** A copy that shares nothing mutable with the original. */
export function cloneModel(model: InvoiceModel): InvoiceModel {
  return {
    ...model,
    lines: model.lines.map((l) => ({ ...l })),
    vat: model.vat.map((v) => ({ ...v })),
    omit: new Set(model.omit),
    problems: model.problems.map((p) => ({ ...p, details: { ...p.details } })),
  };
}

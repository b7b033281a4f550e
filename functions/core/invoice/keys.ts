import type { NearDuplicateQuery } from '../ports.js';
import type { Invoice } from './invoice.js';

/**
 * Keys for the duplicate index and supplier history. They must be stable across OCR noise that does not change
 * identity (case, accents, spacing, punctuation, the legal form printed or not), so two readings of the same
 * supplier or invoice number land on the same key.
 */

/**
 * Legal-form suffixes dropped from supplier names (compared after dots are removed and case folded).
 * Only trailing tokens are removed: a leading "SAS" (as in "SAS Institute") is part of the name.
 */
const LEGAL_FORMS = new Set([
  // German-speaking
  'gmbh', 'ag', 'kg', 'kgaa', 'ohg', 'ug', 'gbr', 'ek', 'ev', 'mbh', 'se', 'co',
  // French-speaking
  'sarl', 'sas', 'sasu', 'sa', 'eurl', 'sci', 'snc', 'scs',
  // English-speaking
  'ltd', 'limited', 'inc', 'incorporated', 'llc', 'llp', 'lp', 'plc', 'corp', 'corporation', 'company', 'pvt',
  // Benelux, Italy, Spain, Nordics, Poland
  'bv', 'nv', 'vof', 'srl', 'spa', 'sl', 'ab', 'as', 'asa', 'oy', 'oyj', 'aps', 'sp', 'zoo',
]);

/**
 * Upper-cased, alphanumerics only: `de 136.695.976` -> `DE136695976`. The Swiss register suffix
 * (`CHE-116.281.710 MWST` / TVA / IVA) is printed or not and does not change the identity: it is dropped.
 */
export function normalizeTaxId(raw: string): string {
  const compact = foldAccents(raw).toUpperCase().replace(/[^A-Z0-9]/g, '');
  return compact.startsWith('CHE') ? compact.replace(/(MWST|TVA|IVA)$/, '') : compact;
}

/** Case-, accent- and punctuation-folded supplier name without trailing legal-form tokens. */
export function normalizeSupplierName(raw: string): string {
  const tokens = foldAccents(raw)
    .toLowerCase()
    .replace(/&/g, ' ')
    // Dots and apostrophes join letters ("S.A.R.L." -> "sarl", "L'Oréal" -> "loreal"); other punctuation splits.
    .replace(/[.'’`]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((t) => t.length > 0);
  while (tokens.length > 1 && LEGAL_FORMS.has(tokens[tokens.length - 1]!)) tokens.pop();
  return tokens.join(' ');
}

/** Invoice number folded to upper-case alphanumerics: `inv-2024/0042` -> `INV20240042`. */
export function normalizeInvoiceNumber(raw: string): string {
  return foldAccents(raw).toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * The supplier's identity: `vat:<normalized tax id>` when a tax id was read, else `name:<normalized name>`;
 * undefined when neither yields anything. Never throws.
 */
export function supplierKey(invoice: Invoice): string | undefined {
  const taxId = invoice.fields.supplier_tax_id?.value;
  if (taxId !== undefined) {
    const normalized = normalizeTaxId(taxId);
    // A handful of characters is an OCR fragment, not an identifier: fall back to the name.
    if (normalized.length >= 5) return `vat:${normalized}`;
  }
  const name = invoice.fields.supplier_name?.value;
  if (name !== undefined) {
    const normalized = normalizeSupplierName(name);
    if (normalized.length > 0) return `name:${normalized}`;
  }
  return undefined;
}

/** `supplierKey|normalized invoice number`; undefined when either part is missing. Never throws. */
export function businessKey(invoice: Invoice): string | undefined {
  const supplier = supplierKey(invoice);
  const number = invoice.fields.invoice_id?.value;
  if (supplier === undefined || number === undefined) return undefined;
  const normalized = normalizeInvoiceNumber(number);
  return normalized.length > 0 ? `${supplier}|${normalized}` : undefined;
}

export interface NearDuplicateOptions {
  /** Relative amount tolerance (0.01 = within 1 %). */
  amountTolerance?: number;
  /** Days either side of the invoice date. */
  windowDays?: number;
}

export interface NearDuplicateWindow {
  minAmount: number;
  maxAmount: number;
  /** ISO dates (YYYY-MM-DD), inclusive. */
  dateFrom: string;
  dateTo: string;
}

/**
 * The amount and date window in which another invoice of the same supplier counts as a near duplicate:
 * total within `amountTolerance` (default 1 %) and invoice date within `windowDays` (default 30).
 * Undefined without a total or an invoice date. Credit notes (negative totals) give a negative range with
 * `minAmount <= maxAmount`. Throws RangeError for a negative tolerance or window.
 */
export function nearDuplicateWindow(invoice: Invoice, options: NearDuplicateOptions = {}): NearDuplicateWindow | undefined {
  const tolerance = options.amountTolerance ?? 0.01;
  const windowDays = options.windowDays ?? 30;
  if (!(tolerance >= 0) || !(windowDays >= 0)) throw new RangeError('tolerance and window must be non-negative');
  const total = invoice.fields.total_amount?.value;
  const date = invoice.fields.invoice_date?.value;
  if (total === undefined || date === undefined) return undefined;
  const day = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(day)) return undefined;
  const a = total * (1 - tolerance);
  const b = total * (1 + tolerance);
  const dayMs = 86_400_000;
  return {
    minAmount: Math.min(a, b),
    maxAmount: Math.max(a, b),
    dateFrom: isoDay(day - windowDays * dayMs),
    dateTo: isoDay(day + windowDays * dayMs),
  };
}

/**
 * The {@link NearDuplicateQuery} for `InvoiceStore.findNearDuplicates`; undefined when the invoice has no
 * supplier key, total or date (nothing to compare on).
 */
export function nearDuplicateQuery(
  invoice: Invoice,
  invoiceId: string,
  options: NearDuplicateOptions = {},
): NearDuplicateQuery | undefined {
  const supplier = supplierKey(invoice);
  const window = nearDuplicateWindow(invoice, options);
  if (supplier === undefined || window === undefined) return undefined;
  return { supplierKey: supplier, currency: invoice.fields.currency?.value, ...window, excludeInvoiceId: invoiceId };
}

function foldAccents(s: string): string {
  // NFKD splits "é" into "e" + combining mark and "ﬁ" into "fi"; ß has no decomposition.
  return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/ß/g, 'ss');
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** IBANs compare in electronic format (no spaces, upper case), whatever way they were printed; null if empty. */
export function normalizeIban(iban: string | undefined): string | null {
  const compact = iban?.replace(/\s+/g, '').toUpperCase();
  return compact ? compact : null;
}

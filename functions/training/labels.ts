/**
 * Honest labels: what the pipeline extracted, compared with the generator's ground truth.
 *
 * quality = 1 when every key field the document prints was extracted correctly (and nothing was invented for a
 *   key field it does not print). Key fields: invoice_id, invoice_date, supplier_name, currency, net_amount,
 *   total_tax_amount, total_amount. Comparison: ids on letters and digits only, dates as ISO strings, currencies
 *   as codes, amounts to the cent, supplier names after normalization (legal forms, case and punctuation
 *   ignored; one contains the other). A key field the truth omits (an injected missing-field problem) counts as
 *   correct when it is absent or derived from other fields, wrong when a value was read from the page.
 * failure = 1 when the invoice would fail or need intervention downstream, any of:
 *   - a blocking problem was injected: missing field, line-sum or total mismatch, invalid VAT id or IBAN,
 *     future date, due date before issue date, exact or business duplicate;
 *   - a wrong amount: total_amount or amount_due extracted but different from the truth;
 *   - a missing required field: invoice_id, invoice_date, supplier_name, currency or total_amount not extracted;
 *   - a blocking error: a failed validation of severity error on the record.
 *   Near duplicates and unusual amounts are not failures (legitimate invoices; the anomaly model's job).
 * A reviewed decision (from the review queue) overrides either label.
 */
import type { InvoiceRecord } from '../core/invoice/record.js';
import type { Field, HeaderFieldName } from '../core/invoice/invoice.js';
import type { ManifestEntry, ProblemType } from '../generator/index.js';

export const QUALITY_KEY_FIELDS = [
  'invoice_id', 'invoice_date', 'supplier_name', 'currency', 'net_amount', 'total_tax_amount', 'total_amount',
] as const satisfies readonly HeaderFieldName[];
export const REQUIRED_FIELDS = ['invoice_id', 'invoice_date', 'supplier_name', 'currency', 'total_amount'] as const satisfies readonly HeaderFieldName[];
export const BLOCKING_PROBLEMS: readonly ProblemType[] = [
  'missing-field', 'line-sum-mismatch', 'total-mismatch', 'invalid-vat-id', 'invalid-iban', 'future-date',
  'due-before-issue', 'exact-duplicate', 'business-duplicate',
];
const AMOUNT_FIELDS = new Set<string>(['net_amount', 'total_tax_amount', 'total_amount', 'amount_due']);

/** A human decision from the review queue; each given label wins over the derived one. */
export interface ReviewedLabel {
  quality?: boolean;
  failure?: boolean;
}

export interface DerivedLabels {
  quality: 0 | 1;
  failure: 0 | 1;
  /** Machine-readable causes (field and problem names only, never values), for slicing and audits. */
  reasons: string[];
  source: 'truth' | 'review';
}

const LEGAL_FORMS = /\b(?:gmbh|ag|kg|co|bv|nv|inc|ltd|limited|llc|plc|sas|sarl|sa|spa|srl|sl|corp|company|ug|ohg|eurl|snc)\b/g;

/** Letters and digits only, lower case: printed "# INV-1" equals "inv1". */
export function normalizeId(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\d]/gu, '');
}

export function normalizeName(s: string): string {
  return s.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\p{L}\d\s]/gu, ' ')
    .replace(LEGAL_FORMS, ' ').replace(/\s+/g, ' ').trim();
}

/** Whether an extracted header value equals the truth under the comparison rules above. */
export function valueMatches(field: string, extracted: string | number, truth: string | number): boolean {
  if (AMOUNT_FIELDS.has(field)) return Math.abs(Number(extracted) - Number(truth)) < 0.005;
  if (field === 'invoice_id' || field === 'supplier_tax_id' || field === 'supplier_iban') {
    return normalizeId(String(extracted)) === normalizeId(String(truth));
  }
  if (field === 'supplier_name' || field === 'receiver_name') {
    const e = normalizeName(String(extracted));
    const t = normalizeName(String(truth));
    return e.length > 0 && t.length > 0 && (` ${e} `.includes(` ${t} `) || ` ${t} `.includes(` ${e} `));
  }
  return String(extracted).toUpperCase() === String(truth).toUpperCase();
}

/** Whether one key field was extracted correctly (see the module comment for a field the truth omits). */
export function fieldCorrect(field: HeaderFieldName, extracted: Field | undefined, truth: string | number | undefined): boolean {
  if (truth === undefined) return extracted === undefined || extracted.source === 'derived';
  return extracted !== undefined && valueMatches(field, extracted.value, truth);
}

/**
 * Derives the labels of one processed document. Returns null when there is nothing to learn from: a document
 * without truth (a bad file) or a record without features (rejected before feature extraction).
 */
export function deriveLabels(record: InvoiceRecord, entry: ManifestEntry, review?: ReviewedLabel): DerivedLabels | null {
  if (!entry.truth || !record.invoice || !record.features) return null;
  const fields = record.invoice.fields;
  const truth = entry.truth.fields as Partial<Record<HeaderFieldName, string | number>>;
  const reasons: string[] = [];

  let quality: 0 | 1 = 1;
  for (const f of QUALITY_KEY_FIELDS) {
    if (!fieldCorrect(f, fields[f], truth[f])) {
      quality = 0;
      reasons.push(`wrong:${f}`);
    }
  }

  let failure: 0 | 1 = 0;
  for (const p of entry.problems) {
    if (BLOCKING_PROBLEMS.includes(p.type)) {
      failure = 1;
      reasons.push(`problem:${p.type}`);
    }
  }
  for (const f of ['total_amount', 'amount_due'] as const) {
    const e = fields[f];
    const t = truth[f];
    if (e !== undefined && t !== undefined && !valueMatches(f, e.value, t)) {
      failure = 1;
      reasons.push(`wrong-amount:${f}`);
    }
  }
  for (const f of REQUIRED_FIELDS) {
    if (fields[f] === undefined) {
      failure = 1;
      reasons.push(`missing:${f}`);
    }
  }
  for (const v of record.validations ?? []) {
    if (!v.passed && v.severity === 'error') {
      failure = 1;
      reasons.push(`error:${v.code}`);
    }
  }

  return applyReview({ quality, failure, reasons: [...new Set(reasons)], source: 'truth' }, review);
}

/** A reviewer's decision overrides the derived labels it states (and only those); the row is then `review`-sourced. */
export function applyReview(labels: DerivedLabels, review: ReviewedLabel | undefined): DerivedLabels {
  if (!review || (review.quality === undefined && review.failure === undefined)) return labels;
  return {
    quality: review.quality === undefined ? labels.quality : review.quality ? 1 : 0,
    failure: review.failure === undefined ? labels.failure : review.failure ? 1 : 0,
    reasons: [...labels.reasons.filter((r) => r !== 'reviewed'), 'reviewed'],
    source: 'review',
  };
}

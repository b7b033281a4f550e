import { z } from 'zod';
import type { HeaderFieldName } from '../invoice/invoice.js';
import type { PageQuality } from '../ocr-document.js';
import { isCreditNote } from '../validation/arithmetic.js';
import { ValidationCodes as C, ValidationGroups as G } from '../validation/codes.js';
import type { FeatureInput } from './input.js';

export type { FeatureInput } from './input.js';
import { CORE_KEY_FIELDS, prepare, type Prepared } from './prepared.js';
import { daysBetween, flag, max, mean, min, percentile, ratio, shareBelow } from './stats.js';

/**
 * The feature schema: names, order and meaning of the vector every model is trained and served on.
 *
 * Versioning rule: any change to the set, the order, or the computation/meaning of a feature (including a
 * threshold such as LOW_CONFIDENCE) is a new version (`inv-features-v2`, ...). Models record the version they
 * were trained on and must not be served a vector of another version; stored vectors keep their version.
 *
 * Missing values: a feature whose inputs are absent is NaN (never 0 in disguise): no token confidences for an
 * e-invoice, no image quality for a text layer, no amount z-score for a new supplier. Models handle NaN
 * natively (the GBDT learns a missing direction, logistic regression imputes the training mean). JSON has no
 * NaN: messages and stored records carry missing values as null.
 */
export const FEATURE_SCHEMA_VERSION = 'inv-features-v2';

export const FeatureKindSchema = z.enum(['numeric', 'binary', 'count']);
export const FeatureGroupSchema = z.enum([
  'ocr', 'image', 'layout', 'fields', 'extraction', 'validation', 'amounts', 'history', 'duplicates', 'dates',
]);
export type FeatureKind = z.infer<typeof FeatureKindSchema>;
export type FeatureGroup = z.infer<typeof FeatureGroupSchema>;

export interface FeatureDefinition {
  name: string;
  /** One line. */
  description: string;
  kind: FeatureKind;
  group: FeatureGroup;
}

/** Tokens below this confidence count as low-confidence. */
export const LOW_CONFIDENCE = 0.6;
/** Floor of the supplier's log-amount standard deviation, so two equal invoices do not make every change infinite. */
const MIN_LOG_STD = 0.05;

type Computed = FeatureDefinition & { compute: (p: Prepared) => number };

const def = (name: string, kind: FeatureKind, group: FeatureGroup, description: string, compute: (p: Prepared) => number): Computed =>
  ({ name, kind, group, description, compute });

const PRESENCE_FIELDS: readonly HeaderFieldName[] = [
  'invoice_id', 'invoice_date', 'due_date', 'supplier_name', 'supplier_tax_id', 'supplier_iban', 'currency',
  'net_amount', 'total_tax_amount', 'total_amount',
];
const CONFIDENCE_FIELDS: readonly HeaderFieldName[] = ['invoice_id', 'invoice_date', 'supplier_name', 'total_amount'];

const total = (p: Prepared) => p.invoice.fields.total_amount?.value;
const logTotal = (p: Prepared) => {
  const t = total(p);
  return t === undefined ? Number.NaN : Math.log1p(Math.abs(t));
};
/** One image measure over the pages that have measures (Document AI reports a score, not these). */
const measured = (p: Prepared, pick: (q: PageQuality) => number): number[] => p.qualities.map(pick);
const perPage = (x: number, p: Prepared) => (p.pageCount === 0 ? Number.NaN : x / p.pageCount);

const DEFINITIONS: readonly Computed[] = [
  // OCR confidence statistics
  def('ocr_conf_mean', 'numeric', 'ocr', 'Mean token confidence (1 for text layers)', (p) => mean(p.confidences)),
  def('ocr_conf_p10', 'numeric', 'ocr', '10th percentile of token confidence', (p) => percentile(p.confidences, 0.1)),
  def('ocr_conf_min', 'numeric', 'ocr', 'Lowest token confidence', (p) => min(p.confidences)),
  def('ocr_low_conf_share', 'numeric', 'ocr', `Share of tokens with confidence below ${LOW_CONFIDENCE}`, (p) => shareBelow(p.confidences, LOW_CONFIDENCE)),
  def('ocr_token_count', 'count', 'ocr', 'Number of tokens read', (p) => p.tokenCount),
  // Image quality (NaN when no page has a measured quality: text layers, e-invoices)
  def('is_scanned', 'binary', 'image', 'Some page was read from an image (OCR, or an image quality was measured or reported)', (p) =>
    flag(p.doc.pages.some((pg) => pg.textSource === 'ocr' || pg.quality !== null || pg.reportedQuality !== undefined))),
  def('img_quality_min', 'numeric', 'image', 'Lowest combined page quality score (0..1)', (p) => min(p.qualityScores)),
  def('img_quality_mean', 'numeric', 'image', 'Mean combined page quality score (0..1)', (p) => mean(p.qualityScores)),
  def('img_blur_log_min', 'numeric', 'image', 'ln(1 + lowest Laplacian variance); low = blurred', (p) => Math.log1p(min(measured(p, (q) => q.blurVariance)))),
  def('img_skew_abs_max', 'numeric', 'image', 'Largest absolute page skew in degrees', (p) => max(measured(p, (q) => q.skewDegrees).map(Math.abs))),
  def('img_dpi_min', 'numeric', 'image', 'Lowest effective resolution in dpi', (p) => min(measured(p, (q) => q.effectiveDpi))),
  def('img_contrast_min', 'numeric', 'image', 'Lowest RMS contrast (0..1)', (p) => min(measured(p, (q) => q.contrast))),
  // Pages and text density
  def('page_count', 'count', 'layout', 'Number of pages', (p) => p.pageCount),
  def('chars_per_page', 'numeric', 'layout', 'Non-whitespace characters per page', (p) => perPage(p.charCount, p)),
  def('lines_per_page', 'numeric', 'layout', 'Text lines per page', (p) => perPage(p.lineCount, p)),
  def('file_kb_per_page', 'numeric', 'layout', 'File size in KiB per page', (p) => perPage(p.fileSizeBytes / 1024, p)),
  // Field presence and confidence
  ...PRESENCE_FIELDS.map((name) =>
    def(`has_${name}`, 'binary', 'fields', `The ${name} field was extracted`, (p) => flag(p.invoice.fields[name] !== undefined))),
  ...CONFIDENCE_FIELDS.map((name) =>
    def(`conf_${name}`, 'numeric', 'fields', `Extraction confidence of ${name} (NaN when absent)`, (p) => p.invoice.fields[name]?.confidence ?? Number.NaN)),
  def('key_fields_present_share', 'numeric', 'fields', `Share of the key fields present (${CORE_KEY_FIELDS.join(', ')})`, (p) =>
    p.keyConfidences.length / CORE_KEY_FIELDS.length),
  def('key_fields_conf_mean', 'numeric', 'fields', 'Mean confidence of the present key fields', (p) => mean(p.keyConfidences)),
  def('key_fields_conf_min', 'numeric', 'fields', 'Lowest confidence of the present key fields', (p) => min(p.keyConfidences)),
  // Extraction method
  def('is_einvoice', 'binary', 'extraction', 'Fields came from embedded e-invoice XML (CII/UBL)', (p) => flag(p.invoice.extraction.method === 'einvoice')),
  def('extraction_warning_count', 'count', 'extraction', 'Warnings raised by the field extractor', (p) => p.invoice.extraction.warnings.length),
  def('date_order_ambiguous', 'binary', 'extraction', 'Numeric dates could be read as DMY or MDY', (p) => flag(p.invoice.extraction.dateOrderEvidence === 'ambiguous')),
  // Validation outcomes (flags: 1 all ran checks passed, 0 one failed, NaN none could run)
  def('val_error_count', 'count', 'validation', 'Failed validations of severity error', (p) => p.failedCount('error')),
  def('val_warning_count', 'count', 'validation', 'Failed validations of severity warning', (p) => p.failedCount('warning')),
  def('val_skipped_count', 'count', 'validation', 'Validations skipped for missing inputs', (p) => p.validations.filter((v) => v.details.skipped === true).length),
  def('val_required_ok', 'binary', 'validation', 'All required fields present', (p) => flag(p.allPassed((c) => c === C.requiredFields))),
  def('val_arith_ok', 'binary', 'validation', 'All arithmetic checks that could run passed', (p) => flag(p.allPassed((c) => c.startsWith(G.arithmetic)))),
  def('val_dates_ok', 'binary', 'validation', 'All date checks that could run passed', (p) => flag(p.allPassed((c) => c.startsWith(G.dates)))),
  def('val_vat_id_valid', 'binary', 'validation', 'Supplier VAT id format and check digits valid', (p) => flag(p.allPassed((c) => c === C.supplierVatId))),
  def('val_iban_valid', 'binary', 'validation', 'Supplier IBAN valid', (p) => flag(p.allPassed((c) => c === C.iban))),
  def('val_currency_ok', 'binary', 'validation', 'Currency is ISO 4217 and consistent with the amounts', (p) => flag(p.allPassed((c) => c.startsWith(G.currency)))),
  // Amounts
  def('log_total', 'numeric', 'amounts', 'ln(1 + |total_amount|)', logTotal),
  def('tax_rate_effective', 'numeric', 'amounts', 'total_tax_amount / net_amount (fraction)', (p) =>
    ratio(p.invoice.fields.total_tax_amount?.value, p.invoice.fields.net_amount?.value)),
  def('line_item_count', 'count', 'amounts', 'Number of line items', (p) => p.invoice.line_items.length),
  def('vat_line_count', 'count', 'amounts', 'Number of VAT breakdown lines', (p) => p.invoice.vat.length),
  def('amount_due_ratio', 'numeric', 'amounts', 'amount_due / total_amount', (p) => ratio(p.invoice.fields.amount_due?.value, total(p))),
  def('is_credit_note', 'binary', 'amounts', 'Credit note (declared, or negative total)', (p) => flag(isCreditNote(p.invoice))),
  // Supplier history
  def('supplier_invoice_count', 'count', 'history', 'Invoices of this supplier processed before', (p) => p.history.count),
  def('supplier_amount_z', 'numeric', 'history', 'z-score of ln(1 + |total|) against the supplier (NaN below 2 invoices)', (p) =>
    p.history.count < 2 ? Number.NaN : (logTotal(p) - p.history.meanLogAmount) / Math.max(p.history.stdLogAmount, MIN_LOG_STD)),
  def('supplier_days_since_last', 'numeric', 'history', 'Days from the supplier\'s previous invoice date to this one', (p) =>
    daysBetween(p.history.lastInvoiceDate, p.invoice.fields.invoice_date?.value)),
  def('supplier_new_iban', 'binary', 'history', 'Known supplier, IBAN never seen for it before', (p) =>
    flag(p.history.count > 0 && p.invoice.fields.supplier_iban !== undefined && !p.history.ibanSeenBefore)),
  def('supplier_distinct_ibans', 'count', 'history', 'Distinct IBANs seen for this supplier', (p) => p.history.distinctIbans),
  // Duplicate signals
  def('dup_content_hash_count', 'count', 'duplicates', 'Earlier files with the same content hash', (p) => p.duplicates.contentHash),
  def('dup_business_key_count', 'count', 'duplicates', 'Earlier invoices with the same supplier and number', (p) => p.duplicates.businessKey),
  def('dup_near_count', 'count', 'duplicates', 'Earlier invoices of the supplier with a close amount and date', (p) => p.duplicates.near),
  // Date gaps
  def('days_invoice_to_due', 'numeric', 'dates', 'Days from invoice_date to due_date', (p) =>
    daysBetween(p.invoice.fields.invoice_date?.value, p.invoice.fields.due_date?.value)),
  def('days_invoice_to_now', 'numeric', 'dates', 'Age of the invoice in days at processing time', (p) => daysBetween(p.invoice.fields.invoice_date?.value, p.now)),
];

/** The schema without its computations, in vector order. */
export const FEATURE_SCHEMA: readonly FeatureDefinition[] = DEFINITIONS.map(({ name, description, kind, group }) => ({ name, description, kind, group }));
export const FEATURE_NAMES: readonly string[] = FEATURE_SCHEMA.map((f) => f.name);

/**
 * Computes the feature vector: exactly {@link FEATURE_NAMES}, in that order (object key order), with NaN for
 * missing values and no infinities (a computation that yields one is reported as NaN). Pure; never throws.
 */
export function computeFeatures(input: FeatureInput): Record<string, number> {
  const prepared = prepare(input);
  const out: Record<string, number> = {};
  for (const d of DEFINITIONS) {
    const v = d.compute(prepared);
    out[d.name] = Number.isFinite(v) ? v : Number.NaN;
  }
  return out;
}

/** The vector as an array in schema order (model input); absent names become NaN. */
export function featureArray(features: Record<string, number>): number[] {
  return FEATURE_NAMES.map((n) => features[n] ?? Number.NaN);
}

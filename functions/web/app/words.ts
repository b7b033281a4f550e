/** Plain words for what the pipeline records: reason codes, features, scores, for people who are not engineers. */

const REASONS: Record<string, string> = {
  ALL_CHECKS_PASSED: 'All checks passed',
  HIGH_ANOMALY: 'Unusual for this supplier',
  HIGH_FAILURE_RISK: 'Likely to cause a payment problem',
  LOW_FIELD_CONFIDENCE: 'Some fields were hard to read',
  LOW_MODEL_QUALITY: 'The reading looks unreliable',
  LOW_RULE_QUALITY: 'Several checks did not pass',
  MODEL_SCORE_UNAVAILABLE: 'No model score',
  NO_MODELS: 'Decided by rules only',
  DUP_NEAR: 'Looks like an earlier invoice',
  DUP_CONTENT_HASH: 'Same file as an earlier one',
  DUP_BUSINESS_KEY: 'Same supplier and number as an earlier one',
};

/** A reason code in words (unknown codes: the code, made readable). */
export function reasonText(code: string): string {
  return REASONS[code] ?? code.toLowerCase().replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

const FEATURES: Array<[RegExp, string]> = [
  [/^ocr_conf_|^ocr_low_conf/, 'how clearly the text could be read'],
  [/^ocr_token_count$/, 'how much text was found'],
  [/^is_scanned$/, 'whether it is a scan'],
  [/^img_quality/, 'the quality of the scan'],
  [/^img_blur/, 'how sharp the scan is'],
  [/^img_skew/, 'how crooked the scan is'],
  [/^img_dpi/, 'the resolution of the scan'],
  [/^img_contrast/, 'the contrast of the scan'],
  [/^page_count$/, 'the number of pages'],
  [/^(chars|lines)_per_page$/, 'how much text is on each page'],
  [/^file_kb_per_page$/, 'the file size'],
  [/^key_fields_present/, 'whether the key fields were found'],
  [/^key_fields_conf/, 'how sure the reading of the key fields is'],
  [/^is_einvoice$/, 'whether it came as an e-invoice'],
  [/^extraction_warning/, 'problems while reading the fields'],
  [/^date_order_ambiguous$/, 'dates that could be read two ways'],
  [/^val_error_count$/, 'failed checks'],
  [/^val_warning_count$/, 'checks with warnings'],
  [/^val_skipped_count$/, 'checks that could not run'],
  [/^val_required_ok$/, 'whether all required fields are there'],
  [/^val_arith_ok$/, 'whether the amounts add up'],
  [/^val_dates_ok$/, 'whether the dates make sense'],
  [/^val_vat_id_valid$/, 'whether the VAT number is valid'],
  [/^val_iban_valid$/, 'whether the bank account (IBAN) is valid'],
  [/^val_currency_ok$/, 'whether the currency is consistent'],
  [/^log_total$/, 'the invoice total'],
  [/^tax_rate_effective$/, 'the tax rate'],
  [/^line_item_count$/, 'the number of lines'],
  [/^vat_line_count$/, 'the VAT breakdown'],
  [/^amount_due_ratio$/, 'the amount due compared with the total'],
  [/^is_credit_note$/, 'whether it is a credit note'],
  [/^supplier_invoice_count$/, 'how often this supplier has invoiced before'],
  [/^supplier_amount_z$/, 'how the amount compares with this supplier\'s usual amounts'],
  [/^supplier_days_since_last$/, 'the time since this supplier\'s last invoice'],
  [/^supplier_new_iban$/, 'a bank account never seen for this supplier'],
  [/^supplier_distinct_ibans$/, 'how many bank accounts this supplier has used'],
  [/^dup_content_hash/, 'identical earlier files'],
  [/^dup_business_key/, 'earlier invoices with the same number'],
  [/^dup_near/, 'similar earlier invoices'],
  [/^days_invoice_to_due$/, 'the payment term'],
  [/^days_invoice_to_now$/, 'the age of the invoice'],
];

export function featureText(name: string): string {
  return FEATURES.find(([re]) => re.test(name))?.[1] ?? name.replace(/_/g, ' ');
}

/** One contribution in words: what it did to the model's verdict. */
export function contributionText(model: string, contribution: number): string {
  const up = contribution > 0;
  if (model === 'quality') return up ? 'made the reading look more reliable' : 'made the reading look less reliable';
  if (model === 'anomaly') return up ? 'made it look more unusual' : 'made it look more ordinary';
  return up ? 'raised the risk' : 'lowered the risk';
}

export const FIELD_LABELS: Record<string, string> = {
  invoice_id: 'Invoice number', invoice_date: 'Invoice date', due_date: 'Due date', supplier_name: 'Supplier', supplier_tax_id: 'Supplier VAT id',
  supplier_iban: 'Supplier IBAN', receiver_name: 'Buyer', receiver_tax_id: 'Buyer VAT id', currency: 'Currency', net_amount: 'Net amount',
  total_tax_amount: 'Tax', total_amount: 'Total', amount_due: 'Amount due', payment_terms: 'Payment terms', purchase_order: 'Purchase order',
};
export const FIELD_ORDER = Object.keys(FIELD_LABELS);
export const AMOUNT_FIELDS = new Set(['net_amount', 'total_tax_amount', 'total_amount', 'amount_due']);

export const STATUS_TEXT: Record<string, string> = {
  RECEIVED: 'Received', OCR_DONE: 'Reading', FEATURES_DONE: 'Checking', SCORED: 'Done', REJECTED: 'Rejected', FAILED: 'Failed',
};

// Formatters are costly to build (each locale lookup), cheap to reuse: one per currency, one for dates. A
// table of 50 rows built two per row and spent most of its render time there.
const moneyFormats = new Map<string, Intl.NumberFormat>();

export function money(value: number | undefined, currency?: string): string {
  if (value === undefined || value === null) return '';
  const key = currency ?? '';
  let format = moneyFormats.get(key);
  try {
    if (!format) {
      format = new Intl.NumberFormat(undefined, { style: currency ? 'currency' : 'decimal', currency: currency || undefined, minimumFractionDigits: 2, maximumFractionDigits: 2 });
      moneyFormats.set(key, format);
    }
    return format.format(value);
  } catch {
    return `${value.toFixed(2)} ${currency ?? ''}`.trim();
  }
}

export const percent = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)} %`);

let dateFormat: Intl.DateTimeFormat | undefined;

export function when(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  dateFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return dateFormat.format(d);
}

/**
 * Stable, machine-readable validation codes. Never rename one: stored records, features and decisions refer
 * to them. Conventions of a {@link ValidationResult}:
 * - `severity` is the class of the check (what a failure means); a passed check keeps it.
 * - a check whose inputs are missing is reported with `severity: 'info'`, `passed: true`, `details.skipped: true`
 *   and `details.reason`, so that "not checked" is visible and never mistaken for "checked and fine".
 */
export const ValidationCodes = {
  requiredFields: 'REQUIRED_FIELDS',
  creditNoteSign: 'CREDIT_NOTE_SIGN',
  linesSumNet: 'ARITH_LINES_NET',
  netTaxTotal: 'ARITH_NET_TAX_TOTAL',
  vatLinesTax: 'ARITH_VAT_LINES_TAX',
  vatLineRate: 'ARITH_VAT_LINE_RATE',
  amountDue: 'ARITH_AMOUNT_DUE',
  dateNotFuture: 'DATE_NOT_FUTURE',
  dueAfterInvoice: 'DATE_DUE_AFTER_INVOICE',
  datePlausible: 'DATE_PLAUSIBLE',
  paymentTerms: 'DATE_PAYMENT_TERMS',
  supplierVatId: 'VAT_ID_SUPPLIER',
  receiverVatId: 'VAT_ID_RECEIVER',
  iban: 'IBAN_CHECKSUM',
  currencyCode: 'CURRENCY_CODE',
  currencyConsistent: 'CURRENCY_CONSISTENT',
  dupContentHash: 'DUP_CONTENT_HASH',
  dupBusinessKey: 'DUP_BUSINESS_KEY',
  dupNear: 'DUP_NEAR',
} as const;
export type ValidationCode = (typeof ValidationCodes)[keyof typeof ValidationCodes];

/** Code prefixes that group checks (used by features and decisions). */
export const ValidationGroups = {
  arithmetic: 'ARITH_',
  dates: 'DATE_',
  currency: 'CURRENCY_',
  duplicates: 'DUP_',
} as const;

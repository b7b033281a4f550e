import type { HeaderFieldName, Invoice } from '../invoice/invoice.js';
import { outcome } from './check.js';
import { ValidationCodes } from './codes.js';
import type { ValidationResult } from './result.js';

/** One result: the configured header fields that are absent (or blank) on the invoice. */
export function checkRequiredFields(invoice: Invoice, required: readonly HeaderFieldName[]): ValidationResult {
  const missing = required.filter((name) => {
    const field = invoice.fields[name];
    return field === undefined || (typeof field.value === 'string' && field.value.trim() === '');
  });
  return outcome(
    ValidationCodes.requiredFields,
    'error',
    missing.length === 0,
    missing.length === 0 ? 'all required fields present' : `missing required fields: ${missing.join(', ')}`,
    missing.length === 0 ? [...required] : missing,
    { missingCount: missing.length, requiredCount: required.length },
  );
}

import type { Invoice } from '../invoice/invoice.js';
import { outcome, skipped } from './check.js';
import { ValidationCodes as C } from './codes.js';
import { checkIban } from './iban.js';
import type { ValidationResult } from './result.js';
import { checkVatId } from './vat-id.js';

/** VAT id checks (supplier: error, receiver: warning) and the supplier IBAN check (error). */
export function checkIdentifiers(invoice: Invoice): ValidationResult[] {
  return [
    vatResult(C.supplierVatId, 'supplier_tax_id', invoice.fields.supplier_tax_id?.value, 'error'),
    vatResult(C.receiverVatId, 'receiver_tax_id', invoice.fields.receiver_tax_id?.value, 'warning'),
    ibanResult(invoice.fields.supplier_iban?.value),
  ];
}

function vatResult(code: string, field: string, value: string | undefined, severity: 'error' | 'warning'): ValidationResult {
  if (value === undefined) return skipped(code, `${field} missing`, [field]);
  const check = checkVatId(value);
  switch (check.status) {
    case 'unsupported':
      return skipped(code, `${field} has no country prefix with a known VAT checksum`, [field]);
    case 'valid':
      return outcome(code, severity, true, `${field} format and check digits valid`, [field], { country: check.country, formatValid: true, checksumValid: true });
    case 'invalid-format':
      return outcome(code, severity, false, `${field} does not match the ${check.country} VAT id format`, [field], { country: check.country, formatValid: false, checksumValid: false });
    case 'invalid-checksum':
      return outcome(code, severity, false, `${field} check digits invalid`, [field], { country: check.country, formatValid: true, checksumValid: false });
  }
}

function ibanResult(value: string | undefined): ValidationResult {
  if (value === undefined) return skipped(C.iban, 'supplier_iban missing', ['supplier_iban']);
  const check = checkIban(value);
  return check.status === 'valid'
    ? outcome(C.iban, 'error', true, 'supplier_iban valid', ['supplier_iban'], { country: check.country })
    : outcome(C.iban, 'error', false, `supplier_iban invalid (${check.errors.join(', ')})`, ['supplier_iban'], { country: check.country, errors: check.errors.join(',') });
}

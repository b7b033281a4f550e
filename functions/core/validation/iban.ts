import { electronicFormatIBAN, validateIBAN, ValidationErrorsIBAN } from 'ibantools';

export type IbanCheck =
  | { status: 'valid'; country: string }
  | { status: 'invalid'; country: string; errors: string[] };

/**
 * Checks an IBAN as printed (spaces allowed): country, length and BBAN format per the IBAN registry, the
 * ISO 7064 mod-97 check digits, and national account check digits where ibantools knows them. Never throws.
 */
export function checkIban(raw: string): IbanCheck {
  const iban = electronicFormatIBAN(raw) ?? '';
  const country = iban.slice(0, 2);
  const result = validateIBAN(iban);
  if (result.valid) return { status: 'valid', country };
  return { status: 'invalid', country, errors: result.errorCodes.map((c) => ValidationErrorsIBAN[c] ?? String(c)) };
}

import * as jsvatModule from 'jsvat-next';
import { normalizeTaxId } from '../invoice/keys.js';

/**
 * VAT identification numbers, checked with jsvat-next (pure, no network: format regex + the country's check
 * digit algorithm; this is not a VIES lookup, so a well-formed id of a closed company still passes).
 * Checked: the 27 EU member states (Greece as EL), the United Kingdom (GB, and XI for Northern Ireland) and
 * Switzerland (CHE, with or without the MWST/TVA/IVA suffix). Everything else (US EINs, national tax numbers
 * without a country prefix, other countries) is reported as not checkable rather than guessed: jsvat would
 * otherwise read any bare 11-digit number as an Australian ABN.
 */
type Jsvat = Pick<typeof jsvatModule, 'checkVAT' | 'countries'>;
// jsvat-next is CommonJS without an exports map: Node's ESM loader exposes it only as `default`, while
// CommonJS transpilers (tsx on a .cts entry, bundlers) expose the named exports. Accept both shapes.
const jsvat: Jsvat = (jsvatModule as Jsvat & { default?: Jsvat }).default?.checkVAT !== undefined
  ? (jsvatModule as unknown as { default: Jsvat }).default
  : jsvatModule;
const { checkVAT, countries } = jsvat;

const CHECKED_PREFIXES = new Set([
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'ES', 'FI', 'FR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU',
  'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK', 'GB', 'XI', 'CH',
  // Greek VAT ids must carry EL; a printed GR prefix is checked so that it is reported as a format error.
  'GR',
]);

export type VatIdCheck =
  | { status: 'valid'; country: string }
  | { status: 'invalid-format'; country: string }
  | { status: 'invalid-checksum'; country: string }
  | { status: 'unsupported' };

/** Checks one VAT id as printed (spaces, dots, dashes allowed). Never throws. */
export function checkVatId(raw: string): VatIdCheck {
  const value = normalizeTaxId(raw);
  const prefix = value.slice(0, 2);
  if (!CHECKED_PREFIXES.has(prefix)) return { status: 'unsupported' };
  // Greece prints EL; jsvat lists it under its ISO code GR and accepts the EL prefix itself.
  const iso = prefix === 'EL' || prefix === 'GR' ? 'GR' : prefix === 'XI' ? 'GB' : prefix;
  const country = countries.find((c) => c.codes.includes(iso));
  if (country === undefined) return { status: 'unsupported' };
  const result = checkVAT(value, [country]);
  if (!result.isValidFormat) return { status: 'invalid-format', country: iso };
  return result.isValid ? { status: 'valid', country: iso } : { status: 'invalid-checksum', country: iso };
}

import jsvat from 'jsvat-next';
import { composeIBAN, isValidIBAN, isValidBIC } from 'ibantools';
import type { Rng } from './rng.js';

export const VAT_COUNTRIES = ['DE', 'AT', 'FR', 'BE', 'NL', 'IT', 'ES', 'GB', 'CH'] as const;
export type VatCountry = (typeof VAT_COUNTRIES)[number];

const JSVAT_COUNTRY: Record<VatCountry, jsvat.Country> = {
  DE: jsvat.germany,
  AT: jsvat.austria,
  FR: jsvat.france,
  BE: jsvat.belgium,
  NL: jsvat.netherlands,
  IT: jsvat.italy,
  ES: jsvat.spain,
  GB: jsvat.unitedKingdom,
  CH: jsvat.switzerland,
};

/** Candidate VAT ids in each country's shape; most fail the checksum and are drawn again. */
const VAT_SHAPES: Record<VatCountry, (r: Rng) => string> = {
  DE: (r) => `DE${r.int(1, 9)}${r.digits(8)}`,
  AT: (r) => `ATU${r.digits(8)}`,
  FR: (r) => `FR${r.digits(2)}${r.int(1, 9)}${r.digits(8)}`,
  BE: (r) => `BE0${r.int(2, 9)}${r.digits(8)}`,
  NL: (r) => `NL${r.digits(9)}B0${r.int(1, 9)}`,
  IT: (r) => `IT${r.digits(7)}${String(r.int(1, 100)).padStart(3, '0')}${r.digits(1)}`,
  ES: (r) => `ES${r.pick(['A', 'B'])}${r.digits(8)}`,
  GB: (r) => `GB${r.int(1, 9)}${r.digits(8)}`,
  CH: (r) => {
    const d = r.digits(9);
    return `CHE-${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)} MWST`;
  },
};

export function isValidVatId(vatId: string, country: VatCountry): boolean {
  return jsvat.checkVAT(vatId, [JSVAT_COUNTRY[country]]).isValid;
}

/**
 * A VAT id with a valid checksum. Drawn by rejection against jsvat-next (the authority used by the
 * validators) rather than by re-implementing nine national check-digit algorithms.
 * Throws if no valid id is found within the try budget (never observed: the worst country passes ~1 in 100).
 */
export function validVatId(rng: Rng, country: VatCountry): string {
  for (let i = 0; i < 20_000; i++) {
    const candidate = VAT_SHAPES[country](rng);
    if (isValidVatId(candidate, country)) return candidate;
  }
  throw new Error(`no valid VAT id found for ${country}`);
}

/** Changes one digit so that the checksum fails (verified); throws if none does. */
export function corruptVatId(rng: Rng, vatId: string, country: VatCountry): string {
  const positions = [...vatId].flatMap((c, i) => (/\d/.test(c) ? [i] : []));
  for (let attempt = 0; attempt < 200; attempt++) {
    const pos = positions[positions.length - 1 - rng.int(0, Math.min(2, positions.length - 1))]!;
    const digit = (Number(vatId[pos]) + rng.int(1, 9)) % 10;
    const candidate = vatId.slice(0, pos) + String(digit) + vatId.slice(pos + 1);
    if (!isValidVatId(candidate, country)) return candidate;
  }
  throw new Error('could not corrupt VAT id');
}

export const IBAN_COUNTRIES = ['DE', 'AT', 'FR', 'BE', 'NL', 'IT', 'ES', 'GB', 'CH'] as const;
export type IbanCountry = (typeof IBAN_COUNTRIES)[number];

const BBAN_SHAPES: Record<IbanCountry, (r: Rng) => string> = {
  DE: (r) => r.digits(18),
  AT: (r) => r.digits(16),
  FR: (r) => r.digits(23),
  BE: (r) => r.digits(12),
  NL: (r) => `${r.pick(['ABNA', 'INGB', 'RABO', 'SNSB', 'TRIO'])}${r.digits(10)}`,
  IT: (r) => `${r.letters(1)}${r.digits(22)}`,
  ES: (r) => r.digits(20),
  GB: (r) => `${r.pick(['NWBK', 'BARC', 'HBUK', 'LOYD', 'MIDL'])}${r.digits(14)}`,
  CH: (r) => r.digits(17),
};

/**
 * A valid IBAN (electronic format) with a random account; national BBAN check digits (FR, ES, IT, BE...)
 * are satisfied by rejection against ibantools. Throws if the try budget runs out.
 */
export function validIban(rng: Rng, country: IbanCountry): string {
  for (let i = 0; i < 20_000; i++) {
    const iban = composeIBAN({ countryCode: country, bban: BBAN_SHAPES[country](rng) });
    if (iban && isValidIBAN(iban)) return iban;
  }
  throw new Error(`no valid IBAN found for ${country}`);
}

/** Changes one account digit: a single substitution always breaks the ISO 7064 mod-97 check (verified). */
export function corruptIban(rng: Rng, iban: string): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const pos = rng.int(4, iban.length - 1);
    if (!/\d/.test(iban[pos]!)) continue;
    const digit = (Number(iban[pos]) + rng.int(1, 9)) % 10;
    const candidate = iban.slice(0, pos) + String(digit) + iban.slice(pos + 1);
    if (!isValidIBAN(candidate)) return candidate;
  }
  throw new Error('could not corrupt IBAN');
}

/** IBANs print in groups of four. */
export function printIban(iban: string): string {
  return iban.replace(/(.{4})(?=.)/g, '$1 ');
}

export function randomBic(rng: Rng, country: string): string {
  for (let i = 0; i < 100; i++) {
    const bic = `${rng.letters(4)}${country}${rng.letters(2)}${rng.chance(0.5) ? 'XXX' : ''}`;
    if (isValidBIC(bic)) return bic;
  }
  throw new Error('no valid BIC');
}

/** US suppliers carry an EIN (no checksum exists) instead of a VAT id. */
export function usEin(rng: Rng): string {
  return `${rng.int(10, 98)}-${rng.digits(7)}`;
}

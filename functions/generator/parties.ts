import { Faker, base, de, de_AT, de_CH, en, en_GB, en_US, es, fr, fr_BE, it, nl, type LocaleDefinition } from '@faker-js/faker';
import { z } from 'zod';
import {
  CurrencySchema,
  DateStyleSchema,
  LanguageSchema,
  MoneyStyleSchema,
  NumberFormatSchema,
  toWinAnsi,
  type Currency,
  type DateStyle,
  type Language,
  type MoneyStyle,
  type NumberFormat,
} from './locale.js';
import type { Rng } from './rng.js';
import { randomBic, usEin, validIban, validVatId, type VatCountry } from './tax-ids.js';
import { LAYOUT_IDS, LayoutIdSchema } from './layout-ids.js';

export const CountrySchema = z.enum(['DE', 'AT', 'FR', 'BE', 'NL', 'IT', 'ES', 'GB', 'CH', 'US']);
export type Country = z.infer<typeof CountrySchema>;

export const PartySchema = z.object({
  id: z.string(),
  name: z.string(),
  country: CountrySchema,
  /** Address as printed, one entry per line (without the name). */
  addressLines: z.array(z.string()),
  /** VAT id for EU/UK/CH parties, EIN for US ones. */
  taxId: z.string(),
  taxIdKind: z.enum(['vat', 'ein']),
  /** Structured address for e-invoices. */
  street: z.string(),
  postcode: z.string(),
  city: z.string(),
});
export type Party = z.infer<typeof PartySchema>;

export const SupplierSchema = PartySchema.extend({
  iban: z.string().optional(),
  bic: z.string().optional(),
  currency: CurrencySchema,
  language: LanguageSchema,
  numberFormat: NumberFormatSchema,
  dateStyle: DateStyleSchema,
  moneyStyle: MoneyStyleSchema,
  layout: LayoutIdSchema,
  /** Invoice number template: {YYYY} {YY} {MM} {SEQn} (n zero-padded digits). */
  numberPattern: z.string(),
  firstSequence: z.number().int().nonnegative(),
  /** Typical net amount of one invoice, in currency units. */
  amountRange: z.object({ min: z.number(), max: z.number() }),
  /** Standard rate first, then a reduced one. Percent. */
  vatRates: z.array(z.number()).min(1),
  termsDays: z.number().int().nonnegative(),
  accent: z.tuple([z.number(), z.number(), z.number()]),
  phone: z.string(),
  email: z.string(),
  catalog: z.array(z.object({ code: z.string(), description: z.string(), unitPrice: z.number(), fractional: z.boolean() })),
});
export type Supplier = z.infer<typeof SupplierSchema>;

interface CountryProfile {
  locales: LocaleDefinition[];
  language: Language;
  currency: Currency;
  numberFormats: NumberFormat[];
  dateStyles: DateStyle[];
  moneyStyles: MoneyStyle[];
  vatRates: number[];
  name: Record<Language, string>;
}

const PROFILES: Record<Country, CountryProfile> = {
  DE: { locales: [de], language: 'de', currency: 'EUR', numberFormats: ['de'], dateStyles: ['dmy-dot', 'dmy-dot', 'long'], moneyStyles: ['symbol-after', 'code-after'], vatRates: [19, 7], name: { en: 'Germany', de: 'Deutschland', fr: 'Allemagne' } },
  AT: { locales: [de_AT, de], language: 'de', currency: 'EUR', numberFormats: ['de'], dateStyles: ['dmy-dot', 'long'], moneyStyles: ['symbol-after', 'code-before'], vatRates: [20, 10], name: { en: 'Austria', de: 'Österreich', fr: 'Autriche' } },
  CH: { locales: [de_CH, de], language: 'de', currency: 'CHF', numberFormats: ['ch', 'de'], dateStyles: ['dmy-dot'], moneyStyles: ['code-before', 'code-after'], vatRates: [8.1, 2.6], name: { en: 'Switzerland', de: 'Schweiz', fr: 'Suisse' } },
  FR: { locales: [fr], language: 'fr', currency: 'EUR', numberFormats: ['fr'], dateStyles: ['dmy-slash', 'dmy-slash', 'long'], moneyStyles: ['symbol-after'], vatRates: [20, 5.5, 10], name: { en: 'France', de: 'Frankreich', fr: 'France' } },
  BE: { locales: [fr_BE, fr], language: 'fr', currency: 'EUR', numberFormats: ['fr', 'de'], dateStyles: ['dmy-slash', 'dmy-dot'], moneyStyles: ['symbol-after', 'code-after'], vatRates: [21, 6], name: { en: 'Belgium', de: 'Belgien', fr: 'Belgique' } },
  NL: { locales: [nl], language: 'en', currency: 'EUR', numberFormats: ['de', 'en'], dateStyles: ['dmy-slash', 'iso', 'long'], moneyStyles: ['symbol-before', 'code-after'], vatRates: [21, 9], name: { en: 'Netherlands', de: 'Niederlande', fr: 'Pays-Bas' } },
  IT: { locales: [it], language: 'en', currency: 'EUR', numberFormats: ['de', 'en'], dateStyles: ['dmy-slash', 'long'], moneyStyles: ['symbol-before', 'code-after'], vatRates: [22, 10], name: { en: 'Italy', de: 'Italien', fr: 'Italie' } },
  ES: { locales: [es], language: 'en', currency: 'EUR', numberFormats: ['de', 'en'], dateStyles: ['dmy-slash', 'long'], moneyStyles: ['symbol-after', 'symbol-before'], vatRates: [21, 10], name: { en: 'Spain', de: 'Spanien', fr: 'Espagne' } },
  GB: { locales: [en_GB], language: 'en', currency: 'GBP', numberFormats: ['en'], dateStyles: ['dmy-slash', 'long'], moneyStyles: ['symbol-before'], vatRates: [20, 5], name: { en: 'United Kingdom', de: 'Vereinigtes Königreich', fr: 'Royaume-Uni' } },
  US: { locales: [en_US], language: 'en', currency: 'USD', numberFormats: ['en'], dateStyles: ['mdy-slash', 'long-us'], moneyStyles: ['symbol-before'], vatRates: [7.25, 0], name: { en: 'United States', de: 'USA', fr: 'États-Unis' } },
};

const SUPPLIER_COUNTRY_WEIGHTS: Record<Country, number> = { DE: 25, FR: 15, AT: 7, CH: 5, BE: 5, NL: 8, IT: 7, ES: 6, GB: 12, US: 10 };

const fakers = new Map<Country, Faker>();
function fakerFor(country: Country): Faker {
  let f = fakers.get(country);
  if (!f) {
    f = new Faker({ locale: [...PROFILES[country].locales, en, base] });
    fakers.set(country, f);
  }
  return f;
}

interface Address {
  addressLines: string[];
  street: string;
  postcode: string;
  city: string;
}

function address(f: Faker, country: Country, printCountry: boolean, language: Language): Address {
  const street = toWinAnsi(f.location.streetAddress());
  const city = toWinAnsi(f.location.city());
  const postcode = toWinAnsi(country === 'US' ? f.location.zipCode('#####') : f.location.zipCode());
  let lines: string[];
  if (country === 'GB') lines = [street, city, postcode];
  else if (country === 'US') lines = [street, `${city}, ${f.location.state({ abbreviated: true })} ${postcode}`];
  else lines = [street, `${postcode} ${city}`];
  if (printCountry) lines.push(PROFILES[country].name[language]);
  return { addressLines: lines, street, postcode, city };
}

const PATTERNS = ['INV-{YYYY}-{SEQ5}', 'RE{YY}{SEQ6}', 'FA{YYYY}{MM}-{SEQ4}', '{SEQ7}', '{PFX}-{SEQ6}', '{YYYY}/{SEQ4}', 'F-{YY}-{SEQ5}', '{PFX}{YY}{MM}{SEQ3}'];

/** Expands an invoice number template for one issue date and sequence number. */
export function invoiceNumber(pattern: string, isoDate: string, seq: number): string {
  return pattern
    .replace('{YYYY}', isoDate.slice(0, 4))
    .replace('{YY}', isoDate.slice(2, 4))
    .replace('{MM}', isoDate.slice(5, 7))
    .replace(/\{SEQ(\d)\}/, (_m, n: string) => String(seq).padStart(Number(n), '0'));
}

const CATALOG: Record<Language, [string, number, boolean][]> = {
  en: [
    ['Consulting services', 120, true], ['Software licence (annual)', 900, false], ['Office chair', 240, false], ['Printer toner cartridge', 65, false],
    ['Maintenance contract', 300, false], ['Shipping and handling', 18, false], ['Cloud hosting (monthly)', 150, false], ['Laptop 14"', 1100, false],
    ['Cleaning service', 35, true], ['Catering', 22, false], ['Training workshop', 650, false], ['Copy paper A4, 500 sheets', 5.5, false],
    ['Project management', 95, true], ['Network cabling', 2.4, true], ['Spare parts kit', 48, false], ['Technical support', 85, true],
  ],
  de: [
    ['Beratungsleistung', 120, true], ['Softwarelizenz (jährlich)', 900, false], ['Bürostuhl', 240, false], ['Tonerkartusche', 65, false],
    ['Wartungsvertrag', 300, false], ['Versandkosten', 18, false], ['Cloud-Hosting (monatlich)', 150, false], ['Notebook 14 Zoll', 1100, false],
    ['Gebäudereinigung', 35, true], ['Bewirtung', 22, false], ['Schulung', 650, false], ['Kopierpapier A4, 500 Blatt', 5.5, false],
    ['Projektleitung', 95, true], ['Netzwerkverkabelung', 2.4, true], ['Ersatzteilset', 48, false], ['Technischer Support', 85, true],
  ],
  fr: [
    ['Prestation de conseil', 120, true], ['Licence logicielle (annuelle)', 900, false], ['Chaise de bureau', 240, false], ["Cartouche d'encre", 65, false],
    ['Contrat de maintenance', 300, false], ['Frais de port', 18, false], ['Hébergement cloud (mensuel)', 150, false], ['Ordinateur portable 14"', 1100, false],
    ['Nettoyage des locaux', 35, true], ['Restauration', 22, false], ['Formation', 650, false], ['Papier A4, 500 feuilles', 5.5, false],
    ['Gestion de projet', 95, true], ['Câblage réseau', 2.4, true], ['Kit de pièces détachées', 48, false], ['Assistance technique', 85, true],
  ],
};

function makeCatalog(rng: Rng, language: Language): Supplier['catalog'] {
  const items = [...CATALOG[language]];
  const size = rng.int(4, 9);
  const out: Supplier['catalog'] = [];
  const prefix = rng.letters(2);
  for (let i = 0; i < size && items.length > 0; i++) {
    const [description, price, fractional] = items.splice(rng.int(0, items.length - 1), 1)[0]!;
    out.push({ code: `${prefix}-${rng.digits(4)}`, description, unitPrice: Math.round(price * rng.float(0.7, 1.4) * 100) / 100, fractional });
  }
  return out;
}

/** Company names are kept short enough for every layout's header, so that they print in full. */
function companyName(f: Faker): string {
  const name = toWinAnsi(f.company.name());
  if (name.length <= 34) return name;
  const cut = name.slice(0, 34);
  return cut.slice(0, Math.max(cut.lastIndexOf(' '), 12)).replace(/[\s,&-]+$/, '');
}

/** One supplier, fully determined by `rng`. Throws only if no valid VAT id / IBAN can be drawn. */
export function makeSupplier(rng: Rng, index: number): Supplier {
  const country = rng.weighted(SUPPLIER_COUNTRY_WEIGHTS);
  const p = PROFILES[country];
  const f = fakerFor(country);
  f.seed(rng.int(1, 2 ** 30));
  const language: Language = country === 'CH' && rng.chance(0.3) ? 'fr' : p.language;
  const name = companyName(f);
  const addr = address(f, country, rng.chance(0.3), language);
  const phone = toWinAnsi(f.phone.number());
  const email = `billing@${name.toLowerCase().replace(/[^a-z]+/g, '').slice(0, 16) || 'supplier'}.${country === 'US' ? 'com' : country.toLowerCase()}`;
  const isUs = country === 'US';
  const min = Math.round(Math.exp(rng.float(Math.log(40), Math.log(5000))));
  return {
    id: `S${String(index + 1).padStart(3, '0')}`,
    name,
    country,
    ...addr,
    taxId: isUs ? usEin(rng) : validVatId(rng, country as VatCountry),
    taxIdKind: isUs ? 'ein' : 'vat',
    iban: isUs ? undefined : validIban(rng, country as Exclude<Country, 'US'>),
    bic: isUs ? undefined : randomBic(rng, country),
    currency: p.currency,
    language,
    numberFormat: rng.pick(p.numberFormats),
    dateStyle: isUs ? rng.pick(['mdy-slash', 'mdy-slash', 'long-us'] as const) : rng.pick(p.dateStyles),
    moneyStyle: rng.pick(p.moneyStyles),
    layout: rng.pick(LAYOUT_IDS),
    numberPattern: rng.pick(PATTERNS).replace('{PFX}', rng.letters(rng.int(2, 3))),
    firstSequence: rng.int(1, 9000),
    amountRange: { min, max: Math.round(min * rng.float(2.5, 8)) },
    vatRates: p.vatRates,
    termsDays: rng.pick([0, 14, 14, 30, 30, 30, 45, 60]),
    accent: [rng.float(0, 0.5), rng.float(0.1, 0.5), rng.float(0.3, 0.8)],
    phone,
    email,
    catalog: makeCatalog(rng, language),
  };
}

const RECEIVER_COUNTRIES: Country[] = ['DE', 'FR', 'GB', 'AT', 'NL'];

/** A buyer (the company that runs LedgerX, or one of its subsidiaries). */
export function makeReceiver(rng: Rng, index: number): Party {
  const country = RECEIVER_COUNTRIES[index % RECEIVER_COUNTRIES.length]!;
  const f = fakerFor(country);
  f.seed(rng.int(1, 2 ** 30));
  return {
    id: `R${index + 1}`,
    name: companyName(f),
    country,
    ...address(f, country, false, PROFILES[country].language),
    taxId: validVatId(rng, country as VatCountry),
    taxIdKind: 'vat',
  };
}

export function countryName(country: Country, language: Language): string {
  return PROFILES[country].name[language];
}

/**
 * Currency detection from ISO codes, symbols and an explicit "currency" label. Codes beat symbols ("$" is
 * shared by many dollars); an explicit label ("Währung: EUR", "Currency: USD") beats both.
 */

export const KNOWN_CODES = ['EUR', 'USD', 'GBP', 'CHF', 'INR', 'PLN', 'CAD', 'AUD', 'JPY', 'SEK', 'NOK', 'DKK', 'CZK', 'HUF', 'CNY', 'SGD', 'HKD', 'NZD', 'ZAR', 'BRL', 'MXN', 'MYR', 'IDR', 'THB', 'PHP', 'AED'] as const;

const SYMBOLS: ReadonlyArray<[RegExp, string]> = [
  [/€/g, 'EUR'],
  [/£/g, 'GBP'],
  [/₹|(?<![\p{L}])Rs\.?(?=\s?-?\d)/gu, 'INR'],
  [/(?<![\p{L}])zł/gu, 'PLN'],
  // Malaysian ringgit as printed on receipts: right before an amount ("RM 12.90") or as a column's unit
  // ("Amount(RM)  Tax(RM)" in a GST summary).
  [/(?<![\p{L}])RM(?=\s?\.?\d)|\(\s?RM\s?\)/gu, 'MYR'],
  [/(?<![\p{L}])S\$/gu, 'SGD'],
  [/¥/g, 'JPY'],
  [/(?<![A-Z])(?<!S)\$/g, 'USD'],
];

const CODE_RE = new RegExp(String.raw`(?<![\p{L}])(${KNOWN_CODES.join('|')})(?![\p{L}])`, 'gu');
const LABEL_RE = new RegExp(
  String.raw`(?:currency|währung|waehrung|devise|monnaie|valuta|beträge\s+in|montants?\s+en|amounts?\s+in|all\s+charges\s+and\s+prices\s+are\s+in)\s*:?\s*(${KNOWN_CODES.join('|')}|euros?|us\s+dollars?|dollars?|pounds?)`,
  'iu',
);
const WORDS: Record<string, string> = { euro: 'EUR', euros: 'EUR', 'us dollar': 'USD', 'us dollars': 'USD', dollar: 'USD', dollars: 'USD', pound: 'GBP', pounds: 'GBP' };

export interface CurrencyDetection {
  code: string;
  confidence: number;
  /** Character index of the evidence in the text. */
  index: number;
  raw: string;
}

/** Maps one printed mark ("€", "EUR", "Rs") to an ISO code, or undefined. */
export function currencyOfMark(mark: string): string | undefined {
  const upper = mark.trim().toUpperCase();
  if ((KNOWN_CODES as readonly string[]).includes(upper)) return upper;
  for (const [re, code] of SYMBOLS) {
    re.lastIndex = 0;
    // The symbol patterns expect a number after the mark ("Rs 12"); give them one.
    if (re.test(`${mark.trim()} 1`)) return code;
  }
  return undefined;
}

/**
 * The currency of a country (ISO 3166 alpha-2, or the "EL" of Greek VAT ids), for the countries whose IBANs and
 * VAT ids the extractor reads: the euro area and Europe's other currencies among KNOWN_CODES. Hand-written: no
 * npm package maps IBAN countries to currencies, and the list changes once a decade (Croatia, 2023).
 */
const EURO_AREA = new Set(['AT', 'BE', 'CY', 'DE', 'EE', 'EL', 'ES', 'FI', 'FR', 'GR', 'HR', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PT', 'SI', 'SK', 'AD', 'MC', 'SM', 'VA']);
const NATIONAL: Readonly<Record<string, string>> = { GB: 'GBP', XI: 'GBP', CH: 'CHF', LI: 'CHF', PL: 'PLN', CZ: 'CZK', DK: 'DKK', SE: 'SEK', NO: 'NOK', HU: 'HUF' };

/**
 * The national currency of `country`, or undefined. Only a weak hint where the page names no currency: a
 * supplier banking in Spain most likely bills in euros, but may bill in dollars.
 */
export function currencyOfCountry(country: string | undefined): string | undefined {
  const c = country?.toUpperCase();
  if (!c) return undefined;
  return EURO_AREA.has(c) ? 'EUR' : NATIONAL[c];
}

/** A one-glyph symbol, which OCR also makes of other marks ("E", "&", "S", a smudge). */
const GLYPH = /^[€£¥$]$/u;
const AMOUNT_AFTER = /^[ \u00a0]?-?\d{1,3}(?:[.,' ]?\d{3})*[.,]\d{2}(?!\d)/u;
const AMOUNT_BEFORE = /(?<![\d.,])\d{1,3}(?:[.,' ]?\d{3})*[.,]\d{2}[ \u00a0]?$/u;

/**
 * Whether a symbol at `index` is printed with an amount ("£12.50", "12,50 €"). On a scan a lone "£" or "€"
 * is as often a misread letter or smudge (a "£" in "E.&.O.E.", a "€" for a bullet) as a currency: 8 of the
 * 57 development receipts, all in ringgit, were read as euros, pounds or dollars from such glyphs.
 */
function withAmount(text: string, index: number, length: number): boolean {
  return AMOUNT_AFTER.test(text.slice(index + length, index + length + 24)) || AMOUNT_BEFORE.test(text.slice(Math.max(0, index - 24), index));
}

/**
 * The document currency, or null when nothing on the page names one. `scanned`: the text was read by OCR,
 * so a one-glyph symbol counts only beside an amount.
 */
export function detectCurrency(text: string, options: { scanned?: boolean } = {}): CurrencyDetection | null {
  const label = LABEL_RE.exec(text);
  if (label?.[1]) {
    const word = label[1].toLowerCase().replace(/\s+/g, ' ');
    const code = WORDS[word] ?? label[1].toUpperCase();
    return { code, confidence: 0.95, index: label.index, raw: label[0] };
  }
  const counts = new Map<string, { n: number; index: number; raw: string; weight: number }>();
  const add = (code: string, index: number, raw: string, weight: number) => {
    const c = counts.get(code) ?? { n: 0, index, raw, weight: 0 };
    c.n++; c.weight += weight;
    counts.set(code, c);
  };
  for (const m of text.matchAll(CODE_RE)) add(m[1] ?? '', m.index, m[0], 1);
  for (const [re, code] of SYMBOLS) {
    for (const m of text.matchAll(re)) {
      if (options.scanned && GLYPH.test(m[0]) && !withAmount(text, m.index, m[0].length)) continue;
      add(code, m.index, m[0], code === 'USD' ? 0.7 : 1);
    }
  }
  let best: [string, { n: number; index: number; raw: string; weight: number }] | undefined;
  for (const entry of counts) if (!best || entry[1].weight > best[1].weight) best = entry;
  if (!best) return null;
  const [code, c] = best;
  const total = [...counts.values()].reduce((s, v) => s + v.weight, 0);
  const share = c.weight / total;
  // Each mention is a piece of evidence (a code 0.6, "$" less: it is shared by many dollars); several agree as
  // 1 - Π(1 - p), and marks of other currencies on the page lower the result by their share.
  const confidence = Math.min(0.97, 1 - (1 - 0.6 * (c.weight / c.n)) ** c.n) * (0.5 + share / 2);
  return { code, confidence: Number(confidence.toFixed(3)), index: c.index, raw: c.raw };
}

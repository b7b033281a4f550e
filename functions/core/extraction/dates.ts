import type { DateOrder } from '../invoice/invoice.js';

/**
 * Date recognition for printed invoices: numeric (dd.mm.yyyy, dd/mm/yyyy, mm/dd/yyyy, yyyy-mm-dd, 2-digit
 * years) and month names in English, German, French and Dutch. Numeric dates whose day/month order cannot
 * be told from the date itself are kept as raw parts and resolved per document by {@link resolveDateOrder}.
 */

const MONTHS: Record<string, number> = {};
function addMonths(names: string[][]): void {
  names.forEach((aliases, i) => { for (const a of aliases) MONTHS[a] = i + 1; });
}
addMonths([
  ['january', 'jan', 'januar', 'jänner', 'janvier', 'janv', 'januari'],
  ['february', 'feb', 'febr', 'februar', 'février', 'fevrier', 'févr', 'fevr', 'februari'],
  ['march', 'mar', 'märz', 'maerz', 'mars', 'maart', 'mrt'],
  ['april', 'apr', 'avril', 'avr'],
  ['may', 'mai', 'mei'],
  ['june', 'jun', 'juni', 'juin'],
  ['july', 'jul', 'juli', 'juillet', 'juil'],
  ['august', 'aug', 'août', 'aout', 'augustus'],
  ['september', 'sep', 'sept', 'septembre'],
  ['october', 'oct', 'oktober', 'okt', 'octobre'],
  ['november', 'nov', 'novembre'],
  ['december', 'dec', 'dezember', 'dez', 'décembre', 'decembre'],
]);
const MONTH_ALT = Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|');

export type DateKind = 'iso' | 'numeric' | 'month-name';

export interface DateMatch {
  index: number;
  length: number;
  raw: string;
  kind: DateKind;
  /** For 'numeric': the first two parts as printed, order unresolved. For others: day and month. */
  first: number;
  second: number;
  year: number;
}

const ISO_RE = /(?<![\d./-])(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?![\d])/g;
// The end of a year: no digit follows, or a clock time the OCR glued to it ("22/12/201714:03", "26/02/1808:28",
// "04 Jan 201701:15pm": receipts print the time right after the date, and OCR engines drop narrow spaces).
const YEAR_END = String.raw`(?:(?!\d)|(?=\d{1,2}:\d{2}))`;
// A four-digit year of the range findDates keeps; two digits otherwise ("1808:28" is 18 and 08:28, not 1808).
const YEAR = String.raw`((?:19|20)\d{2}${YEAR_END}|\d{2}${YEAR_END})`;
const NUMERIC_RE = new RegExp(String.raw`(?<![\d./-])(\d{1,2})\s?([./-])\s?(\d{1,2})\2\s?${YEAR}`, 'g');
// "5 March 2024", "5. März 2024", "5 mars 2024", "15-Jun-2018", "15 Jun 18" (a two-digit year only after a
// month name, where it cannot be a quantity).
const DAY_MONTH_RE = new RegExp(
  String.raw`(?<![\p{L}\d])(\d{1,2})(?:\.|er|st|nd|rd|th)?(?:\s*|[-/]|\s*(?:de\s+))(${MONTH_ALT})(?:\.?,?\s*|[-/.])((?:19|20)\d{2}${YEAR_END}|\d{2}(?![\d\p{L}]))`,
  'giu',
);
const MONTH_DAY_RE = new RegExp(
  String.raw`(?<![\p{L}])(${MONTH_ALT})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})(?!\d)`,
  'giu',
);

function fullYear(y: number, digits: number): number {
  return digits === 2 ? (y < 70 ? 2000 + y : 1900 + y) : y;
}

/** All dates printed in `text`, left to right, overlapping matches removed. */
export function findDates(text: string): DateMatch[] {
  const found: DateMatch[] = [];
  for (const m of text.matchAll(ISO_RE)) {
    found.push({ index: m.index, length: m[0].length, raw: m[0], kind: 'iso', first: Number(m[3]), second: Number(m[2]), year: Number(m[1]) });
  }
  for (const m of text.matchAll(NUMERIC_RE)) {
    const y = m[4] ?? '';
    found.push({ index: m.index, length: m[0].length, raw: m[0], kind: 'numeric', first: Number(m[1]), second: Number(m[3]), year: fullYear(Number(y), y.length) });
  }
  for (const m of text.matchAll(DAY_MONTH_RE)) {
    const month = MONTHS[(m[2] ?? '').toLowerCase()];
    const y = m[3] ?? '';
    if (month) found.push({ index: m.index, length: m[0].length, raw: m[0], kind: 'month-name', first: Number(m[1]), second: month, year: fullYear(Number(y), y.length) });
  }
  for (const m of text.matchAll(MONTH_DAY_RE)) {
    const month = MONTHS[(m[1] ?? '').toLowerCase()];
    if (month) found.push({ index: m.index, length: m[0].length, raw: m[0], kind: 'month-name', first: Number(m[2]), second: month, year: Number(m[3]) });
  }
  found.sort((a, b) => a.index - b.index || b.length - a.length);
  const out: DateMatch[] = [];
  for (const d of found) {
    const prev = out[out.length - 1];
    if (prev && d.index < prev.index + prev.length) continue;
    out.push(d);
  }
  return out.filter((d) => d.year >= 1970 && d.year <= 2100);
}

/** True when the numeric date reads the same (or is invalid one way) whichever order is chosen. */
export function isOrderSensitive(d: DateMatch): boolean {
  return d.kind === 'numeric' && d.first !== d.second && d.first <= 12 && d.second <= 12;
}

/** ISO string for the date under `order`, or null when it is not a real calendar date. */
export function toIsoDate(d: DateMatch, order: DateOrder): string | null {
  let day: number, month: number;
  if (d.kind === 'numeric') {
    [day, month] = order === 'MDY' ? [d.second, d.first] : [d.first, d.second];
  } else {
    day = d.first; month = d.second;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const date = new Date(Date.UTC(d.year, month - 1, day));
  if (date.getUTCDate() !== day) return null;
  return `${d.year.toString().padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export type DateOrderEvidence = 'unambiguous-date' | 'locale' | 'month-name' | 'iso' | 'ambiguous' | 'none';

export interface DateOrderDecision {
  order: DateOrder;
  evidence: DateOrderEvidence;
}

/**
 * Decides day-first vs month-first for a document. Evidence in order of strength: a numeric date on the
 * page that only parses one way (a part > 12); the locale implied by the labels' language, dotted dates
 * (a German/French convention), the currency, or the name of the tax or a legal form of a day-first country
 * (VAT, GST, Sdn Bhd: `dayFirstLocale`); otherwise 'ambiguous' with the most likely order.
 */
export function resolveDateOrder(
  dates: readonly DateMatch[],
  context: { language?: string | undefined; currency?: string | undefined; dayFirstLocale?: boolean | undefined },
): DateOrderDecision {
  const numeric = dates.filter((d) => d.kind === 'numeric');
  let dmy = 0, mdy = 0;
  for (const d of numeric) {
    // Only real calendar dates vote (an OCR misread such as "30/63/2018" proves nothing).
    if (d.first > 12 && d.second <= 12 && toIsoDate(d, 'DMY')) dmy++;
    else if (d.second > 12 && d.first <= 12 && toIsoDate(d, 'MDY')) mdy++;
  }
  if (dmy > 0 || mdy > 0) return { order: dmy >= mdy ? 'DMY' : 'MDY', evidence: 'unambiguous-date' };
  if (numeric.length === 0) {
    if (dates.some((d) => d.kind === 'month-name')) return { order: 'DMY', evidence: 'month-name' };
    if (dates.some((d) => d.kind === 'iso')) return { order: 'YMD', evidence: 'iso' };
    return { order: 'DMY', evidence: 'none' };
  }
  if (numeric.every((d) => d.raw.includes('.'))) return { order: 'DMY', evidence: 'locale' };
  const lang = context.language;
  if (lang && lang !== 'en') return { order: 'DMY', evidence: 'locale' };
  const cur = context.currency;
  if (cur === 'USD') return { order: 'MDY', evidence: 'locale' };
  if (cur) return { order: 'DMY', evidence: 'locale' };
  // VAT and GST (the UK, Ireland, India, Malaysia, Singapore, Australia, New Zealand...) are taxes of countries
  // that print the day first; the United States, where the month comes first, has sales tax.
  if (context.dayFirstLocale) return { order: 'DMY', evidence: 'locale' };
  // English labels and no currency: month-first is the likelier reading, but nothing on the page proves it.
  return { order: 'MDY', evidence: 'ambiguous' };
}

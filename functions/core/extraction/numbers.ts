/**
 * Locale-aware amount parsing. Hand-written because no pure npm parser handles every printed form found on
 * invoices (1.234,56 / 1,234.56 / 1 234,56 / 1'234.56 / trailing minus / parentheses) together with a
 * document-level hint for the ambiguous "1,234" case.
 */

export type DecimalSeparator = ',' | '.';

export interface ParsedAmount {
  value: number;
  /** The decimal separator this amount proves, when it proves one (e.g. "1.234,56" proves ','). */
  decimalSeparator?: DecimalSeparator;
  /** True when the printed number had a fractional part (a strong sign of money). */
  hasDecimals: boolean;
}

const MINUS = /^[-\u2212\u2013]/;

/**
 * Parses one printed number (currency symbols and codes already removed or not).
 * Returns null when the text is not a single number. `hint` settles "1,234" / "1.234" (one separator
 * followed by exactly three digits), which is a thousands group in one locale and a decimal in the other.
 */
export function parseAmount(input: string, hint?: DecimalSeparator): ParsedAmount | null {
  let text = input.replace(/[€$£₹]|\b(?:EUR|USD|GBP|CHF|INR|PLN|CAD|AUD|JPY|MYR|SGD|RM|Rs\.?)\b/gi, '').trim();
  let negative = false;
  if (/^\(.*\)$/.test(text)) { negative = true; text = text.slice(1, -1).trim(); }
  if (MINUS.test(text)) { negative = true; text = text.slice(1).trim(); }
  if (/[-\u2212]$/.test(text)) { negative = true; text = text.slice(0, -1).trim(); }
  if (!/^\d[\d.,'’\s\u00a0\u202f]*$/.test(text)) return null;
  const compact = text.replace(/[\s\u00a0\u202f'’]/g, '');
  if (!/^\d[\d.,]*\d$|^\d$/.test(compact)) return null;
  const lastDot = compact.lastIndexOf('.');
  const lastComma = compact.lastIndexOf(',');
  let decimal: DecimalSeparator | undefined;
  let proven = false;
  if (lastDot >= 0 && lastComma >= 0) {
    decimal = lastDot > lastComma ? '.' : ',';
    proven = true;
  } else if (lastDot >= 0 || lastComma >= 0) {
    const sep = lastDot >= 0 ? '.' : ',';
    const count = compact.split(sep).length - 1;
    const fraction = compact.length - Math.max(lastDot, lastComma) - 1;
    // "2.651.66": a thousands group has three digits, so two after the last separator are cents, whose separator
    // the OCR read as the other one ("2.651,66" on the page). The separator is not proven by it.
    if (count > 1 && fraction === 2 && /^\d{1,3}(?:[.,]\d{3})+[.,]\d{2}$/.test(compact)) {
      const value = Number(`${compact.slice(0, -3).split(sep).join('')}.${compact.slice(-2)}`);
      return { value: negative ? -value : value, hasDecimals: true };
    }
    if (count > 1) decimal = sep === '.' ? ',' : '.'; // repeated separator = thousands groups
    else if (fraction !== 3) { decimal = sep; proven = true; }
    else decimal = hint ?? (sep === ',' ? '.' : ','); // "1,234": thousands unless the document says otherwise
  }
  const thousands = decimal === ',' ? '.' : ',';
  const groups = compact.split(decimal ?? '\u0000');
  if (groups.length > 2) return null;
  const intPart = (groups[0] ?? '').split(thousands).join('');
  if (!/^\d+$/.test(intPart)) return null;
  const fracPart = groups[1];
  if (fracPart !== undefined && !/^\d+$/.test(fracPart)) return null;
  const value = Number(fracPart !== undefined ? `${intPart}.${fracPart}` : intPart);
  if (!Number.isFinite(value)) return null;
  const result: ParsedAmount = { value: negative ? -value : value, hasDecimals: fracPart !== undefined };
  if (proven && decimal && fracPart !== undefined) result.decimalSeparator = decimal;
  return result;
}

export interface AmountMatch extends ParsedAmount {
  index: number;
  length: number;
  raw: string;
  /** A currency symbol or code printed next to the number. */
  currencyMark?: string;
}

const CUR = String.raw`(?:[€$£₹]|\b(?:EUR|USD|GBP|CHF|INR|PLN|CAD|AUD|JPY|MYR|SGD|RM|Rs\.?)(?![\p{L}]))`;
// A number: grouped thousands (dot, comma, apostrophe, or a space only before a decimal comma as in
// French "1 234,56"), or plain digits, with an optional 1-4 digit fraction.
const NUM = String.raw`\d{1,3}(?:[.,'’]\d{3})+(?:[.,]\d{1,4})?|\d{1,3}(?:[\s\u00a0\u202f]\d{3})+,\d{1,4}|\d+(?:[.,]\d{1,4})?`;
// Cents without their integer digit ("RM -.02" on a rounding line) only right after a minus or a currency mark:
// elsewhere " .50" is more likely the fraction of a number split by the OCR ("12 .50") than an amount of its own.
const CENTS = String.raw`(?<=(?:[-\u2212]|${CUR})\s?)[.,]\d{2}`;
// A colon never starts an amount ("11:35:35" is a time) unless a currency mark follows it: OCR drops the space
// in "TOTAL: RM111.90" as often as it keeps it.
const AMOUNT_RE = new RegExp(
  String.raw`(?:(?<![\p{L}\d.,/:-])|(?<=:)(?=${CUR}))(?<lead>${CUR}\s?)?(?<neg>[-\u2212]\s?)?(?<lead2>${CUR}\s?)?(?<num>${NUM}|${CENTS})(?<trailneg>-(?!\d))?(?![.,]?\d|[\p{L}/:]|\s?%|\.\d)(?<trail>\s?${CUR})?`,
  'gu',
);

/**
 * Every number in `text` that can be a money amount (not part of a date, a percentage, a word or an id).
 * Amounts with a currency mark or decimals are the reliable ones; callers weigh `hasDecimals`/`currencyMark`.
 */
export function findAmounts(text: string, hint?: DecimalSeparator): AmountMatch[] {
  const out: AmountMatch[] = [];
  for (const m of text.matchAll(AMOUNT_RE)) {
    const g = m.groups ?? {};
    const num = g['num'] ?? '';
    const parsed = parseAmount(/^[.,]/.test(num) ? `0${num}` : num, hint);
    if (!parsed) continue;
    const negative = Boolean(g['neg'] ?? g['trailneg']);
    const mark = (g['lead'] ?? g['lead2'] ?? g['trail'] ?? '').trim();
    const match: AmountMatch = {
      ...parsed,
      value: negative ? -parsed.value : parsed.value,
      index: m.index ?? 0,
      length: m[0].length,
      raw: m[0].trim(),
    };
    if (mark) match.currencyMark = mark;
    out.push(match);
  }
  return out;
}

/** The decimal separator that most amounts in the text prove, if any. */
export function dominantDecimalSeparator(text: string): DecimalSeparator | undefined {
  let comma = 0, dot = 0;
  for (const m of findAmounts(text)) {
    // Amounts printed with a currency mark are money for sure; times (08.30) and versions are not.
    const weight = m.currencyMark ? 3 : 1;
    if (m.decimalSeparator === ',') comma += weight;
    else if (m.decimalSeparator === '.') dot += weight;
  }
  if (comma === 0 && dot === 0) return undefined;
  return comma > dot ? ',' : '.';
}

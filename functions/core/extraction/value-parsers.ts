import { findDates, type DateMatch } from './dates.js';
import { findAmounts, type DecimalSeparator } from './numbers.js';
import type { ParsedValue, ValueParser } from './candidates.js';

/** Typed value readers used by the label search: each returns the values of its type found in a text. */

const ID_SKIP = /^(?:[#:.\-–]+|no\.?|nr\.?|n[°º]\.?|number|nummer|numéro)$/i;

/**
 * An invoice number is the first word after its label: 3-40 characters, at least one digit, not a date
 * and not a money amount. Only the first word counts, so "Invoice Summary" or "Rechnung Seite 1" give none.
 */
export const parseInvoiceId: ValueParser<string> = (text) => {
  const words = [...text.matchAll(/\S+/g)];
  for (const w of words) {
    const token = w[0];
    if (ID_SKIP.test(token)) continue;
    const cleaned = token.replace(/^[#:(]+/, '').replace(/[,;:.)]+$/, '');
    if (cleaned.length < 3 || cleaned.length > 40) return [];
    if (!/\d/.test(cleaned)) return [];
    if (!/^[\p{L}\d][\p{L}\d\-_/.]*$/u.test(cleaned)) return [];
    if (findDates(cleaned).length > 0) return [];
    if (/^\d{1,3}(?:[.,]\d{3})*[.,]\d{2}$/.test(cleaned)) return [];
    const index = (w.index ?? 0) + token.indexOf(cleaned);
    return [{ value: cleaned, index, length: cleaned.length, raw: cleaned, quality: /\d{3}/.test(cleaned) ? 1 : 0.8 }];
  }
  return [];
};

/** Dates in the text (order unresolved: the document decides day-first vs month-first). */
export const parseDate: ValueParser<DateMatch> = (text) =>
  findDates(text).map((d) => ({ value: d, index: d.index, length: d.length, raw: d.raw, quality: 1 }));

export interface MoneyValue {
  amount: number;
  currencyMark?: string;
}

/**
 * Money amounts: numbers with decimals or a currency mark. Bare integers are kept only with a mark
 * ("Rs 1939"), since a lone integer on a totals row is more often a quantity or a count.
 */
export function moneyParser(hint: DecimalSeparator | undefined): ValueParser<MoneyValue> {
  return (text) => findAmounts(text, hint)
    .filter((a) => a.hasDecimals || a.currencyMark)
    .map((a): ParsedValue<MoneyValue> => {
      const value: MoneyValue = { amount: a.value };
      if (a.currencyMark) value.currencyMark = a.currencyMark;
      return { value, index: a.index, length: a.length, raw: a.raw, quality: a.hasDecimals ? 1 : 0.85 };
    });
}

/** Free text after a label (payment terms), trimmed to the segment. */
export const parseText: ValueParser<string> = (text) => {
  const t = text.trim();
  if (t.length < 2 || !/\p{L}|\d/u.test(t)) return [];
  return [{ value: t, index: text.indexOf(t), length: t.length, raw: t, quality: 1 }];
};

/** A reference code (purchase order): first word with a digit or a code-like shape. */
export const parseReference: ValueParser<string> = (text) => {
  const w = /\S+/.exec(text.trim() === '' ? '' : text);
  if (!w) return [];
  const v = w[0].replace(/[,;.]+$/, '');
  if (v.length < 2 || !/\d|[_-]/.test(v)) return [];
  return [{ value: v, index: w.index, length: v.length, raw: v, quality: 1 }];
};

import { findDates } from './dates.js';
import type { ValueParser } from './candidates.js';

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
    // A word ending in a colon, or an abbreviation like "P.O." / "S.O." (read "P.0." by OCR), is the
    // next label, not a value: "Invoice No.   P.O. / S.O.: 4711" has no invoice number.
    if (/:$/.test(token) || /^[\p{L}][.][\p{L}\d][.]?[:/]?$/u.test(token)) return [];
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

/** Free text after a label (payment terms), trimmed to the segment. */
export const parseText: ValueParser<string> = (text) => {
  const t = text.trim();
  if (t.length < 2 || !/\p{L}|\d/u.test(t)) return [];
  return [{ value: t, index: text.indexOf(t), length: t.length, raw: t, quality: 1 }];
};

/**
 * A letter prefix ending in a zero before the separator ("P0-848783"): OCR engines read the O of "PO-" as a zero
 * (PP-OCR does so often), and no numbering scheme puts a lone zero between its letters and the separator.
 */
const ZERO_FOR_O = /^(\p{Lu}+)0(?=[-_/#])/u;

/** A reference code (purchase order): first word with a digit or a code-like shape. */
export const parseReference: ValueParser<string> = (text) => {
  const w = /\S+/.exec(text.trim() === '' ? '' : text);
  if (!w) return [];
  const raw = w[0].replace(/[,;.]+$/, '');
  if (raw.length < 2 || !/\d|[_-]/.test(raw)) return [];
  return [{ value: raw.replace(ZERO_FOR_O, '$1O'), index: w.index, length: raw.length, raw, quality: 1 }];
};

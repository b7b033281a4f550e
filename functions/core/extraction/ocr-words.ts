/**
 * Label words with one misread letter ("Rourding RM 37.45", "Subtota1"): OCR on thermal receipts gets one
 * glyph of a long word wrong often enough that an exact label match misses the meaning of the line. A word of
 * at least MIN_LENGTH characters that is one substitution of look-alike glyphs (n/r, l/1, m/n, o/0...) away from
 * exactly one label word is read as that word. Long words and look-alikes only, so that a real word one letter
 * from a label word ("Founding") keeps its meaning.
 */

const MIN_LENGTH = 7;

/** Long words of the money labels (amounts.ts), lower case. */
const LABEL_WORDS = [
  'rounding', 'rounded', 'subtotal', 'inclusive', 'including', 'excluding', 'exclusive', 'discount', 'payment',
  'tendered', 'balance', 'payable', 'rundung', 'zwischensumme', 'gesamtbetrag', 'rechnungsbetrag',
  'endbetrag', 'bruttobetrag', 'nettobetrag', 'gesamtsumme', 'wechselgeld', 'rückgeld', 'montant', 'arrondi',
  // Document titles: a misread "TAX INYOICE" is a title, not the name of a shop (parties.ts).
  'invoice', 'receipt',
].filter((w) => w.length >= MIN_LENGTH);

const BY_LENGTH = new Map<number, string[]>();
for (const w of LABEL_WORDS) BY_LENGTH.set(w.length, [...(BY_LENGTH.get(w.length) ?? []), w]);

/** Pairs of glyphs tesseract confuses on low-resolution print (both orders). */
const LOOK_ALIKES = new Set(['rn', 'mn', 'un', 'hn', 'hb', 'l1', 'li', 'i1', 'o0', 'co', 'ao', 'ae', 'ce', 'ad', 's5', 'b6', 'b8', 'g9', 'gq', 'z2', 'ft', 'lt', 'vy']
  .flatMap((p) => [p, `${p[1]}${p[0]}`]));

function oneLookAlikeAway(word: string, label: string): boolean {
  let diff = 0;
  for (let i = 0; i < word.length && diff <= 1; i++) {
    if (word[i] === label[i]) continue;
    if (!LOOK_ALIKES.has(`${word[i]}${label[i]}`)) return false;
    diff++;
  }
  return diff === 1;
}

/** The word's label word when it is a one-glyph misread of exactly one, else the word itself. */
function repairWord(word: string): string {
  const lower = word.toLowerCase();
  // Positions in the label phrase must not move (classifyLabel reports where the label starts).
  if (lower.length !== word.length) return word;
  const near = (BY_LENGTH.get(lower.length) ?? []).filter((w) => oneLookAlikeAway(lower, w));
  return near.length === 1 ? near[0]! : word;
}

/** The text with every long word that is a one-glyph misread of a label word replaced by that word (same length). */
export function repairLabelWords(text: string): string {
  return text.replace(/[\p{L}\d]{7,}/gu, (word) => (/\p{L}{3}/u.test(word) ? repairWord(word) : word));
}

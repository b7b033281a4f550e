import { describe, expect, it } from 'vitest';
import { ppocrPattern, restoreLatinLetters } from '../../functions/adapters/local/ocr/latin-letters.js';
import type { Line, Token } from '../../functions/core/ocr-document.js';
import type { OcrLines } from '../../functions/adapters/local/ocr/tesseract-pool.js';

/**
 * German and French pages: PP-OCR's reading with the letters it cannot write (accents, ß, € and £) taken from
 * tesseract's reading of the same page, word by word and place by place.
 */

/** A line of words laid out from `x` at 0.01 of the page per character, 0.02 high, at height `y`. */
function line(words: string[], x: number, y: number, confidence = 0.9): Line {
  const tokens: Token[] = [];
  let at = x;
  for (const w of words) {
    tokens.push({ text: w, box: { x: at, y, w: 0.01 * [...w].length, h: 0.02 }, confidence });
    at += 0.01 * ([...w].length + 1);
  }
  const last = tokens[tokens.length - 1]!;
  return { text: words.join(' '), box: { x, y, w: last.box.x + last.box.w - x, h: 0.02 }, confidence, tokens };
}

const reading = (...lines: Line[]): OcrLines => ({ lines, confidence: 0.9 });
const texts = (r: OcrLines) => r.lines.map((l) => l.text);

describe('what PP-OCR may have written for a word', () => {
  it('matches the bare letter, the letter itself and the forms of ß, € and £', () => {
    expect(ppocrPattern('fällig')!.test('fallig')).toBe(true);
    expect(ppocrPattern('fällig')!.test('fällig')).toBe(true);
    expect(ppocrPattern('Straße')!.test('StraBe')).toBe(true);
    expect(ppocrPattern('Straße')!.test('Strasse')).toBe(true);
    expect(ppocrPattern('réception')!.test('reception')).toBe(true);
    expect(ppocrPattern('1.134,49€')!.test('1.134,49')).toBe(true);
    expect(ppocrPattern('1.134,49€')!.test('1.134,49E')).toBe(true);
    expect(ppocrPattern('Größe')!.test('Grobe')).toBe(true);
  });

  it('matches nothing else, and gives no pattern for a word PP-OCR can write', () => {
    expect(ppocrPattern('fällig')!.test('fallen')).toBe(false);
    expect(ppocrPattern('1.134,49€')!.test('1.134,40')).toBe(false);
    expect(ppocrPattern('à')!.test('a.')).toBe(false);
    expect(ppocrPattern('Rechnung')).toBeUndefined();
    expect(ppocrPattern('1.134,49')).toBeUndefined();
    // Characters that mean something in a regex are taken literally.
    expect(ppocrPattern('(é)')!.test('(e)')).toBe(true);
    expect(ppocrPattern('(é)')!.test('xex')).toBe(false);
  });
});

describe('PP-OCR reading with tesseract letters', () => {
  it("takes tesseract's spelling of the words read alike at the same place, and keeps PP-OCR's digits and boxes", () => {
    const pp = reading(line(['Paiement', 'a', 'reception'], 0.1, 0.5), line(['Total', 'TTC', '1', '443,37'], 0.1, 0.6));
    const tess = reading(line(['Paiement', 'à', 'réception'], 0.1, 0.5), line(['Total', 'TTC', '1', '448,37'], 0.1, 0.6));
    const merged = restoreLatinLetters(pp, tess);
    expect(texts(merged)).toEqual(['Paiement à réception', 'Total TTC 1 443,37']);
    expect(merged.lines[0]!.tokens.map((t) => t.box)).toEqual(pp.lines[0]!.tokens.map((t) => t.box));
    expect(merged.confidence).toBe(pp.confidence);
  });

  it('keeps the words the engines read differently, and a word tesseract read on another line', () => {
    const pp = reading(line(['Sofort', 'fallig'], 0.1, 0.3), line(['Grobe', 'Menge'], 0.1, 0.7));
    const tess = reading(line(['Sofort', 'fällig'], 0.5, 0.3), line(['Größe'], 0.1, 0.4), line(['Gröbe', 'Menge'], 0.1, 0.7));
    // "fällig" is elsewhere on the line (no overlap with PP-OCR's word); "Größe" is on another line; "Gröbe"
    // matches "Grobe" at its place.
    expect(texts(restoreLatinLetters(pp, tess))).toEqual(['Sofort fallig', 'Gröbe Menge']);
  });

  it('puts a lone € that PP-OCR dropped on the line it ends, once', () => {
    const pp = reading(line(['Total', 'HT'], 0.1, 0.44), line(['1202,81'], 0.7, 0.44), line(['Reste', '5,00', '€'], 0.1, 0.8));
    const tess = reading(line(['Total', 'HT', '1', '202,81'], 0.1, 0.44), line(['€'], 0.78, 0.44), line(['€'], 0.23, 0.8));
    const merged = restoreLatinLetters(pp, tess);
    expect(texts(merged)).toEqual(['Total HT', '1202,81 €', 'Reste 5,00 €']);
    expect(merged.lines[1]!.box.x + merged.lines[1]!.box.w).toBeCloseTo(0.79);
  });

  it('returns the PP-OCR reading unchanged when tesseract read nothing PP-OCR cannot write', () => {
    const pp = reading(line(['Rechnung', 'RE-2024'], 0.1, 0.1));
    expect(restoreLatinLetters(pp, reading(line(['Rechnung', 'RE-2O24'], 0.1, 0.1)))).toEqual(pp);
    expect(restoreLatinLetters(pp, reading())).toEqual(pp);
  });
});

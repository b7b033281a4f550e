/**
 * PP-OCR reads German and French pages' digits, dates, amounts and names better than tesseract (generated scans:
 * totals, numbers and dates 10-30 points higher), but its recognizer was trained mostly on Chinese: its alphabet
 * has no ö, ß, ç, ê, ô, € or £, and it writes the accented letters it has as their bare form ("Paiement a
 * réception" comes out "Paiement a reception"). Those letters carry labels ("Facturé à", "fällig") and names.
 *
 * So a German or French page is read by both engines, and PP-OCR's reading is kept: its lines, boxes, digits and
 * confidences. Each of its words takes tesseract's spelling where tesseract read a word at the same place whose
 * letters are the same up to the ones PP-OCR cannot write (an accent dropped, ß as "B", "b", "ss" or "s", a € lost or
 * read as "E" or "C"). A word the two engines read differently otherwise stays PP-OCR's. A € or £ that tesseract
 * reads as a word of its own where PP-OCR read nothing ("1 443,37 €") joins the PP-OCR line it ends or starts.
 * Hand-written: the merge is specific to the two engines' alphabets, and no npm package aligns two OCR readings.
 */
import type { Line, Token } from '../../../core/ocr-document.js';
import type { OcrLines } from './tesseract-pool.js';

/** What PP-OCR writes for a character outside its alphabet (or one it rarely writes), as a regex alternative. */
const PPOCR_FORMS: Record<string, string> = {
  ß: '(?:ß|ss|s|B|b|β)',
  '€': '(?:€|E|C)?',
  '£': '(?:£|E|f)?',
};

/** Token boxes of a PP-OCR line are estimated from character counts: a match may sit this share of a width off. */
const SLACK = 0.3;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** True for a character PP-OCR does not write (or writes bare): a letter with a diacritic, ß, € or £. */
function isSpecial(c: string): boolean {
  return c in PPOCR_FORMS || (/\p{L}/u.test(c) && c.normalize('NFD') !== c);
}

/**
 * A pattern matching what PP-OCR may have written for tesseract's `word`, or undefined when the word has no
 * letter PP-OCR cannot write (then there is nothing to restore).
 */
export function ppocrPattern(word: string): RegExp | undefined {
  let source = '';
  let special = false;
  for (const c of word) {
    if (!isSpecial(c)) { source += escape(c); continue; }
    special = true;
    const bare = c.normalize('NFD').replace(/\p{M}/gu, '');
    source += PPOCR_FORMS[c] ?? `[${escape(c)}${escape(bare)}]`;
  }
  return special ? new RegExp(`^${source}$`, 'u') : undefined;
}

const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/** A currency mark standing alone: the one kind of word PP-OCR drops entirely rather than misspells. */
const LONE_MARK = /^[€£]$/u;

/** PP-OCR's reading with tesseract's spelling of the words both read alike but for letters PP-OCR cannot write. */
export function restoreLatinLetters(ppocr: OcrLines, tesseract: OcrLines): OcrLines {
  const tokens = tesseract.lines.flatMap((l) => l.tokens);
  const words = tokens.flatMap((t) => {
    const pattern = LONE_MARK.test(t.text) ? undefined : ppocrPattern(t.text);
    return pattern ? [{ token: t, pattern }] : [];
  });
  const respelled = words.length === 0 ? ppocr.lines : respell(ppocr.lines, words);
  const marks = tokens.filter((t) => LONE_MARK.test(t.text));
  return { ...ppocr, lines: marks.reduce(addLoneMark, respelled) };
}

/** The line a lone mark belongs to: one whose middle it shares, within 1.5 line heights of its ends or inside it. */
function addLoneMark(lines: Line[], mark: Token): Line[] {
  const cy = mark.box.y + mark.box.h / 2;
  let best: { index: number; gap: number } | undefined;
  lines.forEach((line, index) => {
    if (cy < line.box.y || cy > line.box.y + line.box.h) return;
    // The detector's box often covers the mark the recognizer dropped: only a mark already read rules a line out.
    if (/[€£]/u.test(line.text)) return;
    const gap = Math.max(line.box.x - (mark.box.x + mark.box.w), mark.box.x - (line.box.x + line.box.w), 0);
    if (gap <= 1.5 * line.box.h && (!best || gap < best.gap)) best = { index, gap };
  });
  if (!best) return lines;
  const line = lines[best.index]!;
  const tokens = [...line.tokens, { ...mark, confidence: line.confidence }].sort((a, b) => a.box.x - b.box.x);
  const x0 = Math.min(line.box.x, mark.box.x), x1 = Math.max(line.box.x + line.box.w, mark.box.x + mark.box.w);
  const added: Line = { ...line, tokens, text: tokens.map((t) => t.text).join(' '), box: { ...line.box, x: x0, w: x1 - x0 } };
  return lines.map((l, i) => (i === best!.index ? added : l));
}

function respell(lines: readonly Line[], words: ReadonlyArray<{ token: Token; pattern: RegExp }>): Line[] {
  return lines.map((line): Line => {
    const inLine = words.filter(({ token: t }) => {
      const cy = t.box.y + t.box.h / 2;
      return cy >= line.box.y && cy <= line.box.y + line.box.h && overlap(t.box.x, t.box.x + t.box.w, line.box.x, line.box.x + line.box.w) > 0;
    });
    if (inLine.length === 0) return line;
    let changed = false;
    const tokens = line.tokens.map((token): Token => {
      const x0 = token.box.x - SLACK * token.box.w, x1 = token.box.x + (1 + SLACK) * token.box.w;
      let best: { text: string; shared: number } | undefined;
      for (const w of inLine) {
        const shared = overlap(x0, x1, w.token.box.x, w.token.box.x + w.token.box.w);
        if (shared > 0 && w.pattern.test(token.text) && (!best || shared > best.shared)) best = { text: w.token.text, shared };
      }
      if (!best || best.text === token.text) return token;
      changed = true;
      return { ...token, text: best.text };
    });
    return changed ? { ...line, tokens, text: tokens.map((t) => t.text).join(' ') } : line;
  });
}

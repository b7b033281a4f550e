import { union, type Box } from '../geometry.js';
import type { Line, OcrDocument, Token } from '../ocr-document.js';

/**
 * Page layout as the extractor sees it: every OCR line is cut into "segments" where the horizontal gap
 * between tokens is wider than a space (a column gap), so that "Invoice No:   123" and a right-aligned
 * "Total  1.234,56" behave the same whether the engine returned them as one line or several. Coordinates
 * are converted to points so gaps compare with font heights.
 */

export interface Segment {
  page: number;
  /** Index among the page's segments in reading order. */
  id: number;
  text: string;
  tokens: Token[];
  /** Start offset of each token in `text`. */
  starts: number[];
  box: Box;
  /** Box in points (x, y, w, h) for geometric comparisons. */
  pt: { x0: number; y0: number; x1: number; y1: number; h: number };
}

export interface PageLayout {
  page: number;
  width: number;
  height: number;
  segments: Segment[];
}

function makeSegment(page: number, tokens: Token[], width: number, height: number): Omit<Segment, 'id'> {
  const starts: number[] = [];
  let text = '';
  for (const t of tokens) {
    if (text) text += ' ';
    starts.push(text.length);
    text += t.text;
  }
  const box = union(tokens.map((t) => t.box));
  const hs = tokens.map((t) => t.box.h * height).sort((a, b) => a - b);
  const h = hs[Math.floor(hs.length / 2)] ?? box.h * height;
  return {
    page, text, tokens, starts, box,
    pt: { x0: box.x * width, y0: box.y * height, x1: (box.x + box.w) * width, y1: (box.y + box.h) * height, h: Math.max(h, 1) },
  };
}

/**
 * Lines for text that has no geometry (a .txt invoice, or an OCR response with text but no lines): one
 * line per text line, one token per word, x from the character column as on a monospaced page. The page
 * size makes one column ~6 pt wide and one row ~12 pt high, like print.
 */
export function linesFromPlainText(text: string): { width: number; height: number; lines: Line[] } {
  const rows = text.replace(/\r\n?/g, '\n').split('\n');
  const cols = Math.max(80, ...rows.map((r) => r.length));
  const count = Math.max(60, rows.length);
  const lines = rows.flatMap((row, i): Line[] => {
    const tokens = [...row.matchAll(/\S+/g)].map((m) => ({
      text: m[0],
      box: { x: (m.index ?? 0) / cols, y: i / count, w: m[0].length / cols, h: 0.8 / count },
      confidence: 1,
    }));
    const first = tokens[0], last = tokens[tokens.length - 1];
    if (!first || !last) return [];
    return [{ text: tokens.map((t) => t.text).join(' '), box: { x: first.box.x, y: first.box.y, w: last.box.x + last.box.w - first.box.x, h: 0.8 / count }, confidence: 1, tokens }];
  });
  return { width: cols * 6, height: count * 12, lines };
}

/**
 * OCR on widely spaced receipt print splits an amount after its decimal point ("50." "00"): two such tokens
 * about a space apart (well under a column gap) are one amount again, "50.00".
 */
function joinSplitDecimals(tokens: readonly Token[], width: number, height: number): Token[] {
  const out: Token[] = [];
  for (const t of tokens) {
    const prev = out[out.length - 1];
    if (prev && /\d[.,]$/.test(prev.text) && /^\d{2}(?!\d)/.test(t.text)
      && t.box.x * width - (prev.box.x + prev.box.w) * width < 0.8 * Math.max(t.box.h, prev.box.h) * height) {
      out[out.length - 1] = { text: `${prev.text}${t.text}`, box: union([prev.box, t.box]), confidence: Math.min(prev.confidence, t.confidence) };
      continue;
    }
    out.push(t);
  }
  return out;
}

/** Splits each line of each page into column segments. */
export function buildLayout(doc: OcrDocument): PageLayout[] {
  const noLines = doc.pages.every((p) => p.lines.length === 0);
  if (noLines && doc.text.trim() !== '') {
    return buildLayout({
      ...doc,
      pages: doc.text.split('\f').map((pageText, i) => {
        const { width, height, lines } = linesFromPlainText(pageText);
        return { pageNumber: i + 1, width, height, textSource: 'text-layer' as const, lines, quality: null, languages: [] };
      }),
    });
  }
  return doc.pages.map((p) => {
    const segs: Array<Omit<Segment, 'id'>> = [];
    for (const line of p.lines) {
      const read = (line.tokens.length > 0 ? line.tokens : [{ text: line.text, box: line.box, confidence: line.confidence }])
        .filter((t) => t.text.trim() !== '')
        .slice()
        .sort((a, b) => a.box.x - b.box.x);
      const tokens = p.textSource === 'text-layer' ? read : joinSplitDecimals(read, p.width, p.height);
      let current: Token[] = [];
      let prevEnd = -Infinity;
      for (const t of tokens) {
        const x0 = t.box.x * p.width;
        const h = t.box.h * p.height;
        // Wider than ~1.2 font heights is a column gap, not a word space.
        if (current.length > 0 && x0 - prevEnd > Math.max(1.2 * h, 6)) {
          segs.push(makeSegment(p.pageNumber, current, p.width, p.height));
          current = [];
        }
        current.push(t);
        prevEnd = Math.max(prevEnd, (t.box.x + t.box.w) * p.width);
      }
      if (current.length > 0) segs.push(makeSegment(p.pageNumber, current, p.width, p.height));
    }
    segs.sort((a, b) => a.pt.y0 - b.pt.y0 || a.pt.x0 - b.pt.x0);
    return { page: p.pageNumber, width: p.width, height: p.height, segments: segs.map((s, id) => ({ ...s, id })) };
  });
}

/** Box of the characters [from, to) of a segment (the union of the tokens they touch). */
export function subBox(seg: Segment, from: number, to: number): Box {
  const picked = seg.tokens.filter((t, i) => {
    const s = seg.starts[i] ?? 0;
    return s < to && s + t.text.length > from;
  });
  return picked.length > 0 ? union(picked.map((t) => t.box)) : seg.box;
}

/** Horizontal extent in points of the characters [from, to) of a segment. */
export function subExtent(seg: Segment, page: PageLayout, from: number, to: number): { x0: number; x1: number } {
  const b = subBox(seg, from, to);
  return { x0: b.x * page.width, x1: (b.x + b.w) * page.width };
}

function vCenter(s: Segment): number {
  return (s.pt.y0 + s.pt.y1) / 2;
}

/** Segments on the same visual row as `seg` and to its right (x ≥ `fromX`), nearest first. */
export function rightOf(page: PageLayout, seg: Segment, fromX: number): Segment[] {
  const cy = vCenter(seg);
  return page.segments
    .filter((s) => s !== seg && s.pt.x0 >= fromX - 1 && Math.abs(vCenter(s) - cy) < Math.max(Math.min(s.pt.h, seg.pt.h) * 0.6, 2))
    .sort((a, b) => a.pt.x0 - b.pt.x0);
}

/**
 * Segments below the horizontal extent [x0, x1] of a label, nearest first, within `maxLines` line
 * heights of each other (a column read downwards until a gap).
 */
export function below(page: PageLayout, seg: Segment, x0: number, x1: number, maxLines = 2.6): Segment[] {
  const out: Segment[] = [];
  let bottom = seg.pt.y1;
  const h = seg.pt.h;
  const candidates = page.segments
    .filter((s) => s.pt.y0 >= seg.pt.y1 - h * 0.3 && s !== seg)
    .filter((s) => s.pt.x0 < x1 + h * 0.5 && s.pt.x1 > x0 - h * 0.5)
    .sort((a, b) => a.pt.y0 - b.pt.y0);
  for (const s of candidates) {
    if (s.pt.y0 - bottom > h * maxLines) break;
    out.push(s);
    bottom = s.pt.y1;
  }
  return out;
}

/** The tokens of `seg` that horizontally overlap [x0, x1] (plus tight continuations), as text. */
export function textUnder(seg: Segment, page: PageLayout, x0: number, x1: number): { text: string; from: number; to: number } | null {
  const h = seg.pt.h;
  let first = -1, last = -1;
  for (let i = 0; i < seg.tokens.length; i++) {
    const t = seg.tokens[i]!;
    const tx0 = t.box.x * page.width, tx1 = (t.box.x + t.box.w) * page.width;
    if (tx0 < x1 + h * 0.3 && tx1 > x0 - h * 0.3) { if (first < 0) first = i; last = i; }
  }
  if (first < 0) return null;
  // A value may be wider than its label ("29 December 2024" under "Date"): keep the words that continue it
  // at a word space; a wider gap inside the segment is the next column.
  const gapOk = (a: Token, b: Token) => (b.box.x - (a.box.x + a.box.w)) * page.width <= h * 0.6;
  while (last + 1 < seg.tokens.length && gapOk(seg.tokens[last]!, seg.tokens[last + 1]!)) last++;
  while (first > 0 && gapOk(seg.tokens[first - 1]!, seg.tokens[first]!)) first--;
  const from = seg.starts[first] ?? 0;
  const lastTok = seg.tokens[last]!;
  const to = (seg.starts[last] ?? 0) + lastTok.text.length;
  return { text: seg.text.slice(from, to), from, to };
}

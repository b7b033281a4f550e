/**
 * Layout of positioned text runs into tokens and lines, shared by the PDF text layer.
 * Pure: works in page coordinates (points, origin top-left) and normalizes boxes to 0..1 at the end.
 */
import { union, type Box } from '../../../core/geometry.js';
import type { Line, Token } from '../../../core/ocr-document.js';

/** One run of text as a PDF content stream draws it (a pdfjs text item mapped to top-left coordinates). */
export interface TextRun {
  str: string;
  /** Left edge of the run. */
  x: number;
  /** Baseline, measured downwards from the top of the page. */
  baseline: number;
  /** Advance width of the whole run. */
  width: number;
  /** Font size (em height) in page units. */
  fontSize: number;
}

interface PlacedToken {
  text: string;
  x0: number;
  x1: number;
  baseline: number;
  fontSize: number;
}

/** Share of the em box above the baseline: typical Latin ascent, so boxes hug the glyphs without clipping. */
const ASCENT = 0.8;
const DESCENT = 0.2;
/**
 * Two runs closer than this (in em) with no space between them belong to one word: producers split words for
 * kerning ("Rech" + "nung"); a real word space is ~0.25 em.
 */
const JOIN_GAP_EM = 0.12;
/**
 * A horizontal gap wider than this (in em) starts a new line segment, so that table columns and label/value
 * pairs far apart stay separate lines; justified text rarely stretches a space beyond ~0.6 em.
 */
const COLUMN_GAP_EM = 1.0;
/** Baselines closer than this share of the font size are one row (tolerates sub/superscript jitter). */
const ROW_TOLERANCE_EM = 0.4;

/** Splits runs on whitespace into word tokens, spreading the run width over characters proportionally. */
function splitRuns(runs: readonly TextRun[]): PlacedToken[] {
  const out: PlacedToken[] = [];
  for (const run of runs) {
    if (run.fontSize <= 0 || !/\S/.test(run.str)) continue;
    const chars = [...run.str];
    const perChar = chars.length > 0 ? run.width / chars.length : 0;
    let i = 0;
    while (i < chars.length) {
      while (i < chars.length && /\s/.test(chars[i]!)) i++;
      const start = i;
      while (i < chars.length && !/\s/.test(chars[i]!)) i++;
      if (i > start) {
        out.push({
          text: chars.slice(start, i).join(''),
          x0: run.x + start * perChar,
          x1: run.x + i * perChar,
          baseline: run.baseline,
          fontSize: run.fontSize,
        });
      }
    }
  }
  return out;
}

/** Groups tokens into rows by baseline (greedy over tokens sorted top-down). */
function groupRows(tokens: PlacedToken[]): PlacedToken[][] {
  const sorted = [...tokens].sort((a, b) => a.baseline - b.baseline || a.x0 - b.x0);
  const rows: Array<{ baseline: number; fontSize: number; items: PlacedToken[] }> = [];
  for (const t of sorted) {
    const row = rows[rows.length - 1];
    if (row && Math.abs(t.baseline - row.baseline) <= ROW_TOLERANCE_EM * Math.min(row.fontSize, t.fontSize)) {
      row.items.push(t);
    } else {
      rows.push({ baseline: t.baseline, fontSize: t.fontSize, items: [t] });
    }
  }
  return rows.map((r) => r.items.sort((a, b) => a.x0 - b.x0));
}

/** Merges word fragments and splits a row into segments at column-sized gaps. */
function segmentRow(row: PlacedToken[]): PlacedToken[][] {
  const segments: PlacedToken[][] = [];
  let current: PlacedToken[] = [];
  for (const t of row) {
    const prev = current[current.length - 1];
    if (!prev) {
      current.push({ ...t });
      continue;
    }
    const em = Math.max(prev.fontSize, t.fontSize);
    const gap = t.x0 - prev.x1;
    if (gap <= JOIN_GAP_EM * em && gap >= -0.5 * em) {
      prev.text += t.text;
      prev.x1 = Math.max(prev.x1, t.x1);
    } else if (gap > COLUMN_GAP_EM * em) {
      segments.push(current);
      current = [{ ...t }];
    } else {
      current.push({ ...t });
    }
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function normalizedBox(x0: number, top: number, x1: number, bottom: number, pageW: number, pageH: number): Box {
  const x = clamp01(x0 / pageW);
  const y = clamp01(top / pageH);
  return { x, y, w: clamp01(x1 / pageW) - x, h: clamp01(bottom / pageH) - y };
}

/**
 * Lays out text runs of one page as lines in reading order (top to bottom, then left to right), with
 * tokens split on whitespace and boxes normalized to the page (0..1, origin top-left). Confidence is 1:
 * the text layer is what the producer wrote, not a guess.
 */
export function layoutRuns(runs: readonly TextRun[], pageWidth: number, pageHeight: number): Line[] {
  const lines: Line[] = [];
  for (const row of groupRows(splitRuns(runs))) {
    for (const segment of segmentRow(row)) {
      const tokens: Token[] = segment.map((t) => ({
        text: t.text,
        box: normalizedBox(
          t.x0,
          t.baseline - ASCENT * t.fontSize,
          t.x1,
          t.baseline + DESCENT * t.fontSize,
          pageWidth,
          pageHeight,
        ),
        confidence: 1,
      }));
      lines.push({
        text: tokens.map((t) => t.text).join(' '),
        box: union(tokens.map((t) => t.box)),
        confidence: 1,
        tokens,
      });
    }
  }
  return lines;
}

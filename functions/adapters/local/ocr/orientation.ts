/**
 * Pages fed upside down or sideways (a sheet turned in the scanner, a phone photo without an orientation tag).
 * PP-OCR's networks read only upright text and the OCR document's boxes must be in the frame of the upright page,
 * so a page that reads like a turned one is read again turned by each quarter and the reading with the most
 * surely read text is kept. PaddleOCR's own answer is a third network (the text-direction classifier), which the
 * shipped model package does not have; tesseract's orientation detection needs `osd.traineddata`, which no npm
 * data package carries. Reading again costs a page's recognition per turn tried, so only pages that read like
 * turned ones pay it.
 *
 * What a turned page reads like (generated scans turned by 90, 180 and 270 degrees, and sroie-dev receipts
 * turned on purpose, development part): upright pages read at a mean character probability of 0.94-0.96 with
 * 8-15 characters per line; upside down, at 0.62-0.85 with 1.5-4.5 characters per line (the detector finds the
 * lines, the recognizer reads fragments); sideways, most of the few boxes found are taller than wide.
 */
import type { Deadline } from './deadline.js';
import { raw, toGrey, type GreyImage } from './grey-image.js';
import { printedChars, type OcrLines } from './tesseract-pool.js';

export type QuarterTurns = 0 | 1 | 2 | 3;

/** Below this mean character probability a page may be turned... */
const UPRIGHT_CONFIDENCE = 0.8;
/** ...and below this many characters per line. */
const UPRIGHT_CHARS_PER_LINE = 6;
/** A turned reading replaces the first one only with this much more surely read text (and reads upright itself). */
const BETTER_BY = 2;

/** Characters read, weighted by how surely: a turned page's fragments weigh little. */
const weight = (r: OcrLines) => printedChars(r.lines) * r.confidence;
const tallLines = (r: OcrLines, page: GreyImage) => r.lines.filter((l) => l.box.h * page.height > l.box.w * page.width).length;

/** Whether a reading looks like that of an upright page. */
export function readsUpright(r: OcrLines, page: GreyImage): boolean {
  if (r.lines.length === 0) return false;
  if (tallLines(r, page) * 2 > r.lines.length) return false;
  return r.confidence >= UPRIGHT_CONFIDENCE || printedChars(r.lines) / r.lines.length >= UPRIGHT_CHARS_PER_LINE;
}

/**
 * Reads `page` with `read`; when the reading looks like that of a turned page, reads it turned clockwise by each
 * other quarter (the sideways ones first when the boxes are tall, else upside down first) and keeps the reading
 * with the most surely read text. Returns the reading, the page in its frame and the quarter turns applied.
 */
export async function readUpright(
  page: GreyImage,
  read: (page: GreyImage) => Promise<OcrLines>,
  deadline: Deadline,
): Promise<{ result: OcrLines; page: GreyImage; quarterTurns: QuarterTurns }> {
  const first = await read(page);
  if (readsUpright(first, page)) return { result: first, page, quarterTurns: 0 };
  const order: QuarterTurns[] = tallLines(first, page) * 2 > first.lines.length ? [1, 3, 2] : [2, 1, 3];
  let best = { result: first, page, quarterTurns: 0 as QuarterTurns };
  for (const turns of order) {
    deadline.check();
    const turned = await toGrey(raw(page).rotate(turns * 90));
    const result = await read(turned);
    if (weight(result) <= weight(best.result)) continue;
    best = { result, page: turned, quarterTurns: turns };
    if (weight(result) >= BETTER_BY * weight(first) && readsUpright(result, turned)) break;
  }
  return best;
}

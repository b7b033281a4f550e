import type { Box } from '../geometry.js';
import type { HeaderFields } from '../invoice/invoice.js';
import type { PageLayout } from './layout.js';

/**
 * Field confidences derived from the evidence behind each value, never from a constant per source:
 * - independent pieces of evidence that the value is the field combine as 1 - Π(1 - p) (a label alone leaves
 *   doubt; a label plus an arithmetic agreement, or the same value printed twice, removes most of it);
 * - a close competitor (another value the page supports almost as well) lowers it;
 * - how cleanly the OCR engine read the characters scales it (text layers read with confidence 1).
 * The probabilities are rough likelihoods set on the development part of the public corpora and checked
 * against the reliability targets of `npm run eval` (right >= 97 % of the time at >= 0.9).
 */

/** Combines independent probabilities that a value is right: 1 - Π(1 - p). */
export function combine(...ps: number[]): number {
  return 1 - ps.reduce((q, p) => q * (1 - Math.max(0, Math.min(1, p))), 1);
}

/**
 * A factor for how surely a value's characters were read: 1 for a text layer (read with confidence 1),
 * 0.985 for a word an OCR engine read at 0.95, 0.88 at 0.6. A misread digit turns a right field into a wrong
 * one whatever its label, and OCR engines are sure of some misreads: only agreement with other fields (an
 * arithmetic check, a repeat) lifts a scanned value to the top of the scale.
 */
export function readFactor(read: number): number {
  return read >= 0.995 ? 1 : 0.7 + 0.3 * Math.max(0, Math.min(1, read));
}

/** The lowest OCR confidence of the tokens whose centre lies in `box`, or 1 when none does. */
export function readConfidence(layouts: readonly PageLayout[], page: number | undefined, box: Box | undefined): number {
  const layout = layouts.find((l) => l.page === page);
  if (!layout || !box) return 1;
  let min = 1;
  for (const seg of layout.segments) {
    if (seg.box.y > box.y + box.h || seg.box.y + seg.box.h < box.y) continue;
    for (const t of seg.tokens) {
      const cx = t.box.x + t.box.w / 2, cy = t.box.y + t.box.h / 2;
      if (cx >= box.x && cx <= box.x + box.w && cy >= box.y && cy <= box.y + box.h) min = Math.min(min, t.confidence);
    }
  }
  return min;
}

/**
 * Lowers a confidence when a competitor is close: `margin` is the score of the chosen reading minus the best
 * reading with another value (scores of the field's chooser, ~0..2).
 */
export function competition(margin: number): number {
  if (margin >= 0.5) return 1;
  if (margin <= 0) return 0.6;
  return 0.6 + 0.8 * margin;
}

/** Scales the fields other than the amounts and dates (which weigh their own reads) by how cleanly they were read. */
export function weighByReading(fields: HeaderFields, layouts: readonly PageLayout[], skip: ReadonlySet<string>): void {
  for (const [name, f] of Object.entries(fields)) {
    if (!f || skip.has(name) || f.source === 'derived') continue;
    f.confidence = Number((f.confidence * readFactor(readConfidence(layouts, f.pageNumber, f.box))).toFixed(3));
  }
}

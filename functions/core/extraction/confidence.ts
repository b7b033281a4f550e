import type { Box } from '../geometry.js';
import type { HeaderFields } from '../invoice/invoice.js';
import type { PageLayout } from './layout.js';

/**
 * Field confidences adjusted by what the page itself says: how surely the OCR engine read the characters
 * of a value, and whether the amounts agree with each other. A text layer reads with confidence 1, so only
 * scans are touched by the first; the second applies to every document.
 */

/** OCR token confidence at which a value counts as read cleanly (tesseract gives clean words ~0.9). */
const CLEAN_READ = 0.85;

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

/** Scales every field's confidence by how cleanly its characters were read (1 for clean reads). */
export function weighByReading(fields: HeaderFields, layouts: readonly PageLayout[]): void {
  for (const f of Object.values(fields)) {
    if (!f) continue;
    const factor = Math.min(1, readConfidence(layouts, f.pageNumber, f.box) / CLEAN_READ);
    f.confidence = Number((f.confidence * factor).toFixed(3));
  }
}

const cents = (a: number, b: number) => Math.abs(a - b) < 0.011;

/**
 * Net + tax = total settles all three: agreeing amounts are raised to at least 0.9, disagreeing ones are
 * lowered (one of them is misread or mislabelled, and the page does not say which).
 */
export function crossCheckAmounts(fields: HeaderFields): void {
  const { net_amount: net, total_tax_amount: tax, total_amount: total } = fields;
  if (!net || !tax || !total) return;
  if (cents(net.value + tax.value, total.value)) {
    for (const f of [net, tax, total]) f.confidence = Math.max(f.confidence, 0.9);
  } else {
    net.confidence = Number((net.confidence * 0.6).toFixed(3));
    tax.confidence = Number((tax.confidence * 0.6).toFixed(3));
    total.confidence = Number((total.confidence * 0.8).toFixed(3));
  }
  const due = fields.amount_due;
  if (due?.source === 'derived' && !cents(net.value + tax.value, total.value)) due.confidence = Number((due.confidence * 0.8).toFixed(3));
}

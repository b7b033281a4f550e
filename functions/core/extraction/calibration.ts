import { z } from 'zod';
import type { HeaderFields } from '../invoice/invoice.js';
import type { OcrDocument } from '../ocr-document.js';
import table from './calibration.json' with { type: 'json' };

/**
 * Calibration of the field confidences. The extractor's evidence (labels, arithmetic agreements, competitors,
 * OCR read quality) gives a raw score per field; this maps it, per field and per medium (a text layer or an
 * OCR'd scan), to the share of values with that score that were right on the development part of the public
 * corpora: a confidence of 0.9 means "right about 9 times in 10". The table (calibration.json) is fitted by
 * `test/eval/fit-calibration.ts` (isotonic regression with the pool-adjacent-violators algorithm, each block
 * shrunk towards the raw score) and records the data snapshot it was fitted on. Fields read from OCR
 * entities (Document AI) and the e-invoice path keep their own confidences.
 */

export const CALIBRATED_FIELDS = ['invoice_id', 'invoice_date', 'total_amount', 'currency', 'supplier_name'] as const;
export type CalibratedField = (typeof CALIBRATED_FIELDS)[number];
export type Medium = 'text' | 'ocr';

const CurveSchema = z.object({
  /** Observations the curve was fitted on. */
  n: z.number().int().nonnegative(),
  /** The lowest and highest raw score observed: outside it the data says nothing and the raw score stays. */
  range: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]),
  /** [raw score, calibrated confidence] points, raw ascending, confidence non-decreasing; linear between them. */
  knots: z.array(z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)])).min(1),
});

export const CalibrationTableSchema = z.object({
  version: z.number().int().positive(),
  method: z.literal('isotonic'),
  /** What the table was fitted on (split, corpora, a hash of the files and labels, the OCR engine). */
  fittedOn: z.record(z.string(), z.unknown()),
  /** Curves by "<field>|<medium>", with "<field>" (both media pooled) for a medium without enough data. */
  curves: z.record(z.string(), CurveSchema),
});
export type CalibrationTable = z.infer<typeof CalibrationTableSchema>;
export type Curve = z.infer<typeof CurveSchema>;

export const CALIBRATION: CalibrationTable = CalibrationTableSchema.parse(table);

/** A curve needs this many observations; below it the pooled curve of the field is used. */
export const MIN_CURVE_OBSERVATIONS = 15;

/**
 * The calibrated confidence of a raw score on `curve`: linear between its knots, flat from the last knot to
 * the edge of the observed range. A raw score outside the observed range (evidence weaker or stronger than
 * any seen while fitting) keeps its own value, bounded so that the mapping stays non-decreasing.
 */
export function applyCurve(curve: Curve, raw: number): number {
  const k = curve.knots;
  const first = k[0]!, last = k[k.length - 1]!;
  if (raw < curve.range[0]) return Math.min(raw, first[1]);
  if (raw > curve.range[1]) return Math.max(raw, last[1]);
  if (raw <= first[0]) return first[1];
  if (raw >= last[0]) return last[1];
  for (let i = 1; i < k.length; i++) {
    const [x1, y1] = k[i]!;
    const [x0, y0] = k[i - 1]!;
    if (raw <= x1) return x1 === x0 ? y1 : y0 + ((raw - x0) / (x1 - x0)) * (y1 - y0);
  }
  return last[1];
}

/** The curve for a field read from `medium`, or undefined when the table has none (the raw score stays). */
export function curveFor(field: CalibratedField, medium: Medium, t: CalibrationTable = CALIBRATION): Curve | undefined {
  const own = t.curves[`${field}|${medium}`];
  if (own && own.n >= MIN_CURVE_OBSERVATIONS) return own;
  const pooled = t.curves[field];
  return pooled && pooled.n >= MIN_CURVE_OBSERVATIONS ? pooled : undefined;
}

/**
 * Which pages of `doc` were read from an image (OCR or Document AI): `mostlyOcr` when most were, and the medium
 * of a page by its number (a field without a page takes the medium of most pages).
 */
export function pageMedia(doc: Pick<OcrDocument, 'pages'>): { mostlyOcr: boolean; mediumOf: (page: number | undefined) => Medium } {
  const ocrPages = new Set(doc.pages.filter((p) => p.textSource === 'ocr' || p.textSource === 'docai').map((p) => p.pageNumber));
  const mostlyOcr = ocrPages.size * 2 > doc.pages.length;
  return { mostlyOcr, mediumOf: (page) => ((page === undefined ? mostlyOcr : ocrPages.has(page)) ? 'ocr' : 'text') };
}

/**
 * Replaces the raw confidence of each calibrated field found from the page by its calibrated value, in place.
 * `mediumOf` tells whether the page a field was read from is a text layer or an OCR'd image.
 */
export function calibrateFields(fields: HeaderFields, mediumOf: (page: number | undefined) => Medium, t: CalibrationTable = CALIBRATION): void {
  for (const name of CALIBRATED_FIELDS) {
    const f = fields[name];
    if (!f || f.source === 'ocr-entity' || f.source === 'einvoice') continue;
    const curve = curveFor(name, mediumOf(f.pageNumber), t);
    if (curve) f.confidence = Math.max(0.01, Math.min(0.99, Number(applyCurve(curve, f.confidence).toFixed(3))));
  }
}

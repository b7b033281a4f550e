import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../functions/core/features/schema.js';
import { calibrate, calibrateAll, CalibratorSchema, matrixFeatures, type Calibrator } from '../../functions/core/training/calibration.js';
import type { Matrix } from '../../functions/core/training/matrix.js';
import { expectedCalibrationError } from '../../functions/core/training/metrics.js';
import { createRng } from '../../functions/core/training/random.js';
import { fitCalibration, MEDIUM_FEATURE, MIN_MEDIUM_ROWS } from '../../functions/training/train.js';

const MEDIUM = FEATURE_NAMES.indexOf(MEDIUM_FEATURE);

/**
 * Validation-like rows of two media: text-layer rows are right as often as their raw score says, OCR rows
 * (a minority) are right much less often at the same raw score (raw p -> true p^3), as the scan slice was.
 */
function rows(seed: number, textLayer: number, ocr: number): { raw: Float64Array; y: Float64Array; x: Matrix } {
  const rng = createRng(seed);
  const n = textLayer + ocr;
  const cols = FEATURE_NAMES.length;
  const data = new Float32Array(n * cols).fill(Number.NaN);
  const raw = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const isOcr = i < ocr;
    const p = 0.05 + 0.9 * rng.next();
    raw[i] = p;
    y[i] = rng.next() < (isOcr ? p ** 3 : p) ? 1 : 0;
    data[i * cols + MEDIUM] = isOcr ? 1 : 0;
  }
  return { raw, y, x: { rows: n, cols, data } };
}

function eceOf(c: Calibrator, set: ReturnType<typeof rows>, medium: 0 | 1): number {
  const idx = Array.from(set.y.keys()).filter((i) => set.x.data[i * set.x.cols + MEDIUM] === medium);
  const scores = calibrateAll(c, set.raw, matrixFeatures(set.x, FEATURE_NAMES));
  return expectedCalibrationError(idx.map((i) => set.y[i]!), idx.map((i) => scores[i]!));
}

describe('calibration per medium', () => {
  const validation = rows(1, 900, 300);
  const test = rows(2, 3000, 1000);

  it('fits one curve per medium where the media differ: calibrated on new rows of each medium, unlike one pooled curve', () => {
    const c = fitCalibration(validation.raw, validation.y, validation.x);
    expect(c.kind).toBe('per-medium');
    if (c.kind !== 'per-medium') return;
    expect(c.feature).toBe('is_scanned');
    expect(eceOf(c, test, 1)).toBeLessThan(0.04);
    expect(eceOf(c, test, 0)).toBeLessThan(0.04);
    // The pooled curve of the same fit is off on OCR rows (it learned mostly the text layer's scale).
    expect(eceOf(c.pooled, test, 1)).toBeGreaterThan(0.1);
    // A row without the medium feature gets the pooled curve; no row accessor at all is refused.
    expect(calibrate(c, 0.7, () => Number.NaN)).toBe(calibrate(c.pooled, 0.7));
    expect(calibrate(c, 0.7, () => 1)).toBeLessThan(calibrate(c, 0.7, () => 0));
    expect(() => calibrate(c, 0.7)).toThrow(RangeError);
    // It is plain JSON that metadata.json carries.
    expect(CalibratorSchema.parse(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it('keeps the pooled curve for a medium with too few validation rows', () => {
    const few = rows(3, 900, MIN_MEDIUM_ROWS - 1);
    const c = fitCalibration(few.raw, few.y, few.x);
    // Either per medium with the OCR rows on the pooled curve, or the pooled curve alone.
    const ocrCurve = c.kind === 'per-medium' ? c.ocr : c;
    const pooled = c.kind === 'per-medium' ? c.pooled : c;
    expect(ocrCurve).toEqual(pooled);
  });

  it('falls back to one pooled curve when the media do not differ', () => {
    const set = rows(4, 900, 0);
    // Same scale on both media: relabel a third of the rows as OCR without changing their labels.
    for (let i = 0; i < set.x.rows; i += 3) set.x.data[i * set.x.cols + MEDIUM] = 1;
    const c = fitCalibration(set.raw, set.y, set.x);
    expect(c.kind).not.toBe('per-medium');
  });
});

/**
 * Probability calibration fitted on a validation split: Platt scaling (a sigmoid on the logit) and isotonic
 * regression (pool adjacent violators), one curve for all rows or one per medium (a binary feature: text layer
 * or OCR). Calibrators are plain JSON, applied after the model (TypeScript or ONNX) by the same function in
 * training, evaluation and serving, so the served score is the evaluated one.
 */
import { z } from 'zod';
import { solveSpd } from './linalg.js';
import { sigmoid } from './matrix.js';

export const CurveSchema = z.discriminatedUnion('kind', [
  /** p' = sigmoid(a * logit(p) + b). */
  z.object({ kind: z.literal('platt'), a: z.number(), b: z.number() }),
  /** Piecewise-linear through (x[i], y[i]), x increasing, y non-decreasing; flat outside the range. */
  z.object({ kind: z.literal('isotonic'), x: z.array(z.number()).min(1), y: z.array(z.number()).min(1) }),
  z.object({ kind: z.literal('identity') }),
]);
/** One calibration curve. */
export type Curve = z.infer<typeof CurveSchema>;

/**
 * A curve per medium: scans and born-digital documents score on different raw scales (a scan's raw 0.9 is right
 * less often than a text layer's), so one curve fitted on a validation split of mostly born-digital rows is
 * off on scans. `feature` is a binary feature of the row (1 = OCR); `pooled` serves a row without it.
 */
export const PerMediumCalibratorSchema = z.object({
  kind: z.literal('per-medium'),
  feature: z.string().min(1),
  textLayer: CurveSchema,
  ocr: CurveSchema,
  pooled: CurveSchema,
});

export type PerMediumCalibrator = z.infer<typeof PerMediumCalibratorSchema>;

export const CalibratorSchema = z.union([CurveSchema, PerMediumCalibratorSchema]);
export type Calibrator = z.infer<typeof CalibratorSchema>;

/** A feature of the row being calibrated by name (null, undefined or NaN = missing). */
export type FeatureOf = (name: string) => number | null | undefined;

function logit(p: number): number {
  const q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  return Math.log(q / (1 - q));
}

function check(p: ArrayLike<number>, y: ArrayLike<number>): void {
  if (p.length !== y.length) throw new RangeError(`${y.length} labels for ${p.length} scores`);
  if (p.length === 0) throw new RangeError('calibration needs at least one row');
}

/**
 * Platt scaling with Platt's smoothed targets ((N+ + 1)/(N+ + 2) and 1/(N- + 2)), fitted by Newton's method.
 * Throws RangeError on empty or mismatched input.
 */
export function fitPlatt(p: ArrayLike<number>, y: ArrayLike<number>): Curve {
  check(p, y);
  const n = p.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (y[i] === 1) nPos++;
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (n - nPos + 2);
  const s = Array.from({ length: n }, (_, i) => logit(p[i]!));
  const t = Array.from({ length: n }, (_, i) => (y[i] === 1 ? hi : lo));
  let a = 1;
  let b = 0;
  const loss = (a2: number, b2: number): number => {
    let l = 0;
    for (let i = 0; i < n; i++) {
      const z = a2 * s[i]! + b2;
      l += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - t[i]! * z;
    }
    return l;
  };
  let current = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const q = sigmoid(a * s[i]! + b);
      const d = q - t[i]!;
      const w = q * (1 - q);
      ga += d * s[i]!;
      gb += d;
      haa += w * s[i]! * s[i]!;
      hab += w * s[i]!;
      hbb += w;
    }
    if (Math.abs(ga) + Math.abs(gb) < 1e-10 * n) break;
    const step = solveSpd(Float64Array.of(haa, hab, hab, hbb), Float64Array.of(ga, gb), 2);
    let tStep = 1;
    let improved = false;
    for (let k = 0; k < 30; k++, tStep /= 2) {
      const na = a - tStep * step[0]!;
      const nb = b - tStep * step[1]!;
      const l = loss(na, nb);
      if (l <= current) {
        a = na;
        b = nb;
        improved = current - l > 1e-14 * Math.max(1, current);
        current = l;
        break;
      }
    }
    if (!improved) break;
  }
  return { kind: 'platt', a, b };
}

/**
 * Isotonic regression by pool adjacent violators (ties in score pooled first), increasing in the score.
 * Throws RangeError on empty or mismatched input.
 */
export function fitIsotonic(p: ArrayLike<number>, y: ArrayLike<number>): Curve {
  check(p, y);
  const order = Array.from({ length: p.length }, (_, i) => i).sort((i, j) => p[i]! - p[j]!);
  const blocks: Array<{ sum: number; weight: number; xMin: number; xMax: number }> = [];
  for (let k = 0; k < order.length; ) {
    const x = p[order[k]!]!;
    let sum = 0;
    let weight = 0;
    while (k < order.length && p[order[k]!] === x) {
      sum += y[order[k]!]!;
      weight++;
      k++;
    }
    blocks.push({ sum, weight, xMin: x, xMax: x });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1]!;
      const prev = blocks[blocks.length - 2]!;
      if (prev.sum / prev.weight < last.sum / last.weight) break;
      blocks.pop();
      prev.sum += last.sum;
      prev.weight += last.weight;
      prev.xMax = last.xMax;
    }
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (const blk of blocks) {
    const v = blk.sum / blk.weight;
    xs.push(blk.xMin);
    ys.push(v);
    if (blk.xMax > blk.xMin) {
      xs.push(blk.xMax);
      ys.push(v);
    }
  }
  return { kind: 'isotonic', x: xs, y: ys };
}

/**
 * Applies a calibrator to one probability. A per-medium calibrator reads its feature through `featureOf`
 * and throws RangeError without it: a caller that cannot see the row must not silently get another curve.
 */
export function calibrate(calibrator: Calibrator, p: number, featureOf?: FeatureOf): number {
  if (calibrator.kind !== 'per-medium') return applyCurve(calibrator, p);
  if (!featureOf) throw new RangeError(`per-medium calibration needs the row's ${calibrator.feature}`);
  return applyCurve(curveFor(calibrator, featureOf(calibrator.feature)), p);
}

/** The curve of a row whose medium feature has this value (missing: pooled). */
export function curveFor(calibrator: PerMediumCalibrator, value: number | null | undefined): Curve {
  if (value === null || value === undefined || Number.isNaN(value)) return calibrator.pooled;
  return value >= 0.5 ? calibrator.ocr : calibrator.textLayer;
}

function applyCurve(calibrator: Curve, p: number): number {
  switch (calibrator.kind) {
    case 'identity':
      return p;
    case 'platt':
      return sigmoid(calibrator.a * logit(p) + calibrator.b);
    case 'isotonic': {
      const { x, y } = calibrator;
      if (p <= x[0]!) return y[0]!;
      if (p >= x[x.length - 1]!) return y[y.length - 1]!;
      let lo = 0;
      let hi = x.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (x[mid]! <= p) lo = mid;
        else hi = mid;
      }
      const x0 = x[lo]!;
      const x1 = x[hi]!;
      return x1 > x0 ? y[lo]! + ((p - x0) / (x1 - x0)) * (y[hi]! - y[lo]!) : y[hi]!;
    }
  }
}

/** Rows of a row-major feature matrix (NaN = missing) by feature name, for {@link calibrateAll}. */
export function matrixFeatures(matrix: { cols: number; data: ArrayLike<number> }, featureNames: readonly string[]): (row: number) => FeatureOf {
  return (row) => (name) => {
    const f = featureNames.indexOf(name);
    return f < 0 ? undefined : matrix.data[row * matrix.cols + f];
  };
}

/** Applies a calibrator to many probabilities; `rowFeatures(i)` gives row i's features (per-medium calibrators). */
export function calibrateAll(calibrator: Calibrator, p: ArrayLike<number>, rowFeatures?: (row: number) => FeatureOf): Float64Array {
  return Float64Array.from({ length: p.length }, (_, i) => calibrate(calibrator, p[i]!, rowFeatures?.(i)));
}

/** Metrics, slices, curves and drift baselines for the report and the model metadata. */
import { bestF1Threshold, classificationReport } from '../core/training/metrics.js';
import type { FeatureDistribution, SplitMetrics } from '../core/registry/model-metadata.js';

const finite = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null);

/** Classification metrics at `threshold`; NaN metrics (one class only) become null. */
export function splitMetrics(y: ArrayLike<number>, p: ArrayLike<number>, threshold: number): SplitMetrics {
  const r = classificationReport(y, p, threshold);
  return {
    rows: r.rows,
    positives: r.positives,
    threshold,
    f1: finite(r.f1),
    precision: finite(r.precision),
    recall: finite(r.recall),
    rocAuc: finite(r.rocAuc),
    prAuc: finite(r.prAuc),
    ece: finite(r.ece),
    logLoss: finite(r.logLoss),
    confusion: r.confusion,
  };
}

/**
 * The F1-best threshold on validation scores (0.5 when validation has no positives), moved down to the middle
 * of the gap below it: the best cut falls between two observed scores, and calibrated scores sit on isotonic
 * steps, so a threshold equal to a step value (1.0, say) would flip with float noise and read as "never".
 */
export function chooseThreshold(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const best = bestF1Threshold(y, p);
  if (!(best.f1 > 0)) return 0.5;
  let below = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < p.length; i++) if (p[i]! < best.threshold && p[i]! > below) below = p[i]!;
  return Number.isFinite(below) ? (best.threshold + below) / 2 : best.threshold;
}

/** Metrics per value of `key` (language, scan quality...), for slices with at least one row. */
export function sliceMetrics(keys: readonly string[], y: ArrayLike<number>, p: ArrayLike<number>, threshold: number): Record<string, SplitMetrics> {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = groups.get(k) ?? [];
    g.push(i);
    groups.set(k, g);
  });
  const out: Record<string, SplitMetrics> = {};
  for (const [k, idx] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    out[k] = splitMetrics(idx.map((i) => y[i]!), idx.map((i) => p[i]!), threshold);
  }
  return out;
}

export interface CurvePoint {
  x: number;
  y: number;
}

/** ROC curve points (false-positive rate, true-positive rate), thinned to at most `maxPoints`. */
export function rocCurve(y: ArrayLike<number>, p: ArrayLike<number>, maxPoints = 200): CurvePoint[] {
  const { order, pos, neg } = sorted(y, p);
  const pts: CurvePoint[] = [{ x: 0, y: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (y[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || p[next] !== p[i]) pts.push({ x: neg ? fp / neg : 0, y: pos ? tp / pos : 0 });
  }
  return thin(pts, maxPoints);
}

/** Precision-recall curve points (recall, precision). */
export function prCurve(y: ArrayLike<number>, p: ArrayLike<number>, maxPoints = 200): CurvePoint[] {
  const { order, pos } = sorted(y, p);
  const pts: CurvePoint[] = [];
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (y[i] === 1) tp++;
    const next = order[k + 1];
    if (next === undefined || p[next] !== p[i]) pts.push({ x: pos ? tp / pos : 0, y: tp / (k + 1) });
  }
  return thin(pts, maxPoints);
}

/** Reliability diagram: mean predicted vs observed positive rate in `bins` equal-width bins (empty bins left out). */
export function calibrationCurve(y: ArrayLike<number>, p: ArrayLike<number>, bins = 10): Array<{ predicted: number; observed: number; count: number }> {
  const sums = Array.from({ length: bins }, () => ({ p: 0, y: 0, n: 0 }));
  for (let i = 0; i < y.length; i++) {
    const b = sums[Math.min(bins - 1, Math.floor(p[i]! * bins))]!;
    b.p += p[i]!;
    b.y += y[i]!;
    b.n++;
  }
  return sums.filter((b) => b.n > 0).map((b) => ({ predicted: b.p / b.n, observed: b.y / b.n, count: b.n }));
}

function sorted(y: ArrayLike<number>, p: ArrayLike<number>) {
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[b]! - p[a]!);
  let pos = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) pos++;
  return { order, pos, neg: y.length - pos };
}

function thin(pts: CurvePoint[], maxPoints: number): CurvePoint[] {
  if (pts.length <= maxPoints) return pts;
  const step = (pts.length - 1) / (maxPoints - 1);
  return Array.from({ length: maxPoints }, (_, k) => pts[Math.round(k * step)]!);
}

function quantile(sortedValues: readonly number[], q: number): number {
  if (sortedValues.length === 0) return Number.NaN;
  const pos = (sortedValues.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sortedValues[lo]! + (sortedValues[hi]! - sortedValues[lo]!) * (pos - lo);
}

/** The training distribution of every column (the drift baseline stored in metadata). */
export function featureDistributions(names: readonly string[], data: Float32Array, rows: number): FeatureDistribution[] {
  const cols = names.length;
  return names.map((name, f) => {
    const v: number[] = [];
    for (let r = 0; r < rows; r++) {
      const x = data[r * cols + f]!;
      if (!Number.isNaN(x)) v.push(x);
    }
    v.sort((a, b) => a - b);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    return {
      name,
      missingShare: finite(rows === 0 ? 0 : 1 - v.length / rows) ?? 0,
      mean: finite(mean), std: finite(std),
      min: finite(v[0] ?? Number.NaN), p01: finite(quantile(v, 0.01)), p25: finite(quantile(v, 0.25)),
      p50: finite(quantile(v, 0.5)), p75: finite(quantile(v, 0.75)), p99: finite(quantile(v, 0.99)),
      max: finite(v[v.length - 1] ?? Number.NaN),
    };
  });
}

/** A piecewise-linear map of raw anomaly scores: training quantiles -> fixed targets (see train.ts). */
export function quantileKnots(scores: ArrayLike<number>, quantiles: readonly number[]): number[] {
  const v = Array.from(scores).sort((a, b) => a - b);
  const knots = quantiles.map((q) => quantile(v, q));
  // Strictly increasing knots: ties (a flat score region) would make the map a step.
  for (let i = 1; i < knots.length; i++) if (knots[i]! <= knots[i - 1]!) knots[i] = knots[i - 1]! + 1e-9;
  return knots;
}

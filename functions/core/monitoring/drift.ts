/**
 * Drift of a current window against a baseline, per column, with the test chosen by the column's type and
 * the window's size (as Evidently and NannyML do): up to `smallSampleMax` values a statistical test with a
 * p-value (two-sample Kolmogorov-Smirnov for numbers, chi-squared for categories); above it a distance with a
 * threshold (normalised Wasserstein, PSI or Jensen-Shannon), because on large samples every p-value is tiny.
 * A change of the missing share is judged the same way (chi-squared on present/missing, or its absolute
 * change). The dataset has drifted when at least `datasetDriftShare` of the features have.
 *
 * Cost: one sort per numeric column (current values, float32, a radix sort), counts for categories; the rest
 * is linear.
 */
import { z } from 'zod';
import type { DriftConfig } from './config.js';
import type { ColumnBaseline, DriftBaseline } from './baseline.js';
import {
  chiSquaredHomogeneity, countAtOrBelow, jensenShannon, ksPValue, ksStatistic, psi, sampleQuantile, sketchCdf, wasserstein,
} from './stats.js';

export const DriftMethodSchema = z.enum(['ks', 'chi-squared', 'wasserstein', 'psi', 'jensen-shannon', 'none']);
export type DriftMethod = z.infer<typeof DriftMethodSchema>;

/** What the chart of a column shows: shares per bin or category, reference against current. */
export const ColumnChartSchema = z.object({
  kind: z.enum(['histogram', 'categories']),
  /** Bin upper edges (histogram) or category labels. */
  labels: z.array(z.string()),
  reference: z.array(z.number()),
  current: z.array(z.number()),
});
export type ColumnChart = z.infer<typeof ColumnChartSchema>;

export const ColumnDriftSchema = z.object({
  name: z.string(),
  type: z.enum(['numeric', 'categorical']),
  method: DriftMethodSchema,
  statistic: z.number(),
  /** Only for the tests (small samples). */
  pValue: z.number().nullable(),
  threshold: z.number(),
  drifted: z.boolean(),
  referenceCount: z.number().int(),
  currentCount: z.number().int(),
  missing: z.object({ reference: z.number(), current: z.number(), drifted: z.boolean() }),
  /** Current mean next to the reference one (numeric), for a one-line explanation. */
  referenceMean: z.number().nullable(),
  currentMean: z.number().nullable(),
  chart: ColumnChartSchema,
});
export type ColumnDrift = z.infer<typeof ColumnDriftSchema>;

export const DriftResultSchema = z.object({
  rows: z.number().int(),
  features: z.array(ColumnDriftSchema),
  scores: z.array(ColumnDriftSchema),
  driftedFeatures: z.number().int(),
  driftedShare: z.number(),
  datasetDrifted: z.boolean(),
  /** Models whose score distribution drifted. */
  driftedScores: z.array(z.string()),
});
export type DriftResult = z.infer<typeof DriftResultSchema>;

/** The current window as float32 columns (NaN = missing), one per feature and per model score. */
export interface DriftWindow {
  rows: number;
  features: Readonly<Record<string, Float32Array>>;
  scores: Readonly<Record<string, Float32Array>>;
}

/** Compares every baseline column present in the window. Pure; never throws for data (an empty column is "none"). */
export function computeDrift(baseline: DriftBaseline, window: DriftWindow, config: DriftConfig): DriftResult {
  const features = Object.entries(baseline.features)
    .filter(([name]) => window.features[name])
    .map(([name, ref]) => columnDrift(name, ref, window.features[name]!, config));
  const scores = Object.entries(baseline.scores)
    .filter(([name]) => window.scores[name])
    .map(([name, ref]) => columnDrift(name, ref, window.scores[name]!, config));
  const driftedFeatures = features.filter((f) => f.drifted).length;
  const driftedShare = features.length === 0 ? 0 : driftedFeatures / features.length;
  return {
    rows: window.rows,
    features,
    scores,
    driftedFeatures,
    driftedShare,
    datasetDrifted: features.length > 0 && driftedShare >= config.datasetDriftShare,
    driftedScores: scores.filter((s) => s.drifted).map((s) => s.name),
  };
}

/** The drift of one column. */
export function columnDrift(name: string, ref: ColumnBaseline, values: Float32Array, config: DriftConfig): ColumnDrift {
  let present = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) present++;
  const missingCur = values.length - present;
  const refTotal = ref.n + ref.missing;
  const small = present <= config.smallSampleMax;
  const missing = missingDrift(ref.missing, refTotal, missingCur, values.length, small, config);
  const base = { name, referenceCount: ref.n, currentCount: present, missing };
  if (present === 0 || ref.n === 0) {
    return { ...base, type: ref.type, method: 'none', statistic: 0, pValue: null, threshold: 0, drifted: missing.drifted, referenceMean: null, currentMean: null, chart: { kind: 'categories', labels: [], reference: [], current: [] } };
  }
  return ref.type === 'categorical'
    ? categoricalDrift(base, ref, values, small, config)
    : numericDrift(base, ref, values, present, small, config);
}

type Base = Pick<ColumnDrift, 'name' | 'referenceCount' | 'currentCount' | 'missing'>;

function missingDrift(refMissing: number, refTotal: number, curMissing: number, curTotal: number, small: boolean, config: DriftConfig): ColumnDrift['missing'] {
  const reference = refTotal === 0 ? 0 : refMissing / refTotal;
  const current = curTotal === 0 ? 0 : curMissing / curTotal;
  if (curTotal === 0 || refTotal === 0) return { reference, current, drifted: false };
  const drifted = small
    ? chiSquaredHomogeneity([refTotal - refMissing, refMissing], [curTotal - curMissing, curMissing]).pValue < config.pValue
    : Math.abs(current - reference) >= config.missingShareThreshold;
  return { reference, current, drifted };
}

function categoricalDrift(base: Base, ref: Extract<ColumnBaseline, { type: 'categorical' }>, values: Float32Array, small: boolean, config: DriftConfig): ColumnDrift {
  const index = new Map<number, number>();
  ref.values.forEach((v, i) => index.set(v, i));
  const k = ref.values.length;
  // The last cell holds every value the reference never saw (a new category).
  const current = new Float64Array(k + 1);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    sum += v;
    const at = index.get(v);
    current[at ?? k]! += 1;
  }
  const reference = Float64Array.from([...ref.counts, 0]);
  const refMean = ref.n === 0 ? null : ref.values.reduce((s, v, i) => s + v * ref.counts[i]!, 0) / ref.n;
  const curMean = base.currentCount === 0 ? null : sum / base.currentCount;
  const chart: ColumnChart = {
    kind: 'categories',
    labels: [...ref.values.map((v) => formatValue(v)), 'other'],
    reference: shares(reference),
    current: shares(current),
  };
  if (current[k] === 0) {
    chart.labels.pop();
    chart.reference.pop();
    chart.current.pop();
  }
  if (small) {
    const t = chiSquaredHomogeneity(reference, current);
    return { ...base, type: 'categorical', method: 'chi-squared', statistic: t.statistic, pValue: t.pValue, threshold: config.pValue, drifted: t.pValue < config.pValue || base.missing.drifted, referenceMean: refMean, currentMean: curMean, chart };
  }
  const method = config.categoricalMethod;
  const statistic = method === 'psi' ? psi(reference, current) : jensenShannon(reference, current);
  const threshold = method === 'psi' ? config.psiThreshold : config.jensenShannonThreshold;
  return { ...base, type: 'categorical', method, statistic, pValue: null, threshold, drifted: statistic >= threshold || base.missing.drifted, referenceMean: refMean, currentMean: curMean, chart };
}

function numericDrift(base: Base, ref: Extract<ColumnBaseline, { type: 'numeric' }>, values: Float32Array, present: number, small: boolean, config: DriftConfig): ColumnDrift {
  const sorted = new Float32Array(present);
  let j = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) {
      sorted[j++] = v;
      sum += v;
    }
  }
  radixSortFloat32(sorted);
  const chart = histogramChart(ref.quantiles, sorted);
  const means = { referenceMean: ref.mean, currentMean: sum / present };
  if (small) {
    const d = ksStatistic(ref.quantiles, sorted);
    const p = ksPValue(d, ref.n, present);
    return { ...base, type: 'numeric', method: 'ks', statistic: d, pValue: p, threshold: config.pValue, drifted: p < config.pValue || base.missing.drifted, ...means, chart };
  }
  let statistic: number;
  let threshold: number;
  const method = config.numericMethod;
  if (method === 'wasserstein') {
    const w = wasserstein(ref.quantiles, sorted);
    // Normalised by the reference spread; a constant reference has none: any movement is a full unit of drift.
    statistic = ref.std > 0 ? w / ref.std : w > 0 ? 1 : 0;
    threshold = config.wassersteinThreshold;
  } else {
    const { reference, current } = decileCounts(ref.quantiles, sorted);
    statistic = method === 'psi' ? psi(reference, current) : jensenShannon(reference, current);
    threshold = method === 'psi' ? config.psiThreshold : config.jensenShannonThreshold;
  }
  return { ...base, type: 'numeric', method, statistic, pValue: null, threshold, drifted: statistic >= threshold || base.missing.drifted, ...means, chart };
}

/** Reference and current shares over the reference deciles (ties merged), plus the tails beyond the range. */
function decileCounts(q: ArrayLike<number>, sorted: Float32Array): { reference: Float64Array; current: Float64Array } {
  const edges: number[] = [];
  for (let k = 10; k < 100; k += 10) if (edges.length === 0 || q[k]! > edges[edges.length - 1]!) edges.push(q[k]!);
  return binShares(q, sorted, edges);
}

function binShares(q: ArrayLike<number>, sorted: Float32Array, edges: readonly number[]): { reference: Float64Array; current: Float64Array } {
  const reference = new Float64Array(edges.length + 1);
  const current = new Float64Array(edges.length + 1);
  let prevRef = 0;
  let prevCur = 0;
  edges.forEach((e, i) => {
    const r = sketchCdf(q, e);
    const c = countAtOrBelow(sorted, e) / sorted.length;
    reference[i] = r - prevRef;
    current[i] = c - prevCur;
    prevRef = r;
    prevCur = c;
  });
  reference[edges.length] = 1 - prevRef;
  current[edges.length] = 1 - prevCur;
  return { reference, current };
}

const CHART_BINS = 20;

/** 20 equal-width bins over the union of the reference's 1-99 % range and the current 1-99 % range. */
function histogramChart(q: ArrayLike<number>, sorted: Float32Array): ColumnChart {
  const lo = Math.min(q[1]!, sampleQuantile(sorted, 0.01));
  const hi = Math.max(q[q.length - 2]!, sampleQuantile(sorted, 0.99));
  const width = hi > lo ? (hi - lo) / CHART_BINS : 1;
  const edges = Array.from({ length: CHART_BINS - 1 }, (_, k) => lo + width * (k + 1));
  const { reference, current } = binShares(q, sorted, edges);
  return { kind: 'histogram', labels: [...edges.map((e) => formatValue(e)), `>${formatValue(edges[edges.length - 1] ?? hi)}`], reference: Array.from(reference), current: Array.from(current) };
}

function shares(counts: Float64Array): number[] {
  let t = 0;
  for (const c of counts) t += c;
  return Array.from(counts, (c) => (t === 0 ? 0 : c / t));
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

/**
 * Columns of a window from row objects (feature name -> value, null = missing). Rows whose keys come in the
 * order of `names` (the prediction log writes them so) are copied by position from `Object.values`: a keyed
 * read per value with 61 dynamic keys is megamorphic and costs about ten times as much at 100,000 rows.
 */
export function columnsOf(rows: ReadonlyArray<Readonly<Record<string, number | null | undefined>>>, names: readonly string[]): Record<string, Float32Array> {
  const cols = names.map(() => new Float32Array(rows.length));
  const m = names.length;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const keys = Object.keys(row);
    let sameOrder = keys.length === m;
    for (let f = 0; sameOrder && f < m; f++) sameOrder = keys[f] === names[f];
    if (sameOrder) {
      const values = Object.values(row);
      for (let f = 0; f < m; f++) {
        const v = values[f];
        cols[f]![r] = typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN;
      }
    } else {
      for (let f = 0; f < m; f++) {
        const v = row[names[f]!];
        cols[f]![r] = typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN;
      }
    }
  }
  return Object.fromEntries(names.map((n, f) => [n, cols[f]!]));
}

/**
 * Sorts float32 values (no NaN) ascending in place: an LSD radix sort over the order-preserving integer image
 * of the float bits, 3 passes of 11 bits. Hand-written because the built-in comparison sort takes ~20 ms per
 * 100,000 values, which times 40 numeric columns alone exceeds the check's budget; this takes ~2 ms.
 */
export function radixSortFloat32(values: Float32Array): void {
  const n = values.length;
  if (n < 256) {
    values.sort();
    return;
  }
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  let keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const b = bits[i]!;
    // Negative floats: flip every bit; positive: flip the sign bit. Unsigned order then equals float order.
    keys[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  let tmp = new Uint32Array(n);
  const count = new Uint32Array(2048);
  for (let shift = 0; shift < 33; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & 2047]!++;
    let sum = 0;
    for (let k = 0; k < 2048; k++) {
      const c = count[k]!;
      count[k] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      tmp[count[(k >>> shift) & 2047]!++] = k;
    }
    const t = keys;
    keys = tmp;
    tmp = t;
  }
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    bits[i] = k & 0x80000000 ? (k & 0x7fffffff) >>> 0 : ~k >>> 0;
  }
}

/**
 * The drift baseline of a model version: a compact summary of its training features and scores, written as
 * `baseline.json` next to the model at training time (about 60 KB for 61 features). Per column either the
 * counts of its values (binary, small counts, constants: at most {@link MAX_CATEGORIES} distinct values) or
 * 101 quantiles with mean and standard deviation. Values are float32, as the models see them, so a value
 * served as 0.2 matches the 0.2 of training.
 *
 * Versions trained before baselines existed (the shipped seed) have only the quantile summary of
 * metadata.json (`featureDistribution`: min, p01, p25, p50, p75, p99, max); {@link baselineFromSummary} turns
 * it into a coarser baseline of the same shape (marked `source: "metadata-summary"`, without scores).
 */
import { z } from 'zod';
import { QUANTILE_POINTS } from './stats.js';

export const MAX_CATEGORIES = 20;
export const BASELINE_FILE = 'baseline.json';

const Num = z.number().finite();

export const ColumnBaselineSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('categorical'),
    /** Non-missing values seen. */
    n: z.number().int().nonnegative(),
    missing: z.number().int().nonnegative(),
    values: z.array(Num).max(MAX_CATEGORIES),
    counts: z.array(z.number().int().nonnegative()).max(MAX_CATEGORIES),
  }),
  z.object({
    type: z.literal('numeric'),
    n: z.number().int().positive(),
    missing: z.number().int().nonnegative(),
    quantiles: z.array(Num).length(QUANTILE_POINTS),
    mean: Num,
    std: Num.nonnegative(),
  }),
]);
export type ColumnBaseline = z.infer<typeof ColumnBaselineSchema>;

export const DriftBaselineSchema = z.object({
  schemaVersion: z.literal(1),
  featureSchemaVersion: z.string().min(1),
  source: z.enum(['training', 'metadata-summary']),
  rows: z.number().int().nonnegative(),
  features: z.record(z.string(), ColumnBaselineSchema),
  /** Calibrated score of each model on the same rows (prediction drift); absent for a summary baseline. */
  scores: z.record(z.string(), ColumnBaselineSchema).default({}),
});
export type DriftBaseline = z.infer<typeof DriftBaselineSchema>;

/** Summarises one column (NaN = missing). `forceCategorical` for binary features. */
export function columnBaseline(values: ArrayLike<number>, forceCategorical = false): ColumnBaseline {
  const present: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) present.push(Math.fround(v));
  }
  const missing = values.length - present.length;
  const distinct = new Map<number, number>();
  for (const v of present) {
    distinct.set(v, (distinct.get(v) ?? 0) + 1);
    if (distinct.size > MAX_CATEGORIES && !forceCategorical) break;
  }
  if (present.length === 0 || distinct.size <= MAX_CATEGORIES || forceCategorical) {
    const all = new Map<number, number>();
    for (const v of present) all.set(v, (all.get(v) ?? 0) + 1);
    const entries = [...all.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, MAX_CATEGORIES).sort((a, b) => a[0] - b[0]);
    return { type: 'categorical', n: present.length, missing, values: entries.map((e) => e[0]), counts: entries.map((e) => e[1]) };
  }
  const sorted = Float64Array.from(present).sort();
  const quantiles = Array.from({ length: QUANTILE_POINTS }, (_, k) => {
    const pos = ((sorted.length - 1) * k) / (QUANTILE_POINTS - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(sorted.length - 1, lo + 1);
    return Math.fround(sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo));
  });
  for (let k = 1; k < quantiles.length; k++) if (quantiles[k]! < quantiles[k - 1]!) quantiles[k] = quantiles[k - 1]!;
  let mean = 0;
  for (const v of present) mean += v;
  mean /= present.length;
  let varSum = 0;
  for (const v of present) varSum += (v - mean) ** 2;
  return { type: 'numeric', n: present.length, missing, quantiles, mean, std: Math.sqrt(varSum / present.length) };
}

/**
 * The baseline of a training matrix (row-major float32, NaN = missing) and the calibrated scores of each
 * model on the same rows. `binary` names the features summarised as categories whatever their values.
 */
export function buildBaseline(input: {
  featureSchemaVersion: string;
  names: readonly string[];
  data: Float32Array;
  rows: number;
  binary?: ReadonlySet<string>;
  scores?: Readonly<Record<string, ArrayLike<number>>>;
}): DriftBaseline {
  const cols = input.names.length;
  const features: Record<string, ColumnBaseline> = {};
  const column = new Float32Array(input.rows);
  input.names.forEach((name, f) => {
    for (let r = 0; r < input.rows; r++) column[r] = input.data[r * cols + f]!;
    features[name] = columnBaseline(column, input.binary?.has(name) ?? false);
  });
  const scores: Record<string, ColumnBaseline> = {};
  for (const [model, values] of Object.entries(input.scores ?? {})) scores[model] = columnBaseline(values);
  return { schemaVersion: 1, featureSchemaVersion: input.featureSchemaVersion, source: 'training', rows: input.rows, features, scores };
}

/** The quantile summary of metadata.json, as stored there. */
export interface FeatureSummary {
  name: string;
  missingShare: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  p01: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p99: number | null;
  max: number | null;
}

const SUMMARY_POINTS: ReadonlyArray<[number, keyof FeatureSummary]> = [[0, 'min'], [0.01, 'p01'], [0.25, 'p25'], [0.5, 'p50'], [0.75, 'p75'], [0.99, 'p99'], [1, 'max']];

/**
 * A coarse baseline from metadata.json's summary (the seed versions): binary features become two categories
 * weighted by their mean, constant ones one category, the rest 101 quantiles interpolated between the known
 * ones in normal-score space (coarser than a training baseline, above all in the tails).
 */
export function baselineFromSummary(input: { featureSchemaVersion: string; rows: number; features: readonly FeatureSummary[]; binary?: ReadonlySet<string> }): DriftBaseline {
  const features: Record<string, ColumnBaseline> = {};
  for (const s of input.features) {
    const missing = Math.round(s.missingShare * input.rows);
    const n = input.rows - missing;
    const known = SUMMARY_POINTS.map(([p, k]) => [p, s[k]] as const).filter((e): e is readonly [number, number] => typeof e[1] === 'number');
    if (n <= 0 || known.length < 2) {
      features[s.name] = { type: 'categorical', n: 0, missing: input.rows, values: [], counts: [] };
    } else if (input.binary?.has(s.name) && s.mean !== null) {
      const ones = Math.round(n * Math.min(1, Math.max(0, s.mean)));
      const values: number[] = [];
      const counts: number[] = [];
      if (n - ones > 0) {
        values.push(0);
        counts.push(n - ones);
      }
      if (ones > 0) {
        values.push(1);
        counts.push(ones);
      }
      features[s.name] = { type: 'categorical', n, missing, values, counts };
    } else if (known[0]![1] === known[known.length - 1]![1]) {
      features[s.name] = { type: 'categorical', n, missing, values: [Math.fround(known[0]![1])], counts: [n] };
    } else {
      // Interpolated in normal-score space (z = probit(p)), not linearly in p: between p01 and p25 a linear
      // CDF is off by up to 0.09 for a bell-shaped feature, which a KS test on 300 rows calls drift.
      const edge = 1 / (input.rows + 1);
      const zKnown = known.map(([p, v]) => [probit(Math.min(1 - edge, Math.max(edge, p))), v] as const);
      const quantiles = Array.from({ length: QUANTILE_POINTS }, (_, k) => {
        const z = probit(Math.min(1 - edge, Math.max(edge, k / (QUANTILE_POINTS - 1))));
        let i = 0;
        while (i < zKnown.length - 2 && zKnown[i + 1]![0] < z) i++;
        const [z0, v0] = zKnown[i]!;
        const [z1, v1] = zKnown[i + 1]!;
        return Math.fround(v0 + ((v1 - v0) * (z - z0)) / (z1 - z0 || 1));
      });
      for (let k = 1; k < quantiles.length; k++) if (quantiles[k]! < quantiles[k - 1]!) quantiles[k] = quantiles[k - 1]!;
      features[s.name] = { type: 'numeric', n, missing, quantiles, mean: s.mean ?? quantiles[50]!, std: s.std ?? 0 };
    }
  }
  return { schemaVersion: 1, featureSchemaVersion: input.featureSchemaVersion, source: 'metadata-summary', rows: input.rows, features, scores: {} };
}

/** The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function probit(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -probit(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

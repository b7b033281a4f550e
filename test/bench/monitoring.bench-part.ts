/**
 * Monitoring's speed (called by `npm run bench`, on one core: the check is single-threaded JavaScript):
 * - the drift check of a 100,000-row window x 61 features (and 3 model scores) against a training baseline,
 *   from the prediction-log rows (columns built from the row objects) to the per-feature verdicts (target < 1 s);
 * - the label-free performance estimate (CBPE) over the same window for the two supervised models.
 */
import { buildBaseline } from '../../functions/core/monitoring/baseline.js';
import { DriftConfigSchema } from '../../functions/core/monitoring/config.js';
import { columnsOf, computeDrift } from '../../functions/core/monitoring/drift.js';
import { estimatedMetrics } from '../../functions/core/monitoring/performance.js';
import { FEATURE_NAMES, FEATURE_SCHEMA, FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { createRng } from '../../functions/core/training/random.js';

const ROWS = 100_000;
const BASELINE_ROWS = 20_000;

/** A value of each feature kind, with a shift for the current window on every third feature. */
function value(kind: string, f: number, rng: ReturnType<typeof createRng>, shift: number): number | null {
  if (rng.next() < 0.03) return null;
  if (kind === 'binary') return rng.next() < 0.3 + shift * 0.1 ? 1 : 0;
  if (kind === 'count') return Math.floor(rng.next() * (f % 2 === 0 ? 6 : 60));
  return 10 * f + 3 * rng.normal() + shift;
}

function best(times: number[]): number {
  return Math.min(...times);
}

export async function benchMonitoring(): Promise<Record<string, number>> {
  const rng = createRng(42);
  const kinds = FEATURE_SCHEMA.map((d) => d.kind);
  const data = new Float32Array(BASELINE_ROWS * FEATURE_NAMES.length);
  for (let r = 0; r < BASELINE_ROWS; r++) for (let f = 0; f < kinds.length; f++) data[r * kinds.length + f] = value(kinds[f]!, f, rng, 0) ?? Number.NaN;
  const scoreRef = (m: number) => Float64Array.from({ length: BASELINE_ROWS }, () => Math.min(1, Math.max(0, 0.6 + 0.1 * m + 0.2 * rng.normal())));
  const baseline = buildBaseline({
    featureSchemaVersion: FEATURE_SCHEMA_VERSION, names: FEATURE_NAMES, data, rows: BASELINE_ROWS,
    binary: new Set(FEATURE_SCHEMA.filter((d) => d.kind === 'binary').map((d) => d.name)),
    scores: { quality: scoreRef(0), failure: scoreRef(1), anomaly: scoreRef(2) },
  });
  // Parsed from JSON, as the prediction log's rows are (SQLite text, Firestore JSON).
  const rows = JSON.parse(JSON.stringify(Array.from({ length: ROWS }, () => Object.fromEntries(FEATURE_NAMES.map((n, f) => [n, value(kinds[f]!, f, rng, f % 3 === 0 ? 1 : 0)]))))) as Array<Record<string, number | null>>;
  const scores = {
    quality: Float32Array.from({ length: ROWS }, () => Math.min(1, Math.max(0, 0.55 + 0.2 * rng.normal()))),
    failure: Float32Array.from({ length: ROWS }, () => Math.min(1, Math.max(0, 0.2 + 0.2 * rng.normal()))),
    anomaly: Float32Array.from({ length: ROWS }, () => Math.min(1, Math.max(0, 0.3 + 0.1 * rng.normal()))),
  };
  const config = DriftConfigSchema.parse({});
  const fromRows: number[] = [];
  const fromColumns: number[] = [];
  let drifted = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const features = columnsOf(rows, FEATURE_NAMES);
    const t1 = performance.now();
    const result = computeDrift(baseline, { rows: ROWS, features, scores }, config);
    const t2 = performance.now();
    fromRows.push(t2 - t0);
    fromColumns.push(t2 - t1);
    drifted = result.driftedFeatures;
  }
  const cbpe: number[] = [];
  const q = Float64Array.from(scores.quality);
  const fl = Float64Array.from(scores.failure);
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    estimatedMetrics(q, 0.5);
    estimatedMetrics(fl, 0.5);
    cbpe.push(performance.now() - t0);
  }
  return {
    'drift check 100k x 61 from log rows ms (best of 5)': Math.round(best(fromRows)),
    'drift check 100k x 61 from columns ms (best of 5)': Math.round(best(fromColumns)),
    'drift check: features found drifted (of 61)': drifted,
    'CBPE estimate 100k rows x 2 models ms (best of 5)': Math.round(best(cbpe) * 10) / 10,
  };
}

/**
 * Inference of the shipped production models (models/): load time, single-invoice latency of all three
 * together (p50/p99), batch throughput at 1,000 rows, and the same work as plain TypeScript tree traversal.
 * Training time is the one measured by `ledgerx train` and stored in each model's metadata.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { createFileModelRegistry, loadModelVersion, openServingSession, type LoadedModel } from '../../functions/adapters/onnx/file-model-registry.js';
import { SESSION_OPTIONS } from '../../functions/adapters/onnx/sync-session.js';
import { FEATURE_NAMES } from '../../functions/core/features/schema.js';
import { calibrate } from '../../functions/core/training/calibration.js';
import { gbdtMargin, parseGbdtModel } from '../../functions/core/training/gbdt-model.js';
import { isolationPathLength, isolationScoreFromPathLength, parseIsolationForest } from '../../functions/core/training/isolation-forest.js';
import { logisticMargin, parseLogisticModel } from '../../functions/core/training/logistic.js';
import { sigmoid } from '../../functions/core/training/matrix.js';
import { loadRegistry } from '../../functions/adapters/local/registry-file.js';
import { silentLogger } from '../../functions/platform/logger.js';

const MODELS = path.resolve(import.meta.dirname, '../../models');

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** A plain TypeScript scorer of one model (raw output + calibration), the baseline the ONNX path is compared with. */
function tsScorer(m: LoadedModel, dir: string): (row: Float32Array) => number {
  const json: unknown = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const cal = m.metadata.calibration;
  const names = m.metadata.featureNames;
  const of = (row: Float32Array) => (name: string) => row[names.indexOf(name)];
  if (m.metadata.kind === 'gbdt') {
    const g = parseGbdtModel(json);
    return (row) => calibrate(cal, sigmoid(gbdtMargin(g, row)), of(row));
  }
  if (m.metadata.kind === 'logistic') {
    const l = parseLogisticModel(json);
    return (row) => calibrate(cal, sigmoid(logisticMargin(l, row)), of(row));
  }
  const f = parseIsolationForest(json);
  return (row) => calibrate(cal, isolationScoreFromPathLength(isolationPathLength(f, row), f.subsampleSize), of(row));
}

const publicSessions = new Map<LoadedModel, Promise<ort.InferenceSession>>();
/** One model through onnxruntime-node's public async API (what serving used before the merged synchronous graph). */
async function publicPredict(l: LoadedModel, m: { data: Float32Array; rows: number; cols: number }): Promise<number> {
  let s = publicSessions.get(l);
  if (!s) publicSessions.set(l, (s = ort.InferenceSession.create(l.bytes, SESSION_OPTIONS)));
  const out = await (await s).run({ [l.metadata.inputName]: new ort.Tensor('float32', m.data, [m.rows, m.cols]) }, [l.metadata.outputName]);
  return (out[l.metadata.outputName]!.data as Float32Array)[0]!;
}

export async function benchModels(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const registry = loadRegistry(MODELS);
  const prod = Object.entries(registry.models).map(([name, e]) => ({ name, dir: path.join(MODELS, name, e.versions.find((v) => v.stage === 'production')!.version) }));
  const golden = JSON.parse(readFileSync(path.join(prod[0]!.dir, 'test_data', 'inputs.json'), 'utf8')) as { rows: Array<Array<number | null>> };
  const rows = golden.rows.map((r) => Float32Array.from(r, (v) => v ?? Number.NaN));

  let t = performance.now();
  const models = (await createFileModelRegistry(MODELS, silentLogger).loadProduction())!;
  const features = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, rows[0]![i]!]));
  await models.score(features);
  out['load_all_three_and_first_score_ms'] = performance.now() - t;

  // Single invoice, all three models, calibration and explanations: what the inference stage pays.
  const lat: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const row = rows[i % rows.length]!;
    const f = Object.fromEntries(FEATURE_NAMES.map((n, k) => [n, row[k]!]));
    t = performance.now();
    await models.score(f);
    if (i >= 200) lat.push((performance.now() - t) * 1000);
  }
  out['single_invoice_scored_with_explanations_p50_us'] = percentile(lat, 0.5);
  out['single_invoice_scored_with_explanations_p99_us'] = percentile(lat, 0.99);

  // The three models' scores (no explanations): the served graph (all three merged, one synchronous run,
  // calibration applied) against a plain TypeScript traversal of the same trees, interleaved call by call so
  // that both see the same machine.
  const loaded = await Promise.all(prod.map((p) => loadModelVersion(p.dir)));
  const serving = openServingSession(loaded);
  const scorers = loaded.map((l, k) => tsScorer(l, prod[k]!.dir));
  const onnxLat: number[] = [];
  const tsLat: number[] = [];
  let sink = 0;
  for (let i = 0; i < 30000; i++) {
    const row = rows[i % rows.length]!;
    t = performance.now();
    const raw = serving.score(row, 1);
    for (const [k, l] of loaded.entries()) sink += calibrate(l.metadata.calibration, raw[k]![0]!, (name) => row[FEATURE_NAMES.indexOf(name)]);
    const mid = performance.now();
    for (const s of scorers) sink += s(row);
    const end = performance.now();
    if (i >= 3000) {
      onnxLat.push((mid - t) * 1000);
      tsLat.push((end - mid) * 1000);
    }
  }
  out['single_invoice_three_models_p50_us'] = percentile(onnxLat, 0.5);
  out['single_invoice_three_models_p99_us'] = percentile(onnxLat, 0.99);
  out['single_invoice_typescript_traversal_p50_us'] = percentile(tsLat, 0.5);
  out['onnx_over_typescript_ratio_p50'] = out['single_invoice_three_models_p50_us']! / Math.max(1e-9, out['single_invoice_typescript_traversal_p50_us']!);

  // Before: onnxruntime-node's public async API, one session per model (kept as the reference figure).
  const publicLat: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const m = { data: rows[i % rows.length]!, rows: 1, cols: FEATURE_NAMES.length };
    t = performance.now();
    await Promise.all(loaded.map((l) => publicPredict(l, m)));
    if (i >= 500) publicLat.push((performance.now() - t) * 1000);
  }
  out['single_invoice_public_api_three_sessions_p50_us'] = percentile(publicLat, 0.5);

  // Batch of 1,000 rows through the served graph.
  const batch = new Float32Array(1000 * FEATURE_NAMES.length);
  for (let r = 0; r < 1000; r++) batch.set(rows[r % rows.length]!, r * FEATURE_NAMES.length);
  serving.score(batch, 1000);
  const runs = 20;
  t = performance.now();
  for (let i = 0; i < runs; i++) sink += serving.score(batch, 1000)[0]![0]!;
  out['batch_1000_all_models_rows_per_s'] = (runs * 1000) / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < runs; i++) for (let r = 0; r < 1000; r++) for (const s of scorers) sink += s(rows[r % rows.length]!);
  out['batch_1000_typescript_rows_per_s'] = (runs * 1000) / ((performance.now() - t) / 1000);
  serving.release();

  for (const l of loaded) out[`training_${l.metadata.name}_s`] = l.metadata.trainingSeconds;
  for (const s of publicSessions.values()) await (await s).release();
  if (Number.isNaN(sink)) out['nan_guard'] = 1;
  return out;
}

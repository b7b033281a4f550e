/**
 * Training and ONNX serving timings on synthetic data (100,000 x 50, 5 % missing). Called by `npm run bench`.
 * Every number is measured in this process on this machine; keys carry their unit.
 */
import { gbdtToOnnx } from '../../functions/adapters/onnx/export-gbdt.js';
import { isolationForestToOnnx } from '../../functions/adapters/onnx/export-isolation-forest.js';
import { logisticToOnnx } from '../../functions/adapters/onnx/export-logistic.js';
import { createPredictorForArtifact } from '../../functions/adapters/onnx/predictor.js';
import { gbdtPredict } from '../../functions/core/training/gbdt-model.js';
import { trainGbdt } from '../../functions/core/training/gbdt.js';
import { isolationForestScore, trainIsolationForest } from '../../functions/core/training/isolation-forest.js';
import { logisticPredict, trainLogistic } from '../../functions/core/training/logistic.js';
import { takeRows } from '../../functions/core/training/matrix.js';
import { rocAuc } from '../../functions/core/training/metrics.js';
import { makeSyntheticBinary } from '../../functions/core/training/synthetic.js';

function timed<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const value = fn();
  return [value, performance.now() - start];
}

/** Wall and CPU milliseconds: on a shared machine the CPU time is the steadier figure. */
function timedCpu<T>(fn: () => T): [T, number, number] {
  const cpu = process.cpuUsage();
  const [value, wallMs] = timed(fn);
  const used = process.cpuUsage(cpu);
  return [value, wallMs, (used.user + used.system) / 1000];
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function benchTraining(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const train = makeSyntheticBinary({ rows: 100_000, features: 50, missingRate: 0.05, seed: 1 });
  const test = makeSyntheticBinary({ rows: 5_000, features: 50, missingRate: 0.05, seed: 2 });

  const [gbdt, gbdtMs, gbdtCpuMs] = timedCpu(() => trainGbdt({ x: train.x, y: train.y }, { nTrees: 200, maxDepth: 6, maxLeaves: 31 }).model);
  out['gbdt_train_100k_x50_200_trees_s'] = gbdtMs / 1000;
  out['gbdt_train_100k_x50_200_trees_cpu_s'] = gbdtCpuMs / 1000;
  out['gbdt_test_auc'] = rocAuc(test.y, gbdtPredict(gbdt, test.x));

  const rows1k = takeRows(test.x, Array.from({ length: 1000 }, (_, i) => i));
  const [tsScores, tsMs] = timed(() => gbdtPredict(gbdt, rows1k));
  out['gbdt_typescript_score_us_per_row'] = (tsMs * 1000) / 1000;

  const [lr, lrMs, lrCpuMs] = timedCpu(() => trainLogistic(train.x, train.y, { l2: 1 }));
  out['logistic_train_100k_x50_s'] = lrMs / 1000;
  out['logistic_train_100k_x50_cpu_s'] = lrCpuMs / 1000;
  out['logistic_newton_iterations'] = lr.iterations;
  out['logistic_test_auc'] = rocAuc(test.y, logisticPredict(lr, test.x));

  const [iso, isoMs] = timed(() => trainIsolationForest(train.x, { nTrees: 100 }));
  out['isolation_forest_train_100_trees_ms'] = isoMs;

  const [artifact, exportMs] = timed(() => gbdtToOnnx(gbdt));
  out['onnx_export_gbdt_ms'] = exportMs;
  out['onnx_gbdt_model_kb'] = artifact.bytes.length / 1024;

  const predictor = createPredictorForArtifact(artifact);
  const single = [Array.from(rows1k.data.subarray(0, 50))];
  const [, firstMs] = await timedAsync(() => predictor.predict(single));
  out['onnx_session_create_and_first_row_ms'] = firstMs;
  const [onnxScores, batchMs] = await timedAsync(() => predictor.predict(rows1k));
  out['onnx_batch_1000_rows_ms'] = batchMs;
  out['onnx_vs_typescript_gbdt_max_abs_diff'] = maxAbsDiff(onnxScores, tsScores);
  const singles: number[] = [];
  for (let i = 0; i < 300; i++) {
    const row = rows1k.data.slice((i % 1000) * 50, (i % 1000) * 50 + 50);
    const [, ms] = await timedAsync(() => predictor.predict({ data: row, rows: 1, cols: 50 }));
    singles.push(ms * 1000);
  }
  out['onnx_single_row_p50_us'] = percentile(singles, 0.5);
  out['onnx_single_row_p99_us'] = percentile(singles, 0.99);
  await predictor.close();

  const lrPredictor = createPredictorForArtifact(logisticToOnnx(lr));
  out['onnx_vs_typescript_logistic_max_abs_diff'] = maxAbsDiff(await lrPredictor.predict(rows1k), logisticPredict(lr, rows1k));
  await lrPredictor.close();
  const isoPredictor = createPredictorForArtifact(isolationForestToOnnx(iso));
  out['onnx_vs_typescript_isolation_forest_max_abs_diff'] = maxAbsDiff(await isoPredictor.predict(rows1k), isolationForestScore(iso, rows1k));
  await isoPredictor.close();
  return out;
}

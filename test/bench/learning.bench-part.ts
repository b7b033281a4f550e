/**
 * The learning loop's speed (called by `npm run bench`):
 * - a full retraining run, the job handler end to end (snapshot with reviewed invoices, 20 search trials per
 *   GBDT model, calibration, ONNX export and parity, champion scored on the same held-out rows, gate,
 *   registration, run record, report) on 100,000 generated feature vectors (target: under 5 minutes on 2 cores);
 * - the delay from a promotion to the first invoice scored by the new version on the local runtime, with the
 *   default pointer refresh of 60 s (target: within the refresh interval plus one scoring).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { runJob } from '../../functions/core/learning/jobs.js';
import { createFsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { createLocalRuntime } from '../../functions/platform/local-runtime.js';
import { openLocalLearning } from '../../functions/platform/local-learning.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { datasetHash, type Dataset, type DatasetRow } from '../../functions/training/dataset-rows.js';
import { createRetrainHandler } from '../../functions/training/retrain.js';
import { registerCopy } from '../helpers/model-copy.js';
import { BORN_DIGITAL_ONLY } from '../helpers/corpus.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Feature vectors with learnable labels: quality from capture-like columns, failure from validation-like ones. */
function syntheticRows(n: number, seed: number): DatasetRow[] {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  const langs = ['en', 'de', 'fr'];
  const rows: DatasetRow[] = [];
  for (let i = 0; i < n; i++) {
    const f = FEATURE_NAMES.map(() => rnd());
    for (let k = 0; k < f.length; k++) if (rnd() < 0.03) f[k] = Number.NaN;
    const scan = rnd() < 0.2;
    const q = 2.5 * (f[0]! - 0.5) + 1.5 * (f[1]! - 0.5) - (scan ? 0.8 : 0) + 0.6 * (rnd() - 0.5);
    const fl = 2 * (f[22]! - 0.5) + 1.8 * (f[23]! - 0.5) + 1.2 * (f[40]! - 0.5) + 0.6 * (rnd() - 0.5);
    const unusual = rnd() < 0.05;
    if (unusual) f[31] = 5 + rnd() * 5;
    rows.push({
      file: `synthetic-${i}`, group: `s${i % 4000}`, kind: scan ? 'scan' : rnd() < 0.15 ? 'einvoice-pdf' : 'born-digital', language: langs[i % 3]!,
      scanQuality: scan ? 'scan-clean' : 'digital', problems: unusual ? ['unusual-amount'] : [],
      features: f.map((v) => (Number.isNaN(v) ? null : Math.round(v * 1e4) / 1e4)),
      quality: q > 0.3 ? 0 : 1, failure: fl > 0.9 ? 1 : 0, reasons: [], labelSource: 'truth', captureSource: 'generated',
    });
  }
  return rows;
}

async function retrainBench(out: Record<string, number>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledgerx-bench-retrain-'));
  try {
    const learning = await openLocalLearning({ dataDir: dir, config: { retrain: { trials: 20, seed: 5 } } });
    const rows = syntheticRows(100_000, 11);
    const base: Dataset = {
      rows, cachePath: 'synthetic',
      meta: { featureSchemaVersion: FEATURE_SCHEMA_VERSION, featureNames: [...FEATURE_NAMES], corpora: [], documents: rows.length, rows: rows.length, skipped: 0, sha256: datasetHash(rows), buildSeconds: 0 },
    };
    const handler = createRetrainHandler({
      registry: learning.registry, artifacts: learning.artifacts, runs: learning.runs, labels: learning.labels, predictions: learning.predictions,
      blobs: createFsBlobStore(join(dir, 'buckets')), bucket: 'artifacts', config: learning.config, baseDataset: async () => base,
      reportsDir: join(dir, 'reports'), logger: silentLogger, now: () => new Date(),
    });
    await learning.jobs.create({ id: 'bench', kind: 'retrain', key: 'retrain:bench', params: { reason: 'bench' }, now: new Date() });
    const cpu = process.cpuUsage();
    const start = performance.now();
    const outcome = await runJob('bench', { store: learning.jobs, handlers: { retrain: handler }, owner: 'bench', log: silentLogger, now: () => new Date(), leaseMs: 3_600_000 });
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    if (outcome.status !== 'succeeded') throw new Error(`retrain bench ${outcome.status}: ${outcome.job?.errors.at(-1)?.reason}`);
    const run = (await learning.runs.list({ limit: 1 })).items[0]!;
    out['retrain_100k_rows_20_trials_s'] = seconds;
    out['retrain_100k_rows_20_trials_cpu_s'] = (used.user + used.system) / 1e6;
    out['retrain_100k_failure_test_roc_auc'] = run.metrics.failure?.splits.test?.rocAuc ?? Number.NaN;
    out['retrain_100k_quality_test_roc_auc'] = run.metrics.quality?.splits.test?.rocAuc ?? Number.NaN;
    learning.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function promotionDelayBench(out: Record<string, number>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledgerx-bench-promote-'));
  try {
    await generateCorpus({ outDir: join(dir, 'in'), count: 150, seed: 9, mix: BORN_DIGITAL_ONLY, problemRates: { badFile: 0 } });
    const learning = await openLocalLearning({ dataDir: join(dir, 'data'), seedDir: join(ROOT, 'models') });
    const refreshMs = learning.config.registryRefreshSeconds * 1000;
    const runtime = createLocalRuntime({ dataDir: join(dir, 'data'), logger: silentLogger, models: learning.serving(), bus: { concurrency: 2 } });
    const scoredBy = new Map<string, string>();
    runtime.onSettled((id) => {
      void learning.predictions.forInvoice(id).then((e) => { if (e[0]) scoredBy.set(id, e[0].modelVersions.failure ?? 'rules'); });
    });
    let n = 0;
    const submit = async () => (await runtime.submitFile(join(dir, 'in', `doc-${String(++n).padStart(5, '0')}.pdf`), `drop/bench-${n}.pdf`)).invoiceId;
    const first = await submit();
    while (!scoredBy.has(first)) await new Promise((r) => setTimeout(r, 50));
    const before = scoredBy.get(first)!;
    // Promote a new version: the production failure model's files under another name, registered before the
    // clock starts, so that the promotion itself is a pointer flip (the shipped versions before it read an
    // earlier feature schema: a rollback cannot restore them).
    const copy = `${before}-bench`;
    await registerCopy(learning, 'failure', before, copy, 'promotion delay benchmark');
    const t0 = performance.now();
    const restored = await learning.registry.promote('failure', copy, { actor: 'bench', reason: 'promotion delay benchmark', at: new Date() });
    let delay = Number.NaN;
    while (n < 140 && Number.isNaN(delay)) {
      const id = await submit();
      const sent = performance.now();
      while (!scoredBy.has(id) && performance.now() - sent < 30_000) await new Promise((r) => setTimeout(r, 20));
      if (scoredBy.get(id) === restored.version) delay = (performance.now() - t0) / 1000;
      else await new Promise((r) => setTimeout(r, 500));
    }
    if (before === restored.version) throw new Error('the promotion did not change the version');
    out['promotion_to_first_scored_s'] = delay;
    out['registry_refresh_interval_s'] = refreshMs / 1000;
    await runtime.drain();
    await runtime.close();
    learning.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchLearning(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await retrainBench(out);
  await promotionDelayBench(out);
  return out;
}

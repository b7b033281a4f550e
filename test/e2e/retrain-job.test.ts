/**
 * The retraining Cloud Run job as built (`node dist/jobs/retrain/index.js`, the bundle its image runs) against
 * the Firestore emulator and the Cloud Storage test server: it claims the job record the trigger created, reads
 * the base corpus from the models bucket, trains, writes the versions' files and the snapshot and the report to
 * the bucket, registers, gates and promotes in Firestore, and records the run. Skipped without the Cloud SDK.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreJobStore } from '../../functions/adapters/gcp/firestore-job-store.js';
import { FirestoreModelRegistryStore } from '../../functions/adapters/gcp/firestore-model-registry.js';
import { FirestoreOpsStore } from '../../functions/adapters/gcp/firestore-monitoring-store.js';
import { MonitoringConfigSchema } from '../../functions/core/monitoring/config.js';
import { applyPolicy, decideAction, newFinding, type PolicyDeps } from '../../functions/core/monitoring/ops-policy.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { FirestoreRunStore } from '../../functions/adapters/gcp/firestore-run-store.js';
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { datasetHash, type DatasetRow } from '../../functions/training/dataset-rows.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { emulatorAvailable, startEmulator, type RunningEmulator } from '../helpers/emulators.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'dist/jobs/retrain/index.js');
const PROJECT = 'ledgerx-job-test';
const ready = emulatorAvailable('firestore') && existsSync(BUNDLE);
if (!ready) console.warn('[retrain-job] Firestore emulator or dist/jobs/retrain missing: skipped');

function rows(n: number): DatasetRow[] {
  let s = 7;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  return Array.from({ length: n }, (_, i) => {
    const f = FEATURE_NAMES.map(() => Math.round(rnd() * 1e4) / 1e4);
    const unusual = i % 12 === 0;
    if (unusual) f[31] = 9;
    return {
      file: `r${i}`, group: `g${i % 120}`, kind: i % 7 === 0 ? 'einvoice-pdf' : 'born-digital', language: ['en', 'de', 'fr'][i % 3]!, scanQuality: 'digital',
      problems: unusual ? ['unusual-amount'] : [], features: f, quality: f[0]! + 0.3 * rnd() > 0.45 ? 1 : 0, failure: f[22]! + 0.3 * rnd() > 0.9 ? 1 : 0,
      reasons: [], labelSource: 'truth', captureSource: 'generated',
    } satisfies DatasetRow;
  });
}

describe.skipIf(!ready)('the retraining job bundle on the emulators', () => {
  let emulator: RunningEmulator;
  let gcs: GcsTestServer;
  let db: Firestore;
  beforeAll(async () => {
    emulator = await startEmulator('firestore');
    gcs = await startGcsTestServer({ buckets: ['models'] });
    process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
    db = new Firestore({ projectId: PROJECT });
  }, 90_000);
  afterAll(async () => {
    await db?.terminate();
    await gcs?.close();
    await emulator?.stop();
  });

  it('claims the job, trains from the bucket corpus, stores, registers, promotes and records the run', async () => {
    const base = rows(900);
    const storage = new Storage({ apiEndpoint: gcs.url, projectId: PROJECT });
    await storage.bucket('models').file('training/base/dataset.jsonl').save(base.map((r) => JSON.stringify(r)).join('\n') + '\n', { resumable: false });
    await storage.bucket('models').file('training/base/dataset.jsonl.meta.json').save(JSON.stringify({
      featureSchemaVersion: FEATURE_SCHEMA_VERSION, featureNames: FEATURE_NAMES, corpora: [], documents: base.length, rows: base.length, skipped: 0, sha256: datasetHash(base), buildSeconds: 0,
    }), { resumable: false });
    const jobs = new FirestoreJobStore(db);
    const { job } = await jobs.create({ id: 'job-e2e', kind: 'retrain', key: 'retrain:schedule:2025-03-03', params: { reason: 'schedule', trials: 2 }, now: new Date() });
    const env = {
      PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none', FIRESTORE_EMULATOR_HOST: emulator.host, STORAGE_EMULATOR_HOST: gcs.url,
      GOOGLE_CLOUD_PROJECT: PROJECT, LEDGERX_MODELS_BUCKET: 'models', LEDGERX_BASE_DATASET: 'training/base/dataset.jsonl', LEDGERX_PROMOTION_MODE: 'auto',
      LEDGERX_LOG_LEVEL: 'warn', LEDGERX_JOB_ID: job.id, LEDGERX_CODE_REVISION: 'test-revision', CLOUD_RUN_EXECUTION: 'exec-1',
    };
    const first = await run(process.execPath, [BUNDLE], { env, maxBuffer: 1 << 24 }).catch((err: { code: number; stderr: string; stdout: string }) => err);
    expect((first as { code?: number }).code ?? 0, (first as { stderr: string }).stderr.slice(-3000)).toBe(0);
    const done = (await jobs.get(job.id))!;
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    const result = done.result as { runId: string; versions: Record<string, string>; outcomes: Array<{ model: string; outcome: string }> };
    const registry = new FirestoreModelRegistryStore(db);
    const production = await registry.production();
    for (const o of result.outcomes) {
      if (o.outcome === 'promoted') expect(production[o.model]).toBe(result.versions[o.model]);
      const v = (await registry.get(o.model, result.versions[o.model]!))!;
      expect(v.lineage).toMatchObject({ runId: result.runId, codeRevision: 'test-revision' });
      expect(gcs.object('models', `${o.model}/${v.version}/model.onnx`)).toBeDefined();
    }
    expect(result.outcomes.find((o) => o.model === 'failure')?.outcome).toBe('promoted');
    const runRecord = (await new FirestoreRunStore(db).get(result.runId))!;
    expect(runRecord).toMatchObject({ status: 'succeeded', kind: 'retrain', jobId: job.id });
    expect(runRecord.artifacts.some((a) => a.uri === `gs://models/reports/${result.versions.failure}/report.html`)).toBe(true);
    expect(gcs.object('models', `training/snapshots/${runRecord.dataSnapshot!.sha256}.jsonl`)).toBeDefined();
    // A second execution of the same record (a duplicate launch) finds it finished and does nothing.
    const second = await run(process.execPath, [BUNDLE], { env, maxBuffer: 1 << 24 });
    expect(second.stderr).not.toMatch(/"severity":"ERROR"/);
    expect((await jobs.get(job.id))?.attempts).toBe(1);

    // An admin approves the policy's hold on promotions: the next retraining (a scheduled one) gates, promotes nothing.
    const ops = new FirestoreOpsStore(db);
    const policy: PolicyDeps = {
      store: ops, config: MonitoringConfigSchema.parse({}), owner: 'test', log: silentLogger, now: () => new Date(),
      executors: { requestRetraining: async () => ({}), rollback: async () => ({}), alert: async () => ({ logged: true }) },
    };
    const finding = newFinding({ kind: 'reject-share-rising', subject: 'pipeline', summary: 'REJECT share rising', evidence: {}, reportId: 'drift-1', windowEnd: new Date().toISOString() }, new Date());
    await applyPolicy(policy, [finding], { production: await registry.production() });
    const hold = (await ops.actions({ status: 'pending-approval', limit: 10 })).find((a) => a.type === 'hold-promotions')!;
    expect((await decideAction(policy, hold.id, 'approve', 'admin', 'REJECT share rising')).status).toBe('executed');
    const productionBefore = await registry.production();
    const { job: held } = await jobs.create({ id: 'job-held', kind: 'retrain', key: 'retrain:schedule:2025-03-10', params: { reason: 'schedule', trials: 2, seed: 43 }, now: new Date() });
    const third = await run(process.execPath, [BUNDLE], { env: { ...env, LEDGERX_JOB_ID: held.id }, maxBuffer: 1 << 24 });
    expect(`${third.stdout}${third.stderr}`).toMatch(/promotions are held/);
    const heldResult = (await jobs.get(held.id))!.result as typeof result;
    expect(heldResult.outcomes.map((o) => o.outcome)).not.toContain('promoted');
    expect(await registry.production()).toEqual(productionBefore);
    expect((await new FirestoreRunStore(db).get(heldResult.runId))!.parameters).toMatchObject({ promote: false, promotionHeldBy: hold.id });
  }, 420_000);
});

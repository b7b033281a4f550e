/**
 * The `drift-check` function's handler on its GCP runtime: Firestore (emulator) for the prediction log, the
 * registry, jobs, reports and the operations log; the shipped models in a models bucket and reports in an
 * artifacts bucket (a local folder behind the BlobStore port, as the GCS adapter's contract allows); the
 * retrain-requested publication captured and parsed as the retrain function parses it. Scheduler's retries of
 * one window, also at the same time, are one job, one report and one retraining request.
 */
import { FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { cp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreModelRegistryStore } from '../../functions/adapters/gcp/firestore-model-registry.js';
import { FirestorePredictionLog } from '../../functions/adapters/gcp/firestore-prediction-log.js';
import { bucketSeed } from '../../functions/adapters/gcp/bucket-model-artifacts.js';
import { createFsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { importSeed } from '../../functions/core/learning/seed.js';
import { makeDriftCheckHandler } from '../../functions/drift-check.js';
import { requestOf } from '../../functions/retrain.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { loadMonitoringConfig } from '../../functions/platform/gcp/monitoring-config.js';
import { gcpMonitoring, type DriftCheckRuntime } from '../../functions/platform/gcp/runtimes/drift-check.js';
import { emulatorAvailable, startEmulator, type RunningEmulator } from '../helpers/emulators.js';
import { tempDir } from '../helpers/runtime.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const PROJECT = 'ledgerx-drift-check-test';
const REPO = path.resolve(import.meta.dirname, '../..');
const firestoreReady = emulatorAvailable('firestore');
if (!firestoreReady) console.warn('[drift-check-function] Firestore emulator not installed (Cloud SDK): skipped');

function fakeRes() {
  const res = { statusCode: 0, body: undefined as unknown, headers: {} as Record<string, string> };
  const api = {
    status(code: number) { res.statusCode = code; return api; },
    json(b: unknown) { res.body = b; return api; },
    set(k: string, v: string) { res.headers[k] = v; return api; },
  };
  return { res, api };
}

describe('drift-check handler', () => {
  it('refuses other methods and hostile bodies before touching anything, and answers 500 when misconfigured', async () => {
    let built = 0;
    const handler = makeDriftCheckHandler(async () => { built++; throw new Error('no config'); });
    const call = async (body: unknown, method = 'POST') => {
      const { res, api } = fakeRes();
      await handler({ method, body } as never, api as never);
      return res;
    };
    expect((await call({}, 'GET')).statusCode).toBe(405);
    expect((await call({ windowEnd: 'yesterday' })).statusCode).toBe(400);
    expect((await call({ trigger: 'schedule', extra: '<script>' })).statusCode).toBe(400);
    expect((await call([1, 2])).statusCode).toBe(400);
    expect(built).toBe(0);
    expect((await call({ trigger: 'schedule' })).statusCode).toBe(500);
    expect(() => loadMonitoringConfig('drift-check', { GOOGLE_CLOUD_PROJECT: 'p', LEDGERX_MODELS_BUCKET: 'm', LEDGERX_ARTIFACTS_BUCKET: 'a', LEDGERX_MONITORING: '{"drift":{"pValue":7}}' })).toThrow(/LEDGERX_MONITORING\.drift\.pValue/);
  });
});

describe.skipIf(!firestoreReady)('drift-check on its GCP runtime (Firestore emulator)', () => {
  let emulator: RunningEmulator;
  let db: Firestore;
  let dir: string;
  let dispose: () => Promise<void>;
  const published: unknown[] = [];
  let runtime: DriftCheckRuntime;
  const end = new Date('2026-11-30T12:00:00.000Z');

  beforeAll(async () => {
    emulator = await startEmulator('firestore');
    process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
    db = new Firestore({ projectId: PROJECT });
    ({ dir, dispose } = await tempDir('drift-check-fn'));
    await cp(path.join(REPO, 'models'), path.join(dir, 'buckets/models'), { recursive: true });
    const blobs = createFsBlobStore(path.join(dir, 'buckets'));
    const registry = new FirestoreModelRegistryStore(db);
    await importSeed(registry, bucketSeed(blobs, 'models'), new Date());
    const production = await registry.production();
    // A window of 40 scorings whose features moved: every golden row of the model, doubled and flipped.
    const golden = JSON.parse(readFileSync(path.join(REPO, 'models/quality', production.quality!, 'test_data/inputs.json'), 'utf8')) as { featureNames: string[]; rows: Array<Array<number | null>> };
    const log = new FirestorePredictionLog(db);
    await Promise.all(Array.from({ length: 40 }, (_, i) => {
      const row = golden.rows[i % golden.rows.length]!;
      const features = Object.fromEntries(golden.featureNames.map((n, f) => [n, row[f] === null ? null : n.startsWith('is_') || n.startsWith('has_') ? 1 - row[f]! : row[f]! * 2 + 1]));
      return log.record({
        invoiceId: `inv-${i}`, revision: 1, featureSchemaVersion: FEATURE_SCHEMA_VERSION, features,
        scores: Object.fromEntries(Object.keys(production).map((m) => [m, { raw: 0.4, calibrated: 0.4 }])), modelVersions: production,
        decision: 'REVIEW', basis: 'models+rules', scoredAt: new Date(end.getTime() - (i + 1) * 60_000).toISOString(),
      });
    }));
    const config = loadMonitoringConfig('drift-check', { GOOGLE_CLOUD_PROJECT: PROJECT, LEDGERX_MODELS_BUCKET: 'models', LEDGERX_ARTIFACTS_BUCKET: 'artifacts', LEDGERX_MONITORING: JSON.stringify({ drift: { minRows: 5 } }) });
    const monitoring = await gcpMonitoring({ config, db, blobs, log: silentLogger, publishRetrain: async (data) => { published.push(JSON.parse(data.toString('utf8'))); return `m-${published.length}`; } });
    runtime = { ...monitoring, log: silentLogger, now: () => new Date(end.getTime() + 5_000) };
  }, 120_000);
  afterAll(async () => {
    await db?.terminate();
    await emulator?.stop();
    await dispose?.();
  });

  it('checks the window once however often Scheduler calls, and asks for retraining once', async () => {
    const handler = makeDriftCheckHandler(async () => runtime);
    const call = async () => {
      const { res, api } = fakeRes();
      await handler({ method: 'POST', body: { trigger: 'schedule', windowEnd: end.toISOString() } } as never, api as never);
      return res;
    };
    const [a, b] = await Promise.all([call(), call()]);
    const third = await call();
    for (const r of [a, b, third]) expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
    const ran = [a, b, third].map((r) => r.body as { status: string; reportId?: string });
    expect(ran.some((r) => r.status === 'succeeded' && r.reportId), JSON.stringify(ran)).toBe(true);
    const { items } = await runtime.reports.list({ limit: 10 });
    expect(items).toHaveLength(1);
    const report = (await runtime.reports.get(items[0]!.id))!;
    expect(report.status).toBe('drift');
    // The shipped production model carries the baseline written at its training (baseline.json); versions without
    // one fall back to their metadata's summary (test/unit/monitoring-drift.test.ts).
    expect(report.baseline?.source).toBe('training');
    expect((await runtime.blobs.stat(report.html!))?.size).toBeGreaterThan(1000);
    // One retraining request, a valid retrain-requested message carrying the action id.
    expect(published).toHaveLength(1);
    const parsed = requestOf(published[0]);
    expect(parsed).toMatchObject({ request: { reason: 'ops data-drift', requestId: expect.stringMatching(/^act-/) as unknown } });
    const actions = await runtime.ops.actions({ limit: 20 });
    expect(actions.filter((x) => x.type === 'request-retraining')).toHaveLength(1);
    expect(actions.find((x) => x.type === 'request-retraining')?.status).toBe('executed');
    expect((await runtime.jobs.list({ kind: 'drift-check', limit: 10 }))).toHaveLength(1);
  }, 60_000);
});

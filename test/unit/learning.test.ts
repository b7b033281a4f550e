/**
 * The learning loop's rules and runners on the local adapters: the promotion gate, the serving registry's
 * pointer refresh (a promotion reaches serving without a restart; a scoring never mixes versions), the job
 * runner and the local scheduler (one job per window, abandoned jobs resumed), the retrain trigger function,
 * and review labels taking precedence in the training snapshot.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../functions/core/learning/gate.js';
import { JobPermanentError, runJob, type JobContext, type JobHandler } from '../../functions/core/learning/jobs.js';
import { createFolderArtifactStore } from '../../functions/adapters/local/model-artifacts.js';
import { RegistryFileSeedReader } from '../../functions/adapters/local/registry-seed.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteJobStore } from '../../functions/adapters/local/sqlite/job-store.js';
import { SqliteLabelStore } from '../../functions/adapters/local/sqlite/label-store.js';
import { SqliteModelRegistryStore } from '../../functions/adapters/local/sqlite/model-registry-store.js';
import { SqlitePredictionLog } from '../../functions/adapters/local/sqlite/prediction-log.js';
import { createServingRegistry } from '../../functions/adapters/onnx/serving-registry.js';
import { importSeed, versionFromMetadata } from '../../functions/core/learning/seed.js';
import { ModelMetadataSchema } from '../../functions/core/registry/model-metadata.js';
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { startLocalScheduler } from '../../functions/platform/local-scheduler.js';
import { buildTrainingSnapshot } from '../../functions/training/snapshot.js';
import { datasetHash, type Dataset, type DatasetRow } from '../../functions/training/dataset-rows.js';
import { makeRetrainHandler, requestOf } from '../../functions/retrain.js';
import { entry } from '../contracts/learning-stores.contract.js';

const SEED = path.resolve(import.meta.dirname, '../../models');

describe('promotion gate', () => {
  const y = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const lang = y.map((_, i) => (i < 100 ? 'en' : 'de'));
  const good = y.map((v, i) => (v === 1 ? 0.7 + (i % 7) / 30 : 0.2 + (i % 11) / 30));
  const noisy = y.map((v, i) => (i % 3 === 0 ? 1 - good[i]! : good[i]!));

  it('promotes without a champion, and a challenger that beats it by the margin', () => {
    expect(evaluateGate({ y, challenger: good, champion: null, slices: {} })).toMatchObject({ pass: true, reasons: ['NO_CHAMPION'] });
    const r = evaluateGate({ y, challenger: good, champion: noisy, slices: { language: lang } }, { margin: 0.01 });
    expect(r.pass).toBe(true);
    expect(r.reasons).toEqual(['BEATS_CHAMPION']);
    expect(r.delta).toBeGreaterThan(0.01);
  });

  it('never promotes a worse challenger, nor an equal one under a margin', () => {
    expect(evaluateGate({ y, challenger: noisy, champion: good, slices: {} })).toMatchObject({ pass: false, reasons: ['BELOW_MARGIN'] });
    expect(evaluateGate({ y, challenger: good, champion: good, slices: {} }, { margin: 0.001 })).toMatchObject({ pass: false, reasons: ['BELOW_MARGIN'] });
  });

  it('promotes a challenger that ranks as well and is clearly better calibrated, and no other', () => {
    // The same ranking, squeezed towards 0.5: an overconfident champion against calibrated probabilities.
    const overconfident = good.map((p) => (p > 0.5 ? 0.999 : 0.001));
    const calibrated = good.map((p) => (p > 0.5 ? 0.97 : 0.03));
    const r = evaluateGate({ y, challenger: calibrated, champion: overconfident, slices: {} });
    expect(r.delta).toBe(0);
    expect(r.logLoss!.challenger).toBeLessThan(r.logLoss!.champion * 0.9);
    expect(r).toMatchObject({ pass: true, reasons: ['BETTER_CALIBRATED'] });
    // The way is closed when turned off, when the gain is too small, and for a challenger that ranks worse.
    expect(evaluateGate({ y, challenger: calibrated, champion: overconfident, slices: {} }, { calibrationGain: 0 }).reasons).toEqual(['BELOW_MARGIN']);
    expect(evaluateGate({ y, challenger: calibrated, champion: calibrated.map((p) => p * 0.99), slices: {} }).reasons).toEqual(['BELOW_MARGIN']);
    const worseRanking = calibrated.map((p, i) => (i % 9 === 0 ? 1 - p : p));
    expect(evaluateGate({ y, challenger: worseRanking, champion: overconfident.map((p) => (p > 0.5 ? 0.9999999 : 1e-7)), slices: {} }).reasons).toEqual(['BELOW_MARGIN']);
  });

  it('blocks a challenger that is better overall but worse on a guarded slice', () => {
    // Better than the champion on English rows by a lot, slightly worse on German ones.
    const champion = y.map((v, i) => (i < 100 ? noisy[i]! : good[i]!));
    const challenger = y.map((v, i) => (i < 100 ? good[i]! : i % 5 === 0 ? 1 - good[i]! : good[i]!));
    const r = evaluateGate({ y, challenger, champion, slices: { language: lang } }, { margin: 0, sliceTolerance: 0.01, minSliceRows: 30 });
    expect(r.delta).toBeGreaterThan(0);
    expect(r.pass).toBe(false);
    expect(r.reasons).toEqual(['SLICE_WORSE:language=de']);
    expect(r.slices.find((s) => s.value === 'de')?.verdict).toBe('worse');
    // Too small a slice is reported, not judged.
    const small = evaluateGate({ y, challenger, champion, slices: { language: lang } }, { margin: 0, minSliceRows: 500 });
    expect(small.pass).toBe(true);
    expect(small.slices.every((s) => s.verdict === 'not-judged')).toBe(true);
  });

  it('refuses a challenger without signal (one class in the held-out rows)', () => {
    expect(evaluateGate({ y: y.map(() => 0), challenger: good, champion: null, slices: {} })).toMatchObject({ pass: false, reasons: ['NO_SIGNAL'] });
  });
});

describe('serving registry', () => {
  it('picks up a promotion within the refresh interval; a scoring in flight keeps its versions; rollback likewise', async () => {
    const db = openLedgerDatabase(':memory:');
    const registry = new SqliteModelRegistryStore(db);
    const work = mkdtempSync(path.join(tmpdir(), 'ledgerx-serving-'));
    const artifacts = createFolderArtifactStore({ writeDir: work, readDirs: [SEED] });
    await importSeed(registry, new RegistryFileSeedReader(SEED), new Date());
    // A second servable failure version (the shipped one's files under another version), promoted over the
    // shipped one: the rollback target is then of this code's feature schema, whatever the seed's history holds.
    const shipped = (await registry.production()).failure!;
    const copy = await copyVersion(artifacts, registry, 'failure', shipped, `${shipped}-copy`);
    await registry.promote('failure', copy, { actor: 'ops', reason: 'test', at: new Date() });
    const prod = await registry.production();
    let clock = 0;
    const serving = createServingRegistry({ store: registry, artifacts, refreshMs: 60_000, logger: silentLogger, now: () => clock, releaseAfterMs: 10 });
    const before = (await serving.loadProduction())!;
    expect(before.versions).toEqual(prod);
    const row = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0.5]));
    const ctx = { actor: 'ops', reason: 'test', at: new Date() };
    await registry.rollback('failure', ctx);
    // Within the interval: still the old versions (at most one pointer read per interval).
    clock = 59_000;
    expect((await serving.loadProduction())!.versions.failure).toBe(prod.failure);
    clock = 60_001;
    const after = (await serving.loadProduction())!;
    expect(after.versions.failure).not.toBe(prod.failure);
    expect(after.versions.quality).toBe(prod.quality);
    // The object a scoring already holds still scores with its own versions (no mixing within one scoring).
    expect(before.versions.failure).toBe(prod.failure);
    expect((await before.score(row)).failureRisk).toBeTypeOf('number');
    expect(serving.servedKey()).toContain(`failure@${after.versions.failure}`);
    const raw = (await after.score(row)).raw!;
    expect(Object.keys(raw).sort()).toEqual(['anomaly', 'failure', 'quality']);
    expect(after.versions.failure).toBe(shipped);
    db.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('an upgrade across a feature-schema change: the seed replaces a production version of the earlier schema, once', async () => {
    const db = openLedgerDatabase(':memory:');
    const registry = new SqliteModelRegistryStore(db);
    const work = mkdtempSync(path.join(tmpdir(), 'ledgerx-seed-'));
    const artifacts = createFolderArtifactStore({ writeDir: work, readDirs: [SEED] });
    const seed = new RegistryFileSeedReader(SEED);
    await importSeed(registry, seed, new Date());
    const shipped = await registry.production();
    // A fresh install replays only the shipped production history of this code's schema (never a rollback target it cannot serve).
    for (const name of ['quality', 'failure', 'anomaly']) {
      for (const v of (await registry.pointer(name)).history) expect((await registry.get(name, v))!.lineage.featureSchemaVersion).toBe(FEATURE_SCHEMA_VERSION);
    }
    // The state of an install that served the earlier schema: its production quality model expects v1 vectors.
    const old = await copyVersion(artifacts, registry, 'quality', shipped.quality!, 'old-v1-schema', 'inv-features-v1');
    await registry.promote('quality', old, { actor: 'ops', reason: 'before the upgrade', at: new Date() });
    // A version of the current schema promoted by hand is left alone.
    const own = await copyVersion(artifacts, registry, 'failure', shipped.failure!, 'own-current-schema');
    await registry.promote('failure', own, { actor: 'ops', reason: 'own retraining', at: new Date() });
    expect(await importSeed(registry, seed, new Date())).toEqual({ registered: 0, promoted: 1 });
    expect(await registry.production()).toEqual({ ...shipped, failure: own });
    const audit = (await registry.audit('quality')).filter((a) => a.action === 'promote').at(-1)!;
    expect(audit).toMatchObject({ action: 'promote', actor: 'seed', version: shipped.quality, reason: expect.stringContaining(`expects features inv-features-v1, this code computes ${FEATURE_SCHEMA_VERSION}`) });
    expect(await importSeed(registry, seed, new Date())).toEqual({ registered: 0, promoted: 0 });
    db.close();
    rmSync(work, { recursive: true, force: true });
  });
});

/** Registers a copy of a stored version's files under another version name (and optionally another feature schema). */
async function copyVersion(
  artifacts: ReturnType<typeof createFolderArtifactStore>, registry: SqliteModelRegistryStore, name: string, from: string, to: string, featureSchemaVersion?: string,
): Promise<string> {
  const dir = await artifacts.materialize(name, from);
  const meta = ModelMetadataSchema.parse(JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8')));
  const copied = { ...meta, version: to, ...(featureSchemaVersion ? { featureSchemaVersion } : {}) };
  const files: Record<string, Uint8Array | string> = { 'metadata.json': JSON.stringify(copied) };
  for (const f of ['model.onnx', 'model.json']) files[f] = readFileSync(path.join(dir, f));
  await artifacts.put(name, to, files);
  await registry.register(versionFromMetadata(copied), { actor: 'ops', reason: 'test copy', at: new Date() });
  return to;
}

describe('job runner and local scheduler', () => {
  const log = silentLogger;

  it('retries a failing attempt, then fails with the reason; a permanent error fails at once', async () => {
    const db = openLedgerDatabase(':memory:');
    const store = new SqliteJobStore(db);
    let calls = 0;
    const flaky: JobHandler = async () => {
      calls++;
      throw new Error('disk full');
    };
    await store.create({ id: 'j1', kind: 'flaky', key: 'flaky:1', params: {}, now: new Date() });
    const opts = { store, handlers: { flaky, bad: (async () => { throw new JobPermanentError('BAD_PARAMS', 'seed must be an integer'); }) as JobHandler }, owner: 'me', log, now: () => new Date(), maxAttempts: 2 };
    expect((await runJob('j1', opts)).status).toBe('queued');
    expect((await runJob('j1', opts)).status).toBe('failed');
    expect(calls).toBe(2);
    expect((await store.get('j1'))?.errors.map((e) => e.reason)).toEqual(['disk full', 'disk full']);
    await store.create({ id: 'j2', kind: 'bad', key: 'bad:1', params: {}, now: new Date() });
    expect((await runJob('j2', opts)).status).toBe('failed');
    expect((await store.get('j2'))?.errors[0]).toMatchObject({ code: 'BAD_PARAMS', attempt: 1 });
    db.close();
  });

  it('runs each due window once across two schedulers, resumes an abandoned job from its checkpoint', async () => {
    const db = openLedgerDatabase(':memory:');
    const store = new SqliteJobStore(db);
    let now = new Date('2025-03-03T02:59:00.000Z');
    const clock = { now: () => now };
    const seen: Array<{ window: unknown; checkpoint: unknown; attempt: number }> = [];
    const handler = (async (ctx: JobContext<string>) => {
      seen.push({ window: ctx.params.window, checkpoint: ctx.checkpoint, attempt: ctx.attempt });
      await ctx.progress({ checkpoint: 'half', counts: { rows: 1 } });
      return { ok: true };
    }) as JobHandler;
    const a = startLocalScheduler({ jobs: store, handlers: { retrain: handler }, schedules: { retrain: '0 3 * * *' }, clock, logger: log, tickMs: 3_600_000 });
    const b = startLocalScheduler({ jobs: store, handlers: { retrain: handler }, schedules: { retrain: '0 3 * * *' }, clock, logger: log, tickMs: 3_600_000 });
    await Promise.all([a.tick(), b.tick()]);
    expect(seen).toEqual([]);
    now = new Date('2025-03-03T03:00:30.000Z');
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.tick(), b.tick()]);
    expect(seen).toEqual([{ window: '2025-03-03T03:00:00.000Z', checkpoint: undefined, attempt: 1 }]);
    const jobs = await store.list({ kind: 'retrain', limit: 10 });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ key: 'retrain:2025-03-03T03:00:00.000Z', status: 'succeeded', counts: { rows: 1 } });
    // A job left running by a dead runner (lease expired) is resumed from its checkpoint by the next tick.
    await store.create({ id: 'orphan', kind: 'retrain', key: 'retrain:manual:x', params: {}, now });
    await store.claim('orphan', 'dead', 60_000, now);
    await store.heartbeat('orphan', 'dead', { checkpoint: 'snapshot-done', leaseMs: 60_000, now });
    now = new Date(now.getTime() + 61_000);
    await a.tick();
    expect(seen.at(-1)).toEqual({ window: undefined, checkpoint: 'snapshot-done', attempt: 2 });
    expect((await store.get('orphan'))?.status).toBe('succeeded');
    await Promise.all([a.stop(), b.stop()]);
    expect(() => startLocalScheduler({ jobs: store, handlers: {}, schedules: { retrain: '0 3 * * *' }, logger: log })).toThrow(/no handler/);
    db.close();
  });
});

describe('retrain trigger function', () => {
  function fakeRes() {
    const res = { statusCode: 0, body: undefined as unknown, headers: {} as Record<string, string> };
    const api = {
      status(code: number) { res.statusCode = code; return api; },
      json(b: unknown) { res.body = b; return api; },
      set(k: string, v: string) { res.headers[k] = v; return api; },
    };
    return { res, api };
  }

  it('records one job per request and launches it once; redeliveries and retries start nothing new', async () => {
    const db = openLedgerDatabase(':memory:');
    const jobs = new SqliteJobStore(db);
    const launched: Array<Record<string, string>> = [];
    const runtime = { config: {} as never, jobs, launcher: { launch: async (env: Record<string, string>) => { launched.push(env); return `exec-${launched.length}`; } }, log: silentLogger, now: () => new Date('2025-03-03T03:00:00Z') };
    const handler = makeRetrainHandler(async () => runtime);
    const call = async (body: unknown, method = 'POST') => {
      const { res, api } = fakeRes();
      await handler({ method, body } as never, api as never);
      return res;
    };
    const push = { message: { data: Buffer.from(JSON.stringify({ schemaVersion: 1, reason: 'drift' })).toString('base64'), messageId: '123' }, subscription: 's' };
    const first = await call(push);
    expect(first.statusCode).toBe(200);
    expect(first.body).toMatchObject({ launched: true, execution: 'exec-1' });
    const jobId = (first.body as { jobId: string }).jobId;
    expect(launched).toEqual([{ LEDGERX_JOB_ID: jobId }]);
    // The same message again, after the job was claimed: acknowledged, nothing launched.
    await jobs.claim(jobId, 'runner', 600_000, new Date());
    expect((await call(push)).body).toMatchObject({ jobId, launched: false, status: 'running' });
    // The weekly schedule dedupes per day.
    const s1 = await call({ reason: 'schedule' });
    expect(s1.body).toMatchObject({ launched: true });
    expect(launched).toHaveLength(2);
    expect((await jobs.get((s1.body as { jobId: string }).jobId))?.params).toMatchObject({ reason: 'schedule', trigger: 'http' });
    expect((await call({ reason: 'bad reason; drop table' })).statusCode).toBe(400);
    expect((await call({ message: { data: '!!!' } })).statusCode).toBe(400);
    expect((await call({}, 'GET')).statusCode).toBe(405);
    expect(requestOf({ reason: 'schedule', trials: 9999 })).toHaveProperty('error');
    db.close();
  });
});

describe('training snapshot', () => {
  const row = (i: number, over: Partial<DatasetRow> = {}): DatasetRow => ({
    file: `f${i}`, group: `g${i % 5}`, kind: 'born-digital', language: 'en', scanQuality: 'digital', problems: [], features: FEATURE_NAMES.map(() => i),
    quality: 1, failure: 0, reasons: [], labelSource: 'truth', ...over,
  });

  it('adds reviewed invoices with the features they were served with; a review takes precedence over a derived label', async () => {
    const db = openLedgerDatabase(':memory:');
    const labels = new SqliteLabelStore(db);
    const predictions = new SqlitePredictionLog(db);
    const rows = [row(1, { invoiceId: 'inv-base' }), row(2)];
    const base: Dataset = { rows, meta: { featureSchemaVersion: FEATURE_SCHEMA_VERSION, featureNames: [...FEATURE_NAMES], corpora: [], documents: 2, rows: 2, skipped: 0, sha256: datasetHash(rows), buildSeconds: 0 }, cachePath: '' };
    const features = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i === 0 ? null : i / 100]));
    await predictions.record({ ...entry('inv-prod', 1, { failure: 'v1' }), features, featureSchemaVersion: FEATURE_SCHEMA_VERSION, slices: { language: 'de', scan: 'scan', einvoice: 'document', captureSource: 'drop' } });
    // A row logged before the schema bump (v1: confidences of the old extraction) stays readable but never trains.
    await predictions.record({ ...entry('inv-old-schema', 1), featureSchemaVersion: 'inv-features-v1' });
    expect((await predictions.forInvoice('inv-old-schema'))[0]).toMatchObject({ featureSchemaVersion: 'inv-features-v1' });
    const at = new Date().toISOString();
    await labels.put({ invoiceId: 'inv-prod', revision: 1, reviewer: 'alice', reviewedAt: at, decision: 'reject', corrections: { total_amount: 10 } });
    await labels.put({ invoiceId: 'inv-base', revision: 1, reviewer: 'alice', reviewedAt: at, decision: 'reject', corrections: {} });
    await labels.put({ invoiceId: 'inv-unscored', revision: 1, reviewer: 'alice', reviewedAt: at, decision: 'approve', corrections: {} });
    await labels.put({ invoiceId: 'inv-old-schema', revision: 1, reviewer: 'alice', reviewedAt: at, decision: 'approve', corrections: {} });
    const snap = await buildTrainingSnapshot(base, labels, predictions);
    expect(snap.sources).toEqual({ base: 2, baseReviewed: 1, reviewed: 1, reviewedWithoutPrediction: 1, reviewedOtherSchema: 1 });
    expect(snap.rows).toHaveLength(3);
    expect(snap.rows[0]).toMatchObject({ invoiceId: 'inv-base', quality: 1, failure: 1, labelSource: 'review' });
    const prod = snap.rows[2]!;
    expect(prod).toMatchObject({ invoiceId: 'inv-prod', quality: 0, failure: 1, labelSource: 'review', language: 'de', scanQuality: 'scan', captureSource: 'drop' });
    expect(prod.features[0]).toBeNull();
    expect(prod.features[1]).toBeCloseTo(0.01);
    expect(snap.meta.sha256).toBe(datasetHash(snap.rows));
    expect(snap.meta.sha256).not.toBe(base.meta.sha256);
    // A later review by another reviewer wins: the snapshot changes with it.
    await labels.put({ invoiceId: 'inv-prod', revision: 1, reviewer: 'bob', reviewedAt: new Date(Date.now() + 1000).toISOString(), decision: 'approve', corrections: {} });
    const again = await buildTrainingSnapshot(base, labels, predictions);
    expect(again.rows[2]).toMatchObject({ quality: 1, failure: 0 });
    db.close();
  });
});

describe('GCP learning configuration and the Cloud Run job launcher', () => {
  it('reads the trigger and job settings from the environment and lists every problem at once', async () => {
    const { loadRetrainJobConfig, loadRetrainTriggerConfig } = await import('../../functions/platform/gcp/learning-config.js');
    const { ConfigError } = await import('../../functions/platform/gcp/config.js');
    const env = { GOOGLE_CLOUD_PROJECT: 'p', LEDGERX_MODELS_BUCKET: 'm', LEDGERX_REGION: 'europe-west1', LEDGERX_RETRAIN_JOB: 'ledgerx-retrain-job', LEDGERX_MODEL_ADMINS: 'ana, bo', LEDGERX_GATE_MARGIN: '0.01', LEDGERX_GATE_CALIBRATION_GAIN: '0.2' };
    const trigger = loadRetrainTriggerConfig(env);
    expect(trigger).toMatchObject({ projectId: 'p', region: 'europe-west1', jobName: 'ledgerx-retrain-job', learning: { promotion: { mode: 'approval', admins: ['ana', 'bo'] }, gate: { margin: 0.01, calibrationGain: 0.2 } } });
    try {
      loadRetrainJobConfig({ LEDGERX_RETRAIN_JOB: 'x', LEDGERX_BASE_DATASET: 'not-jsonl', LEDGERX_PROMOTION_MODE: 'yolo' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as InstanceType<typeof ConfigError>).problems.length).toBeGreaterThanOrEqual(4);
    }
    expect(loadRetrainJobConfig({ ...env, LEDGERX_BASE_DATASET: 'training/base/dataset.jsonl', LEDGERX_JOB_ID: 'job-1' })).toMatchObject({ jobId: 'job-1', baseDataset: 'training/base/dataset.jsonl' });
  });

  it('starts a job execution with the job id as an environment override, and fails loudly on an error answer', async () => {
    const { cloudRunJobLauncher } = await import('../../functions/platform/gcp/cloud-run-launcher.js');
    const calls: Array<{ url: string; init: { method: string; headers: Record<string, string>; body?: string } }> = [];
    let status = 200;
    const launcher = cloudRunJobLauncher({
      projectId: 'p', region: 'europe-west1', jobName: 'ledgerx-retrain-job', token: async () => 'tok',
      fetch: async (url, init) => {
        calls.push({ url, init });
        return { ok: status < 300, status, text: async () => (status < 300 ? JSON.stringify({ name: 'op', metadata: { name: 'projects/p/locations/europe-west1/jobs/ledgerx-retrain-job/executions/e1' } }) : 'denied') };
      },
    });
    expect(await launcher.launch({ LEDGERX_JOB_ID: 'job-1' })).toMatch(/executions\/e1$/);
    expect(calls[0]!.url).toBe('https://run.googleapis.com/v2/projects/p/locations/europe-west1/jobs/ledgerx-retrain-job:run');
    expect(calls[0]!.init.headers.Authorization).toBe('Bearer tok');
    expect(JSON.parse(calls[0]!.init.body!)).toEqual({ overrides: { containerOverrides: [{ env: [{ name: 'LEDGERX_JOB_ID', value: 'job-1' }] }] } });
    status = 403;
    await expect(launcher.launch({ LEDGERX_JOB_ID: 'job-2' })).rejects.toThrow(/403/);
  });
});

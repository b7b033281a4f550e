/**
 * The batch jobs on the real local stack (folder bucket, SQLite, durable bus, real generated PDFs): the sweep
 * settles an upload whose event was lost and an invoice stuck in OCR_DONE and lists FAILED ones without
 * re-triggering them; reprocessing and backfills keep the earlier results in the history; an export run twice
 * is one file per format with the same bytes; the same window started twice, and at the same time, runs once;
 * hostile parameters are refused before any work.
 */
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { BATCH_KINDS, BatchParamsError, isFullSweep, parseBatchParams, type BatchKind } from '../../functions/core/batch/params.js';
import { startBatchJob } from '../../functions/core/batch/start.js';
import { FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { jobMarker } from '../../functions/core/batch/revisions.js';
import { runJob, type JobRecord } from '../../functions/core/learning/jobs.js';
import type { ModelRegistry, ScoringModels } from '../../functions/core/ports.js';
import { runOcrStage } from '../../functions/core/pipeline/ocr-stage.js';
import { invoiceIdFor } from '../../functions/core/pipeline/invoice-id.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { localBatchHandlers, localMonitoringReaders, LOCAL_EXPORTS_BUCKET, type LocalBatchOptions } from '../../functions/platform/local-batch-jobs.js';
import type { DailySummary } from '../../functions/core/batch/summary.js';
import { actionsOf, report } from '../contracts/monitoring-stores.contract.js';
import { openLocalLearning, type LocalLearning } from '../../functions/platform/local-learning.js';
import { createLocalRuntime, type LocalRuntime } from '../../functions/platform/local-runtime.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { startLocalScheduler } from '../../functions/platform/local-scheduler.js';
import { BATCH_SCHEDULES } from '../../functions/core/batch/handlers.js';
import { processFiles, tempDir } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

/** A registry whose production versions are whatever `current.version` says: a promotion is a reassignment. */
function switchableModels(current: { version: string; quality: number }): ModelRegistry {
  return {
    async loadProduction(): Promise<ScoringModels> {
      const { version, quality } = current;
      return {
        versions: { quality: version, failure: version, anomaly: version },
        featureSchemaVersion: FEATURE_SCHEMA_VERSION,
        score: async () => ({ quality, failureRisk: 0.01, anomaly: 0.01, explanations: {} }),
      };
    },
  };
}

describe('batch jobs on the local stack', () => {
  const cleanup: Array<() => Promise<void>> = [];
  const production = { version: 'v1', quality: 0.97 };
  let src: string;
  let names: string[];
  let dataDir: string;
  let runtime: LocalRuntime;
  let learning: LocalLearning;

  const run = async (kind: BatchKind, params: Record<string, unknown>, options: Omit<LocalBatchOptions, 'pollMs'> = {}): Promise<JobRecord> => {
    const versions = kind === 'backfill' ? (await runtime.deps.models.loadProduction())?.versions : undefined;
    const started = await startBatchJob(learning.jobs, { id: `job-${kind}-${Math.random().toString(16).slice(2)}`, kind, params, now: new Date(), ...(versions ? { productionVersions: versions } : {}) });
    expect(started.started).toBe(true);
    const outcome = await runJob(started.job.id, { store: learning.jobs, handlers: localBatchHandlers(runtime, { pollMs: 20, ...options }), owner: 'test-owner', log: silentLogger, now: () => new Date() });
    await runtime.drain();
    expect(outcome.job?.errors).toEqual([]);
    expect(outcome.status).toBe('succeeded');
    return outcome.job!;
  };

  beforeAll(async () => {
    const files = await tempDir('batch-src');
    cleanup.push(files.dispose);
    src = files.dir;
    await generateCorpus({
      outDir: src, count: 8, seed: 77,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    names = (await readdir(src)).filter((n) => n.endsWith('.pdf')).sort();
    const data = await tempDir('batch-data');
    dataDir = data.dir;
    runtime = createLocalRuntime({ dataDir, models: switchableModels(production), bus: { minBackoffMs: 5, maxBackoffMs: 50 } });
    learning = await openLocalLearning({ dataDir });
    cleanup.push(async () => {
      learning.close();
      await runtime.close();
      await data.dispose();
    });
    const results = await processFiles(runtime, src, names.slice(0, 6));
    expect([...results.values()].every((r) => r.record?.status === 'SCORED')).toBe(true);
  }, 120_000);
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('sweep: an upload whose event was lost and an invoice stuck in OCR_DONE both end settled; FAILED ones are listed, not re-triggered', async () => {
    // An object written behind the bus's back: no finalize event, no record.
    const silent = createFsBlobStore(join(dataDir, 'buckets'));
    const lost = await silent.write({ bucket: 'inbox', name: 'test/lost/lost.pdf' }, await readFile(join(src, names[6]!)));
    // An upload whose OCR ran but whose ocr-completed was lost on the way.
    const stuckStat = await silent.write({ bucket: 'inbox', name: 'test/stuck/stuck.pdf' }, await readFile(join(src, names[7]!)));
    const dropping = { ...runtime.deps, bus: { publish: async () => 'dropped' } };
    await runOcrStage(dropping, { bucket: 'inbox', name: stuckStat.name, generation: stuckStat.generation, size: stuckStat.size }, { log: silentLogger });
    const stuckId = invoiceIdFor('inbox', stuckStat.name, stuckStat.generation);
    expect((await runtime.store.get(stuckId))?.status).toBe('OCR_DONE');
    // A FAILED invoice (its retries ran out): listed with its reason, left for a dead-letter replay.
    const failedId = invoiceIdFor('inbox', 'test/failed.pdf', '1');
    const now = new Date().toISOString();
    await runtime.store.createIfAbsent({ invoiceId: failedId, status: 'RECEIVED', revision: 1, source: { bucket: 'inbox', name: 'test/failed.pdf', generation: '1' }, fileName: 'failed.pdf', timings: {}, createdAt: now, updatedAt: now });
    await runtime.store.transition(failedId, 'FAILED', { rejection: { code: 'OCR_UNAVAILABLE', message: 'retries exhausted' } });

    const job = await run('sweep', { graceMinutes: 0, stuckAfterMinutes: 0 });
    const result = job.result as { counts: Record<string, number>; failed: Array<{ invoiceId: string; code: string }>; retriggered: Array<{ invoiceId: string }> };
    expect(result.counts.lostUploads).toBe(1);
    expect(result.counts.stuck).toBe(1);
    expect(result.failed).toEqual([expect.objectContaining({ invoiceId: failedId, code: 'OCR_UNAVAILABLE' })]);
    expect(result.retriggered.map((r) => r.invoiceId).sort()).toEqual([invoiceIdFor('inbox', lost.name, lost.generation), stuckId].sort());
    expect((await runtime.store.get(invoiceIdFor('inbox', lost.name, lost.generation)))?.status).toBe('SCORED');
    expect((await runtime.store.get(stuckId))?.status).toBe('SCORED');
    expect((await runtime.store.get(failedId))?.status).toBe('FAILED');

    // The same sweep again: nothing left to re-trigger, the FAILED one still listed.
    const again = (await run('sweep', { graceMinutes: 0, stuckAfterMinutes: 0 })).result as { counts: Record<string, number> };
    expect(again.counts).toMatchObject({ lostUploads: 0, stuck: 0, failed: 1 });
  }, 60_000);

  it('reprocess: a new revision per invoice from the stored OCR document, the earlier result kept in history', async () => {
    const pagesBefore = await runtime.usage.pagesIn(new Date().toISOString().slice(0, 7));
    const job = await run('reprocess', { prefix: 'test/', chunk: 2, reason: 'extraction change' });
    expect(job.counts.started).toBe(8);
    const objects = (await runtime.blobs.list('inbox', 'test/')).filter((o) => o.name.endsWith('.pdf'));
    for (const o of objects) {
      const id = invoiceIdFor(o.bucket, o.name, o.generation);
      const record = await runtime.store.get(id);
      expect(record?.status, o.name).toBe('SCORED');
      expect(record?.revision).toBeGreaterThanOrEqual(2);
      const history = await runtime.store.history(id);
      const mine = history.filter((h) => h.reason.includes(jobMarker(job.id)));
      expect(mine, o.name).toHaveLength(1);
      expect(mine[0]!.decision?.decision).toBeDefined();
    }
    // No second OCR: the page counter did not move.
    expect(await runtime.usage.pagesIn(new Date().toISOString().slice(0, 7))).toBe(pagesBefore);
  }, 60_000);

  it('backfill: after a promotion, invoices scored by the older model get a new revision with the new model; both scores stay on record', async () => {
    production.version = 'v2';
    production.quality = 0.5;
    const job = await run('backfill', {});
    expect(job.counts.started).toBe(8);
    const objects = (await runtime.blobs.list('inbox', 'test/')).filter((o) => o.name.endsWith('.pdf'));
    for (const o of objects) {
      const id = invoiceIdFor(o.bucket, o.name, o.generation);
      const record = await runtime.store.get(id);
      expect(record?.decision?.modelVersions.quality).toBe('v2');
      expect(record?.decision?.scores.quality).toBe(0.5);
      const last = (await runtime.store.history(id)).at(-1)!;
      expect(last.decision?.modelVersions.quality).toBe('v1');
      expect(last.decision?.scores.quality).toBe(0.97);
    }
    // Nothing left scored by another model: a second backfill (its own window: same models) starts nothing.
    const again = await run('backfill', {});
    expect(again.counts.started ?? 0).toBe(0);
  }, 60_000);

  it('export: run twice for a day gives one CSV and one JSONL file with the same bytes', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const first = await run('export', { day });
    const dir = join(dataDir, 'buckets', LOCAL_EXPORTS_BUCKET, 'invoices', `dt=${day}`);
    const csv1 = await readFile(join(dir, 'invoices.csv'));
    const json1 = await readFile(join(dir, 'invoices.jsonl'));
    const second = await run('export', { day });
    expect(first.key).not.toBe(second.key);
    expect((await readdir(dir)).sort()).toEqual(['invoices.csv', 'invoices.jsonl']);
    expect((await readFile(join(dir, 'invoices.csv'))).equals(csv1)).toBe(true);
    expect((await readFile(join(dir, 'invoices.jsonl'))).equals(json1)).toBe(true);
    const lines = json1.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { ledgerx_id: string; model_versions: unknown[]; scores: { quality: number | null } });
    expect(lines).toHaveLength(9);
    expect(new Set(lines.map((l) => l.ledgerx_id)).size).toBe(9);
    expect(csv1.toString('utf8').trim().split('\n')).toHaveLength(10);
    expect(lines.some((l) => l.scores.quality === 0.5 && l.model_versions.length === 3)).toBe(true);
  }, 60_000);

  it('summary: counts, pages against the budget and an HTML page that escapes what invoices say', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const job = await run('summary', { day, pageBudget: 1000 });
    const { summary } = job.result as { summary: { invoices: { total: number; byStatus: Record<string, number> }; ocrPages: { pages: number; budget: number } } };
    expect(summary.invoices.total).toBe(9);
    expect(summary.invoices.byStatus).toEqual({ FAILED: 1, SCORED: 8 });
    expect(summary.ocrPages.budget).toBe(1000);
    expect(summary.ocrPages.pages).toBeGreaterThan(0);
    const page = join(dataDir, 'buckets', LOCAL_EXPORTS_BUCKET, 'summaries', day, 'summary.html');
    const html = await readFile(page, 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/<script/i);
    expect((job.result as { summary: DailySummary }).summary.monitoring).toEqual({ configured: false, note: 'not configured' });

    // With the data folder's monitoring stores: the latest drift check (its page in the artifacts bucket, as the
    // drift check writes it), the models' F1 at that check and the actions waiting for approval.
    const readers = localMonitoringReaders(learning);
    const checked = { ...report('drift-e2e', 0), createdAt: new Date().toISOString(), status: 'drift' as const, html: { bucket: 'artifacts', name: 'reports/drift/drift-e2e.html' } };
    checked.performance = [{ model: 'quality', version: production.version, threshold: 0.5, referenceF1: 0.9, realized: null, estimated: { rows: 9, positives: 1, precision: 0.8, recall: 0.8, f1: 0.8 }, estimatedOnLabelled: null, below: { realized: false, estimated: false } }];
    await readers.reports.put(checked);
    await runtime.deps.blobs.write(checked.html, '<!doctype html><p>drift report</p>', { contentType: 'text/html' });
    for (const a of actionsOf('data-drift', 0)) await readers.ops.proposeAction(a);
    const withMonitoring = (await run('summary', { day }, { monitoring: readers })).result as { summary: DailySummary };
    const m = withMonitoring.summary.monitoring;
    if (!m.configured) throw new Error('monitoring should be configured');
    expect(m.drift).toMatchObject({ reportId: 'drift-e2e', verdict: 'drift', checkedAt: checked.createdAt });
    expect(m.performance).toEqual([expect.objectContaining({ model: 'quality', version: production.version, estimatedF1: 0.8, realizedF1: null })]);
    expect(m.pendingActions.count).toBeGreaterThan(0);
    // The page links the report by a path that resolves from the summary page to the report file.
    const again = await readFile(page, 'utf8');
    const href = /<a href="([^"]+)">report<\/a>/.exec(again)?.[1];
    expect(href).toBeDefined();
    expect(await readFile(join(dirname(page), href!), 'utf8')).toContain('drift report');
  }, 60_000);

  it('sweep: an upload older than the lookback is left to the full sweep, which settles it', async () => {
    // A file dropped into the inbox folder three days ago, whose event never came.
    const path = join(dataDir, 'buckets', 'inbox', 'test', 'old', 'old.pdf');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await readFile(join(src, names[5]!)).then((b) => Buffer.concat([b, Buffer.from('\n% old copy\n')])));
    const threeDaysAgo = new Date(Date.now() - 72 * 3_600_000);
    await utimes(path, threeDaysAgo, threeDaysAgo);
    const [stat] = await runtime.deps.blobs.list('inbox', 'test/old/');
    expect(Date.parse(stat!.updatedAt)).toBeLessThan(Date.now() - 48 * 3_600_000);
    const oldId = invoiceIdFor('inbox', stat!.name, stat!.generation);

    const hourly = (await run('sweep', { graceMinutes: 0, prefix: 'test/old/' })).result as { counts: Record<string, number> };
    expect(hourly.counts).toMatchObject({ objects: 0, lostUploads: 0 });
    expect(await runtime.store.get(oldId)).toBeNull();
    // A longer lookback reaches it as well; here the weekly full sweep does, by its flag.
    const full = (await run('sweep', { graceMinutes: 0, prefix: 'test/old/', full: true })).result as { counts: Record<string, number>; retriggered: Array<{ invoiceId: string }> };
    expect(full.counts).toMatchObject({ objects: 1, lostUploads: 1 });
    expect(full.retriggered.map((r) => r.invoiceId)).toEqual([oldId]);
    expect((await runtime.store.get(oldId))?.status).toBe('SCORED');
    // The first hourly sweep of a week is a full one without the flag.
    expect(parseBatchParams('sweep', { window: '2026-11-30T00:15:00.000Z' })).toMatchObject({ lookbackHours: 48 });
    expect(isFullSweep(parseBatchParams('sweep', { window: '2026-11-30T00:15:00.000Z' }))).toBe(true);
    expect(isFullSweep(parseBatchParams('sweep', { window: '2026-11-30T01:15:00.000Z' }))).toBe(false);
    expect(isFullSweep(parseBatchParams('sweep', { window: '2026-11-30T00:15:00.000Z', full: false }))).toBe(false);
  }, 60_000);

  it('the same window twice, and at the same time: one job runs, the other start is refused', async () => {
    const day = '2020-01-01';
    const starts = await Promise.all([1, 2, 3].map((i) => startBatchJob(learning.jobs, { id: `job-same-${i}`, kind: 'export', params: { day }, now: new Date() })));
    expect(starts.filter((s) => s.started)).toHaveLength(1);
    const id = starts.find((s) => s.started)!.job.id;
    for (const s of starts.filter((x) => !x.started)) expect(s.job.id).toBe(id);
    // Two runners on the one job at the same time: one claims it.
    const handlers = localBatchHandlers(runtime);
    const outcomes = await Promise.all(['a', 'b'].map((owner) => runJob(id, { store: learning.jobs, handlers, owner, log: silentLogger, now: () => new Date() })));
    expect(outcomes.filter((o) => o.claimed)).toHaveLength(1);
    expect((await learning.jobs.get(id))?.status).toBe('succeeded');
  });

  it.each([
    ['sweep', { prefix: '../etc' }],
    ['sweep', { prefix: '/abs' }],
    ['sweep', { prefix: 'a\u0000b' }],
    ['sweep', { prefix: 'x'.repeat(201) }],
    ['sweep', { chunk: 0 }],
    ['sweep', { stuckAfterMinutes: -1 }],
    ['sweep', { unknown: true }],
    ['reprocess', {}],
    ['reprocess', { from: '2025-02-01', to: '2025-01-01' }],
    ['reprocess', { prefix: 'a', reason: 'x'.repeat(201) }],
    ['export', { day: 'yesterday' }],
    ['export', { day: '2025-13-01' }],
    ['summary', { pageBudget: 'many' }],
    ['backfill', { from: "2025-01-01'; DROP TABLE jobs" }],
  ] as Array<[BatchKind, Record<string, unknown>]>)('refuses hostile or bad parameters for %s: %j', async (kind, params) => {
    expect(() => parseBatchParams(kind, params)).toThrow(BatchParamsError);
    await expect(startBatchJob(learning.jobs, { id: 'job-hostile', kind, params, now: new Date() })).rejects.toThrow(BatchParamsError);
    expect(await learning.jobs.get('job-hostile')).toBeNull();
  });

  it('the scheduler (as in ledgerx serve) runs the hourly sweep once per window, whatever the number of ticks', async () => {
    let now = new Date('2030-01-01T10:14:00Z');
    const scheduler = startLocalScheduler({ jobs: learning.jobs, handlers: localBatchHandlers(runtime), schedules: { sweep: BATCH_SCHEDULES.sweep! }, clock: { now: () => now }, tickMs: 3_600_000, owner: 'serve-test' });
    try {
      await scheduler.tick();
      now = new Date('2030-01-01T10:16:00Z');
      const outcomes = await scheduler.tick();
      await scheduler.tick();
      expect(outcomes.map((o) => o.status)).toEqual(['succeeded']);
      const sweeps = (await learning.jobs.list({ kind: 'sweep', limit: 50 })).filter((j) => j.key.startsWith('sweep:2030-01-01T10:15'));
      expect(sweeps).toHaveLength(1);
      expect(sweeps[0]!.params).toMatchObject({ trigger: 'schedule', window: '2030-01-01T10:15:00.000Z' });
    } finally {
      await scheduler.stop();
    }
  });

  it('cancel: a queued job never runs; a running one stops at its next checkpoint', async () => {
    const queued = await startBatchJob(learning.jobs, { id: 'job-cancel-queued', kind: 'export', params: { day: '2019-01-01' }, now: new Date() });
    expect((await learning.jobs.cancel(queued.job.id, new Date()))?.status).toBe('cancelled');
    expect((await runJob(queued.job.id, { store: learning.jobs, handlers: localBatchHandlers(runtime), owner: 'x', log: silentLogger, now: () => new Date() })).claimed).toBe(false);

    const running = await startBatchJob(learning.jobs, { id: 'job-cancel-running', kind: 'reprocess', params: { prefix: 'test/', chunk: 2, reason: 'cancel test' }, now: new Date() });
    // The operator cancels right after the first checkpoint.
    const handlers = localBatchHandlers(runtime, { pollMs: 20, onProgress: () => void learning.jobs.cancel(running.job.id, new Date()) });
    const outcome = await runJob(running.job.id, { store: learning.jobs, handlers, owner: 'x', log: silentLogger, now: () => new Date() });
    await runtime.drain();
    expect(outcome.status).toBe('cancelled');
    const started = outcome.job?.counts.started ?? 0;
    expect(started).toBeGreaterThan(0);
    expect(started).toBeLessThan(8);
  }, 60_000);

  it('knows every kind it schedules', () => {
    expect(Object.keys(localBatchHandlers(runtime)).sort()).toEqual([...BATCH_KINDS].sort());
  });
});

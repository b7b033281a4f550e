/**
 * The batch jobs on the real local stack (folder bucket, SQLite, durable bus, real generated PDFs): the sweep
 * settles an upload whose event was lost and an invoice stuck in OCR_DONE and lists FAILED ones without
 * re-triggering them; reprocessing and backfills keep the earlier results in the history; an export run twice
 * is one file per format with the same bytes; the same window started twice, and at the same time, runs once;
 * hostile parameters are refused before any work.
 */
import { FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { BATCH_KINDS, BatchParamsError, parseBatchParams, type BatchKind } from '../../functions/core/batch/params.js';
import { startBatchJob } from '../../functions/core/batch/start.js';
import { jobMarker } from '../../functions/core/batch/revisions.js';
import { runJob, type JobRecord } from '../../functions/core/learning/jobs.js';
import type { ModelRegistry, ScoringModels } from '../../functions/core/ports.js';
import { runOcrStage } from '../../functions/core/pipeline/ocr-stage.js';
import { invoiceIdFor } from '../../functions/core/pipeline/invoice-id.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { localBatchHandlers, LOCAL_EXPORTS_BUCKET } from '../../functions/platform/local-batch-jobs.js';
import { openLocalLearning, type LocalLearning } from '../../functions/platform/local-learning.js';
import { createLocalRuntime, type LocalRuntime } from '../../functions/platform/local-runtime.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { startLocalScheduler } from '../../functions/platform/local-scheduler.js';
import { BATCH_SCHEDULES } from '../../functions/core/batch/handlers.js';
import { processFiles, tempDir } from '../helpers/runtime.js';

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

  const run = async (kind: BatchKind, params: Record<string, unknown>): Promise<JobRecord> => {
    const versions = kind === 'backfill' ? (await runtime.deps.models.loadProduction())?.versions : undefined;
    const started = await startBatchJob(learning.jobs, { id: `job-${kind}-${Math.random().toString(16).slice(2)}`, kind, params, now: new Date(), ...(versions ? { productionVersions: versions } : {}) });
    expect(started.started).toBe(true);
    const outcome = await runJob(started.job.id, { store: learning.jobs, handlers: localBatchHandlers(runtime, { pollMs: 20 }), owner: 'test-owner', log: silentLogger, now: () => new Date() });
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
      mix: { bornDigital: 1, scan: 0, einvoicePdf: 0, einvoiceXml: 0 },
      problemRates: { badFile: 0, exactDuplicate: 0, businessDuplicate: 0, nearDuplicate: 0 },
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
    const html = await readFile(join(dataDir, 'buckets', LOCAL_EXPORTS_BUCKET, 'summaries', day, 'summary.html'), 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/<script/i);
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

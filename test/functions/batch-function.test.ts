/**
 * The `batch` function through functions-framework's test server, on the embedded adapters (SQLite records and
 * jobs, a folder bucket, a recording bus in place of Pub/Sub): Cloud Scheduler's bodies and headers, the
 * sweep's re-published upload event, the nightly export under its old schedule name, one job per window,
 * an abandoned job resumed, and bad or hostile bodies refused.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { http } from '@google-cloud/functions-framework';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteJobStore } from '../../functions/adapters/local/sqlite/job-store.js';
import { makeBatchHandler } from '../../functions/batch.js';
import { Topics } from '../../functions/core/messages.js';
import { silentLogger } from '../../functions/platform/logger.js';
import type { BatchFunctionRuntime } from '../../functions/platform/gcp/runtimes/batch.js';
import { BUCKETS, fakeStageRuntime, type FakeStage } from './fakes.js';
import { tempDir } from '../helpers/runtime.js';

describe('the batch function', () => {
  let fake: FakeStage;
  let dir: string;
  let jobs: SqliteJobStore;
  let url: string;
  let close: () => Promise<void>;
  const cleanup: Array<() => Promise<void>> = [];

  const call = async (body: unknown, headers: Record<string, string> = {}, method = 'POST') => {
    const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'POST' ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    // functions-framework answers a body its JSON parser refuses itself (400, HTML).
    return { status: res.status, body: (text.startsWith('{') ? JSON.parse(text) : { text }) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const t = await tempDir('batch-fn');
    dir = t.dir;
    cleanup.push(t.dispose);
    fake = await fakeStageRuntime({ dir, ocr: false });
    cleanup.push(() => fake.dispose());
    const db = openLedgerDatabase(join(dir, 'jobs.db'));
    cleanup.push(async () => db.close());
    jobs = new SqliteJobStore(db);
    const runtime: BatchFunctionRuntime = { deps: { pipeline: fake.deps, exportsBucket: 'ledgerx-test-exports' }, jobs, log: silentLogger, now: () => new Date() };
    http('batch-t', makeBatchHandler(async () => runtime));
    const { serveFunction } = await import('./fakes.js');
    const server = await serveFunction('batch-t');
    url = server.url;
    close = server.close;
  });
  afterAll(async () => {
    await close();
    for (const c of cleanup.reverse()) await c();
  });

  it('sweep (Cloud Scheduler): an upload without a record gets the object-finalized event the normal path would have sent', async () => {
    const stat = await fake.blobs.write({ bucket: BUCKETS.inbox, name: 'uploads/lost.pdf' }, '%PDF-1.4 lost');
    // Old enough to be past the grace period: the sweep's window is Cloud Scheduler's schedule time.
    const res = await call({ job: 'sweep', params: { graceMinutes: 0 } }, { 'X-CloudScheduler': 'true', 'X-CloudScheduler-ScheduleTime': '2026-01-01T10:15:00Z' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'sweep', status: 'succeeded', started: true, counts: expect.objectContaining({ lostUploads: 1 }) });
    expect(fake.bus.of(Topics.objectFinalized)).toEqual([expect.objectContaining({ bucket: BUCKETS.inbox, name: 'uploads/lost.pdf', generation: stat.generation, size: stat.size })]);
    const job = await jobs.get(res.body.jobId as string);
    expect(job?.key).toBe('sweep:prefix=@2026-01-01T10#1');
    expect(job?.params).toMatchObject({ trigger: 'schedule', window: '2026-01-01T10:15:00.000Z' });
  });

  it('export under its old schedule name writes the day to the exports bucket; a job running for the window is not started twice', async () => {
    const headers = { 'X-CloudScheduler-ScheduleTime': '2026-01-02T01:30:00Z' };
    const res = await call({ job: 'nightly-export' }, headers);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'export', status: 'succeeded', started: true });
    const csv = await readFile(join(dir, 'buckets', 'ledgerx-test-exports', 'invoices', 'dt=2026-01-01', 'invoices.csv'), 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^ledgerx_id,file,status,decision/);
    // A job queued for a window and held by a live runner: a call for the same window reports it.
    const held = await jobs.create({ id: 'job-held', kind: 'summary', key: 'summary:day=2026-01-01#1', params: { trigger: 'schedule' }, now: new Date() });
    expect(held.created).toBe(true);
    await jobs.claim('job-held', 'another-instance', 600_000, new Date());
    const again = await call({ job: 'summary' }, { 'X-CloudScheduler-ScheduleTime': '2026-01-02T01:45:00Z' });
    expect(again.body).toMatchObject({ jobId: 'job-held', status: 'running', started: false });
  });

  it('resumes an abandoned job (its lease ran out) from its checkpoint', async () => {
    await jobs.create({ id: 'job-abandoned', kind: 'export', key: 'export:day=2025-12-31#1', params: { trigger: 'http', day: '2025-12-31' }, now: new Date() });
    await jobs.claim('job-abandoned', 'dead-instance', 1, new Date(Date.now() - 60_000));
    const res = await call({ job: 'resume', jobId: 'job-abandoned' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ jobId: 'job-abandoned', status: 'succeeded' });
    expect((await jobs.get('job-abandoned'))?.attempts).toBe(2);
  });

  it.each([
    [{ job: 'rm -rf' }],
    [{ job: 'sweep', params: { prefix: '../../etc' } }],
    [{ job: 'sweep', params: { chunk: 1e9 } }],
    [{ job: 'reprocess', params: {} }],
    [{ job: 'resume' }],
    [{ job: 'sweep', jobId: 'x' }],
    [{ job: 'sweep', extra: 1 }],
    [{ job: 'resume', jobId: '../../x' }],
    ['not an object'],
  ])('refuses %j with 400', async (body) => {
    const before = (await jobs.list({ limit: 100 })).length;
    const res = await call(body);
    expect(res.status).toBe(400);
    expect((await jobs.list({ limit: 100 })).length).toBe(before);
  });

  it('answers 405 to other methods and 404 to an unknown job', async () => {
    expect((await call(undefined, {}, 'GET')).status).toBe(405);
    expect((await call({ job: 'resume', jobId: 'job-nope' })).status).toBe(404);
  });
});

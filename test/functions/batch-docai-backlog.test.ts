/**
 * `{"job":"docai-backlog"}` through the `batch` function (functions-framework's test server) on the embedded
 * adapters, with the Document AI batch service over a fake of the remote LRO: the monthly page budget stops
 * submitting (the rest is read by a later run), a deployment without Document AI fails the job saying so, and
 * bad parameters are refused before a job is recorded.
 */
import { join } from 'node:path';
import { http } from '@google-cloud/functions-framework';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentAiBatchService } from '../../functions/adapters/gcp/documentai-batch.js';
import { createRateGovernor } from '../../functions/adapters/gcp/rate-governor.js';
import { SqliteJobStore } from '../../functions/adapters/local/sqlite/job-store.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { makeBatchHandler } from '../../functions/batch.js';
import { Topics } from '../../functions/core/messages.js';
import { usageMonth, type UsageCounter } from '../../functions/core/ports.js';
import { invoiceIdFor } from '../../functions/core/pipeline/invoice-id.js';
import { silentLogger } from '../../functions/platform/logger.js';
import type { BatchFunctionRuntime } from '../../functions/platform/gcp/runtimes/batch.js';
import { VERSION } from '../helpers/docai-backlog-world.js';
import { createFakeDocumentAiBatch, ONE_PAGE_DOCUMENT, type FakeDocumentAiBatch } from '../helpers/fake-documentai-batch.js';
import { tempDir } from '../helpers/runtime.js';
import { BUCKETS, fakeStageRuntime, serveFunction, type FakeStage, type FunctionServer } from './fakes.js';

class MemoryUsage implements UsageCounter {
  readonly byMonth = new Map<string, number>();
  async addPages(pages: number, at: Date) {
    this.byMonth.set(usageMonth(at), (this.byMonth.get(usageMonth(at)) ?? 0) + pages);
  }
  async pagesIn(month: string) {
    return this.byMonth.get(month) ?? 0;
  }
  async months() {
    return [...this.byMonth].map(([month, pages]) => ({ month, pages }));
  }
}

describe('the batch function with docai-backlog', () => {
  let fake: FakeStage;
  let jobs: SqliteJobStore;
  let withDocai: FunctionServer;
  let without: FunctionServer;
  let lro: FakeDocumentAiBatch;
  const usage = new MemoryUsage();
  const cleanup: Array<() => Promise<void>> = [];
  const call = async (server: FunctionServer, body: unknown) => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const t = await tempDir('batch-docai');
    cleanup.push(t.dispose);
    fake = await fakeStageRuntime({ dir: t.dir, ocr: false });
    cleanup.push(() => fake.dispose());
    const db = openLedgerDatabase(join(t.dir, 'jobs.db'));
    cleanup.push(async () => db.close());
    jobs = new SqliteJobStore(db);
    // The first operation is refused as a whole (quota), as when other batch requests of the project are in flight.
    lro = createFakeDocumentAiBatch(fake.blobs, BUCKETS.artifacts, () => ({ document: ONE_PAGE_DOCUMENT }), 1, undefined, { count: 1, error: { code: 8, message: 'Quota exceeded: concurrent batch requests' } });
    const service = createDocumentAiBatchService(lro, { processorVersion: VERSION, store: fake.blobs, bucket: BUCKETS.artifacts, governor: createRateGovernor({ requestsPerMinute: 60_000 }) });
    const base: BatchFunctionRuntime = { deps: { pipeline: fake.deps, exportsBucket: 'exports', usage }, jobs, log: silentLogger, now: () => new Date() };
    http('batch-docai', makeBatchHandler(async () => ({ ...base, docai: { service, backlogPrefix: 'backlog/', pollMs: 0, sleep: async () => {} } })));
    http('batch-nodocai', makeBatchHandler(async () => base));
    withDocai = await serveFunction('batch-docai');
    without = await serveFunction('batch-nodocai');
    cleanup.push(withDocai.close, without.close);
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('stops at the monthly page budget and leaves the rest to a later run, which reads it', async () => {
    const names: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const doc = await PDFDocument.create();
      doc.setTitle(`budget ${i}`);
      doc.addPage([200, 200]);
      const name = `backlog/2023/f${i}.pdf`;
      const stat = await fake.blobs.write({ bucket: BUCKETS.inbox, name }, await doc.save(), { contentType: 'application/pdf' });
      names.push(name);
      ids.push(invoiceIdFor(BUCKETS.inbox, name, stat.generation));
    }
    // 2 files per request, one at a time, 3 pages this month: the second request (2 more pages) would exceed it.
    const first = await call(withDocai, { job: 'docai-backlog', params: { filesPerRequest: 2, inFlight: 1, pageBudget: 3 } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ kind: 'docai-backlog', status: 'succeeded', started: true, counts: expect.objectContaining({ requests: 1, overBudget: 2, failed: 0 }) });
    // The refused request was submitted again: two operations for the first group, no file failed.
    expect(await lro.submitted()).toHaveLength(2);
    const records = async () => Promise.all(ids.map((id) => fake.store.get(id)));
    expect((await records()).map((r) => r?.status ?? null)).toEqual(['OCR_DONE', 'OCR_DONE', null, null, null]);
    expect(await usage.pagesIn(usageMonth(new Date()))).toBe(2);

    const second = await call(withDocai, { job: 'docai-backlog', params: { filesPerRequest: 2, inFlight: 1, pageBudget: 10 } });
    expect(second.body).toMatchObject({ status: 'succeeded', started: true, counts: expect.objectContaining({ requests: 2, skipped: 2, overBudget: 0 }) });
    expect(await lro.submitted()).toHaveLength(4);
    expect((await records()).every((r) => r?.status === 'OCR_DONE')).toBe(true);
    expect(fake.bus.of(Topics.ocrCompleted).map((m) => m.invoiceId).sort()).toEqual([...ids].sort());
    expect(await usage.pagesIn(usageMonth(new Date()))).toBe(5);
    expect(await fake.blobs.list(BUCKETS.artifacts, 'docai-backlog/')).toEqual([]);
  });

  it('fails the job at once, saying why, where Document AI is not configured', async () => {
    const res = await call(without, { job: 'docai-backlog', params: { prefix: 'elsewhere/' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'docai-backlog', status: 'failed', error: { code: 'NOT_AVAILABLE' } });
  });

  it.each([
    [{ job: 'docai-backlog', params: { prefix: '../etc/' } }],
    [{ job: 'docai-backlog', params: { filesPerRequest: 5001 } }],
    [{ job: 'docai-backlog', params: { inFlight: 0 } }],
    [{ job: 'docai-backlog', params: { maxFiles: -1 } }],
  ])('refuses %j with 400', async (body) => {
    const before = (await jobs.list({ limit: 100 })).length;
    expect((await call(withDocai, body)).status).toBe(400);
    expect((await jobs.list({ limit: 100 })).length).toBe(before);
  });
});

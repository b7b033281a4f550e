/**
 * The batch jobs on each adapter set their stores have: SQLite and the Firestore emulator (skipped with a message
 * without the Cloud SDK) for invoices, jobs and the monitoring stores the summary reads, a folder bucket for blobs and a recording bus. Same input twice,
 * at the same time, and a run that fails half way (the bus refuses a publish) and is run again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreInvoiceStore } from '../../functions/adapters/gcp/firestore-invoice-store.js';
import { FirestoreJobStore } from '../../functions/adapters/gcp/firestore-job-store.js';
import { FirestoreDriftReportStore, FirestoreOpsStore } from '../../functions/adapters/gcp/firestore-monitoring-store.js';
import { createExtractionPool } from '../../functions/adapters/local/extraction/extraction-pool.js';
import { createFsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import { SqliteJobStore } from '../../functions/adapters/local/sqlite/job-store.js';
import { SqliteDriftReportStore, SqliteOpsStore } from '../../functions/adapters/local/sqlite/monitoring-store.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { createBatchHandlers } from '../../functions/core/batch/handlers.js';
import type { MonitoringReaders } from '../../functions/core/batch/monitoring-status.js';
import type { DailySummary } from '../../functions/core/batch/summary.js';
import { jobMarker } from '../../functions/core/batch/revisions.js';
import { startBatchJob } from '../../functions/core/batch/start.js';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import { runJob, type JobStore } from '../../functions/core/learning/jobs.js';
import type { OcrDocument } from '../../functions/core/ocr-document.js';
import { Topics, type Topic } from '../../functions/core/messages.js';
import type { EventBus, InvoiceStore } from '../../functions/core/ports.js';
import { PipelineConfigSchema } from '../../functions/core/pipeline/config.js';
import type { PipelineDeps } from '../../functions/core/pipeline/deps.js';
import { DecisionThresholdsSchema } from '../../functions/core/scoring/decide.js';
import { ValidationConfigSchema } from '../../functions/core/validation/index.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { emulatorAvailable } from '../helpers/emulators.js';
import { useFirestoreEmulator } from '../helpers/firestore-emulator.js';
import { generatedOcrDocuments, meetingNotes } from '../helpers/ocr-documents.js';
import { tempDir } from '../helpers/runtime.js';
import { isoAt, makeRecord } from './invoice-records.js';
import { actionsOf, report } from './monitoring-stores.contract.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const PROJECT = 'ledgerx-batch-test';
const INLINE_INVOICES = 3;
const firestoreReady = emulatorAvailable('firestore');
if (!firestoreReady) console.warn('[batch-jobs] Firestore emulator not installed (Cloud SDK): the Firestore suite is skipped');

interface Stores {
  invoices: InvoiceStore;
  jobs: JobStore;
  /** The monitoring stores the daily summary reads (drift reports, ops log). */
  monitoring: MonitoringReaders;
  dispose(): Promise<void>;
}

/** A bus that records, and refuses every publish after the first `okBudget` (a crash half way). */
function recordingBus() {
  const published: Array<{ topic: Topic; message: { invoiceId?: string } }> = [];
  let okBudget = Infinity;
  const bus: EventBus & { published: typeof published; failAfter(n: number): void } = {
    published,
    failAfter(n) {
      okBudget = n;
    },
    async publish(topic, message) {
      if (okBudget <= 0) throw new Error('bus unavailable');
      okBudget -= 1;
      published.push({ topic, message: message as { invoiceId?: string } });
      return String(published.length);
    },
  };
  return bus;
}

function runBatchJobsContract(name: string, make: () => Promise<Stores>): void {
  describe(`batch jobs on ${name}`, () => {
    let stores: Stores;
    let dir: string;
    let dispose: () => Promise<void>;
    const bus = recordingBus();
    let deps: PipelineDeps;
    let inlineDocs: OcrDocument[] = [];
    // Objects under backlog/ are the docai-backlog job's: the sweep leaves them alone.
    const handlers = () => createBatchHandlers({ pipeline: deps, exportsBucket: 'exports', backlogPrefix: 'backlog/' });

    beforeAll(async () => {
      stores = await make();
      ({ dir, dispose } = await tempDir('batch-contract'));
      deps = {
        blobs: createFsBlobStore(join(dir, 'buckets')), bus, store: stores.invoices, clock: { now: () => new Date() },
        idempotency: { claim: () => Promise.reject(new Error('unused')), complete: () => Promise.reject(new Error('unused')), release: () => Promise.reject(new Error('unused')) },
        ocr: { name: 'none', recognize: () => Promise.reject(new Error('no OCR in batch jobs')) },
        models: { loadProduction: async () => null },
        config: PipelineConfigSchema.parse({ buckets: { inbox: 'inbox', artifacts: 'artifacts' }, ocr: {} }),
        validation: ValidationConfigSchema.parse({}), thresholds: DecisionThresholdsSchema.parse({}),
      };
      // Day 2025-03-01: six scored invoices with a stored OCR document, one stuck in OCR_DONE, one FAILED.
      for (let i = 0; i < 6; i++) {
        const r = makeRecord({ id: `inv-s${i}`, at: i * 60, status: 'SCORED', total: 100 + i, currency: 'EUR', decision: 'APPROVE', models: { quality: 'v1' } });
        await stores.invoices.createIfAbsent({ ...r, ocrUri: `artifacts/ocr/local/${i}.json`, features: { f: i }, featureSchemaVersion: 'inv-features-v1' });
      }
      await stores.invoices.createIfAbsent({ ...makeRecord({ id: 'inv-stuck', at: 600, status: 'OCR_DONE' }), ocrUri: 'artifacts/ocr/local/stuck.json', contentSha256: 'a'.repeat(64), mimeType: 'application/pdf', pageCount: 1 });
      await stores.invoices.createIfAbsent(makeRecord({ id: 'inv-failed', at: 700 }));
      await stores.invoices.transition('inv-failed', 'FAILED', { rejection: { code: 'OCR_UNAVAILABLE', message: 'retries exhausted' } });
      // Day 2025-03-02: three scored invoices whose stored OCR documents are real ones, and one whose document no
      // longer reads as an invoice (an extraction change that rejects it).
      const docs = [...(await generatedOcrDocuments(join(dir, 'generated'), INLINE_INVOICES, 12)), meetingNotes()];
      for (const [i, doc] of docs.entries()) {
        const ocrUri = `artifacts/ocr/local/inline-${i}.json`;
        await deps.blobs.write({ bucket: 'artifacts', name: `ocr/local/inline-${i}.json` }, JSON.stringify(doc));
        const r = makeRecord({ id: `inv-i${i}`, at: 86_400 + i * 60, status: 'SCORED', total: 10 + i, currency: 'EUR', decision: 'APPROVE', models: { quality: 'v0' }, sha: String(i).repeat(64) });
        await stores.invoices.createIfAbsent({ ...r, ocrUri, mimeType: 'application/pdf', pageCount: 1, sizeBytes: 30_000 });
      }
      inlineDocs = docs;
    }, 120_000);
    afterAll(async () => {
      await stores.dispose();
      await dispose();
    });

    const run = async (kind: Parameters<typeof startBatchJob>[1]['kind'], params: Record<string, unknown>) => {
      const s = await startBatchJob(stores.jobs, { id: `job-${kind}-${Math.random().toString(16).slice(2)}`, kind, params, now: new Date() });
      expect(s.started).toBe(true);
      return runJob(s.job.id, { store: stores.jobs, handlers: handlers(), owner: 'contract', log: silentLogger, now: () => new Date(), maxAttempts: 5 });
    };

    it('export: twice for the day gives the same bytes, one row per invoice', async () => {
      const first = await run('export', { day: '2025-03-01' });
      expect(first.status).toBe('succeeded');
      const path = join(dir, 'buckets', 'exports', 'invoices', 'dt=2025-03-01');
      const csv = await readFile(join(path, 'invoices.csv'));
      const jsonl = await readFile(join(path, 'invoices.jsonl'));
      expect((await run('export', { day: '2025-03-01' })).status).toBe('succeeded');
      expect((await readFile(join(path, 'invoices.csv'))).equals(csv)).toBe(true);
      expect((await readFile(join(path, 'invoices.jsonl'))).equals(jsonl)).toBe(true);
      expect(jsonl.toString().trim().split('\n').map((l) => (JSON.parse(l) as { ledgerx_id: string }).ledgerx_id)).toEqual(['inv-s0', 'inv-s1', 'inv-s2', 'inv-s3', 'inv-s4', 'inv-s5', 'inv-stuck', 'inv-failed']);
    });

    it('sweep: re-sends the stuck invoice and the upload without a record; lists the FAILED one; leaves the backlog prefix to its job', async () => {
      const lost = await deps.blobs.write({ bucket: 'inbox', name: 'uploads/lost.pdf' }, '%PDF-1.4');
      await deps.blobs.write({ bucket: 'inbox', name: 'backlog/2024/waiting.pdf' }, '%PDF-1.4');
      bus.published.length = 0;
      const outcome = await run('sweep', { graceMinutes: 0, stuckAfterMinutes: 1 });
      expect(outcome.status).toBe('succeeded');
      expect(bus.published.map((p) => `${p.topic} ${p.message.invoiceId ?? (p.message as { name?: string }).name}`).sort()).toEqual([
        `${Topics.objectFinalized} uploads/lost.pdf`, `${Topics.ocrCompleted} inv-stuck`,
      ].sort());
      expect((outcome.job?.result as { failed: Array<{ invoiceId: string }> }).failed.map((f) => f.invoiceId)).toEqual(['inv-failed']);
      expect(bus.published.find((p) => p.topic === Topics.objectFinalized)?.message).toMatchObject({ generation: lost.generation, size: lost.size });
      expect(outcome.job?.counts).toMatchObject({ backlog: 1, lostUploads: 1 });
    });

    it('sweep: an hourly sweep lists the invoices that failed within its lookback and counts them all; the full sweep lists them all', async () => {
      // Failed days ago (and received on another day than the exported one).
      await stores.invoices.createIfAbsent({ ...makeRecord({ id: 'inv-failed-old', at: 3 * 86_400, status: 'FAILED' }), rejection: { code: 'OCR_UNAVAILABLE', message: 'retries exhausted' } });
      const failedOf = (job: Awaited<ReturnType<typeof run>>['job']) => (job?.result as { failed: Array<{ invoiceId: string; reason: string }> }).failed;
      const hourly = await run('sweep', { graceMinutes: 0, lookbackHours: 48 });
      expect(failedOf(hourly.job).map((f) => f.invoiceId)).toEqual(['inv-failed']);
      expect(hourly.job?.counts).toMatchObject({ failed: 1, failedTotal: 2 });
      const full = await run('sweep', { graceMinutes: 0, full: true });
      // Oldest failure first, each with its reason.
      expect(failedOf(full.job)).toEqual([
        expect.objectContaining({ invoiceId: 'inv-failed-old', reason: 'retries exhausted' }), expect.objectContaining({ invoiceId: 'inv-failed', reason: 'retries exhausted' }),
      ]);
      expect(full.job?.counts).toMatchObject({ failed: 2, failedTotal: 2 });
    });

    it('reprocess: a run that fails half way and runs again starts one revision per invoice, history kept', async () => {
      bus.published.length = 0;
      bus.failAfter(3);
      const s = await startBatchJob(stores.jobs, { id: 'job-reprocess-contract', kind: 'reprocess', params: { from: '2025-03-01', to: '2025-03-01', chunk: 2 }, now: new Date() });
      const first = await runJob(s.job.id, { store: stores.jobs, handlers: handlers(), owner: 'a', log: silentLogger, now: () => new Date() });
      expect(first.status).toBe('queued');
      expect(first.job?.errors.at(-1)?.reason).toContain('bus unavailable');
      bus.failAfter(Infinity);
      const second = await runJob(s.job.id, { store: stores.jobs, handlers: handlers(), owner: 'b', log: silentLogger, now: () => new Date() });
      expect(second.status).toBe('succeeded');
      for (let i = 0; i < 6; i++) {
        const r = await stores.invoices.get(`inv-s${i}`);
        expect(r?.revision).toBe(2);
        expect(r?.status).toBe('OCR_DONE');
        const history = await stores.invoices.history(`inv-s${i}`);
        expect(history.filter((h) => h.reason.includes(jobMarker(s.job.id)))).toHaveLength(1);
        expect(history[0]!.decision?.decision).toBe('APPROVE');
      }
      // Every new revision got its ocr-completed, including the one whose publish failed after the revision was
      // committed (sent again from the record on the rerun); the stuck and FAILED invoices are left alone.
      const ids = bus.published.filter((p) => p.topic === Topics.ocrCompleted).map((p) => p.message.invoiceId);
      expect([...new Set(ids)].sort()).toEqual(['inv-s0', 'inv-s1', 'inv-s2', 'inv-s3', 'inv-s4', 'inv-s5']);
      expect(ids.length).toBeLessThanOrEqual(6 + 2);
    });

    it('reprocess with the stages inline: each revision scored by the job itself from its stored OCR document, once, history kept', async () => {
      bus.published.length = 0;
      const settled: string[] = [];
      const extractor = createExtractionPool({ threads: 1 });
      try {
        const inline = createBatchHandlers({ pipeline: deps, exportsBucket: 'exports', inlineStages: { settled: (id) => settled.push(id), extractor } });
        const runTwiceAtOnce = async (id: string) => {
          const s = await startBatchJob(stores.jobs, { id, kind: 'reprocess', params: { from: '2025-03-02', to: '2025-03-02', chunk: 3 }, now: new Date() });
          expect(s.started).toBe(true);
          // Two schedulers run the same job at the same time: its lease lets one of them do the work.
          const outcomes = await Promise.all(['a', 'b'].map((owner) => runJob(id, { store: stores.jobs, handlers: inline, owner, log: silentLogger, now: () => new Date() })));
          expect(outcomes.map((o) => o.status)).toContain('succeeded');
        };
        await runTwiceAtOnce('job-inline-1');
        const ids = inlineDocs.map((_, i) => `inv-i${i}`);
        const rejected = ids.at(-1)!;
        for (const [i, id] of ids.entries()) {
          const r = (await stores.invoices.get(id))!;
          expect(r.revision).toBe(2);
          const history = await stores.invoices.history(id);
          expect(history).toHaveLength(1);
          expect(history[0]).toMatchObject({ revision: 1, status: 'SCORED', reason: expect.stringContaining(jobMarker('job-inline-1')) });
          if (id === rejected) {
            expect(r).toMatchObject({ status: 'REJECTED', rejection: { code: 'NOT_AN_INVOICE' } });
            continue;
          }
          // Scored from the stored document: the fields are the extractor's, not the record's earlier ones.
          const expected = extractInvoice(inlineDocs[i]!, { einvoice: false, referenceDate: new Date() });
          expect(r.status).toBe('SCORED');
          expect(r.invoice?.fields.total_amount?.value).toBe(expected.fields.total_amount?.value);
          expect(r.invoice?.fields.invoice_id?.value).toBe(expected.fields.invoice_id?.value);
          expect(r.features && Object.keys(r.features).length).toBeGreaterThan(10);
          expect(r.decision?.decision).toMatch(/^(APPROVE|REVIEW|REJECT)$/);
        }
        // No message for the stage functions; one invoice-scored per scored invoice; every invoice reported settled.
        const scored = ids.slice(0, -1);
        expect(bus.published.filter((p) => p.topic !== Topics.invoiceScored)).toEqual([]);
        expect(bus.published.map((p) => p.message.invoiceId).sort()).toEqual(scored);
        expect([...settled].sort()).toEqual(ids);
        // The revision recorded the supplier's invoice once: a second reprocess does not count it again.
        const supplier = (await stores.invoices.get(scored[0]!))!.supplierKey!;
        const before = await stores.invoices.supplierHistory(supplier);
        await runTwiceAtOnce('job-inline-2');
        expect((await stores.invoices.get(scored[0]!))!.revision).toBe(3);
        expect(await stores.invoices.supplierHistory(supplier)).toEqual(before);
        expect(await stores.invoices.history(scored[0]!)).toHaveLength(2);
      } finally {
        await extractor.close();
      }
    }, 60_000);

    it('summary: "not configured" without the monitoring stores; with them the latest drift verdict, F1 per model and the actions waiting', async () => {
      const bare = await run('summary', { day: '2025-03-01' });
      expect((bare.job?.result as { summary: DailySummary }).summary.monitoring).toEqual({ configured: false, note: 'not configured' });
      await stores.monitoring.reports.put(report('drift-early', 0));
      await stores.monitoring.reports.put({
        ...report('drift-late', 120), status: 'drift',
        performance: [{ model: 'quality', version: 'v1', threshold: 0.5, referenceF1: 0.9, realized: { rows: 20, positives: 4, precision: 0.75, recall: 0.75, f1: 0.75 }, estimated: null, estimatedOnLabelled: null, below: { realized: true, estimated: false } }],
      });
      const waiting = actionsOf('performance-drop', 120, 'quality');
      for (const a of waiting) await stores.monitoring.ops.proposeAction(a);
      const s = await startBatchJob(stores.jobs, { id: `job-summary-m-${Math.random().toString(16).slice(2)}`, kind: 'summary', params: { day: '2025-03-01' }, now: new Date() });
      const withStores = createBatchHandlers({ pipeline: deps, exportsBucket: 'exports', monitoring: stores.monitoring });
      const outcome = await runJob(s.job.id, { store: stores.jobs, handlers: withStores, owner: 'contract', log: silentLogger, now: () => new Date() });
      expect(outcome.status).toBe('succeeded');
      const m = (outcome.job?.result as { summary: DailySummary }).summary.monitoring;
      if (!m.configured) throw new Error('monitoring should be configured');
      expect(m.drift).toMatchObject({ reportId: 'drift-late', verdict: 'drift', checkedAt: '2025-03-01T02:00:00.000Z', report: { bucket: 'artifacts', name: 'reports/drift/drift-late.html' } });
      expect(m.performance).toEqual([expect.objectContaining({ model: 'quality', version: 'v1', realizedF1: 0.75, realizedRows: 20, estimatedF1: null, below: { realized: true, estimated: false } })]);
      const open = waiting.filter((a) => a.status === 'pending-approval' || a.status === 'approved');
      expect(m.pendingActions.items.map((a) => a.id).sort()).toEqual(open.map((a) => a.id).sort());
    });

    it('the same window started three times at once: one job', async () => {
      const starts = await Promise.all([1, 2, 3].map((i) => startBatchJob(stores.jobs, { id: `job-c${i}`, kind: 'summary', params: { day: '2025-03-01' }, now: new Date(isoAt(0)) })));
      expect(starts.filter((x) => x.started)).toHaveLength(1);
      expect(new Set(starts.map((x) => x.job.id)).size).toBe(1);
    });
  });
}

runBatchJobsContract('SQLite', async () => {
  const db = openLedgerDatabase(':memory:');
  return { invoices: new SqliteInvoiceStore(db), jobs: new SqliteJobStore(db), monitoring: { reports: new SqliteDriftReportStore(db), ops: new SqliteOpsStore(db) }, dispose: async () => db.close() };
});

describe.skipIf(!firestoreReady)('on the Firestore emulator', () => {
  const firestore = useFirestoreEmulator(PROJECT);
  beforeAll(() => firestore.reset());
  runBatchJobsContract('Firestore', async () => ({
    invoices: new FirestoreInvoiceStore(firestore.db), jobs: new FirestoreJobStore(firestore.db),
    monitoring: { reports: new FirestoreDriftReportStore(firestore.db), ops: new FirestoreOpsStore(firestore.db) },
    dispose: async () => {},
  }));
});

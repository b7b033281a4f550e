/**
 * The batch jobs' speed (called by `npm run bench`, BENCH_ONLY=batch):
 * - reprocessing 10,000 stored invoices (BENCH_BATCH_REPROCESS): 1,000 real generated PDFs (BENCH_BATCH_ORIGINALS)
 *   are run through the local pipeline once, their records cloned to 10,000 SCORED invoices that share the stored
 *   OCR documents (so each original has 9 duplicates: duplicate checks cost more than on distinct invoices); then a
 *   reprocess job runs features and inference again for every one as a new revision (no OCR). Target >= 200
 *   invoices/s locally;
 * - exporting 100,000 records of one day to CSV + JSON lines (BENCH_BATCH_EXPORT). Target < 10 s;
 * - a sweep over 100,000 inbox objects (BENCH_BATCH_SWEEP), 100 of them without a record and 100 records stuck
 *   in OCR_DONE, with the re-triggered messages counted instead of processed (the sweep's own cost): the full
 *   sweep (weekly) and the hourly one, which reads only the 1 % of objects uploaded within its lookback. 5 % of
 *   the records FAILED long ago and 100 in the last hour: the record reads of each sweep are counted as
 *   Firestore bills them (a document read per record returned, at least one per query, one per 1,000 index
 *   entries of a count), the hourly sweep's target being to read the FAILED ones of its window only.
 */
import { FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { SqliteIdempotencyStore } from '../../functions/adapters/local/sqlite/idempotency-store.js';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import { SqliteJobStore } from '../../functions/adapters/local/sqlite/job-store.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import type { BatchDeps } from '../../functions/core/batch/deps.js';
import { createBatchHandlers } from '../../functions/core/batch/handlers.js';
import type { InvoiceRecord } from '../../functions/core/invoice/record.js';
import { runJob } from '../../functions/core/learning/jobs.js';
import type { EventBus, InvoiceStore } from '../../functions/core/ports.js';
import { PipelineConfigSchema } from '../../functions/core/pipeline/config.js';
import type { PipelineDeps } from '../../functions/core/pipeline/deps.js';
import { invoiceIdFor } from '../../functions/core/pipeline/invoice-id.js';
import { DecisionThresholdsSchema } from '../../functions/core/scoring/decide.js';
import { ValidationConfigSchema } from '../../functions/core/validation/index.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { BATCH_SQLITE_MAP_MB, localBatchHandlers } from '../../functions/platform/local-batch-jobs.js';
import { submitBatch } from '../../functions/platform/local-batch.js';
import { createLocalRuntime } from '../../functions/platform/local-runtime.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

const field = <T>(value: T) => ({ value, confidence: 0.93, source: 'layout' as const, pageNumber: 1, box: { x: 0.1, y: 0.2, w: 0.2, h: 0.02 } });

function syntheticRecord(i: number, day: string): InvoiceRecord {
  const at = new Date(Date.parse(`${day}T00:00:00.000Z`) + i * 800).toISOString();
  const supplier = `name:supplier ${i % 500}`;
  return {
    invoiceId: `inv_${i.toString(16).padStart(24, '0')}`, status: 'SCORED', revision: 1,
    source: { bucket: 'inbox', name: `bench/${i}.pdf`, generation: String(1_700_000_000_000_000 + i) },
    fileName: `${i}.pdf`, mimeType: 'application/pdf', sizeBytes: 40_000, contentSha256: i.toString(16).padStart(64, '0'), pageCount: 1,
    supplierKey: supplier, businessKey: `${supplier}|INV${i}`,
    invoice: {
      documentType: 'invoice', line_items: [], vat: [], extraction: { method: 'ocr', warnings: [] },
      fields: {
        invoice_id: field(`INV-${i}`), invoice_date: field('2025-01-15'), due_date: field('2025-02-15'), supplier_name: field(`Supplier ${i % 500} GmbH`), currency: field('EUR'),
        net_amount: field(100 + (i % 900)), total_tax_amount: field(19 + (i % 171)), total_amount: field(119 + (i % 1071)), supplier_iban: field('DE89370400440532013000'),
      },
    } as unknown as InvoiceRecord['invoice'],
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    decision: {
      decision: i % 5 === 0 ? 'REVIEW' : 'APPROVE', basis: 'models+rules', modelVersions: { quality: 'v1-s42', failure: 'v1-s42', anomaly: 'v1-s42' },
      reasons: i % 5 === 0 ? [{ code: 'LOW_FIELD_CONFIDENCE', kind: 'quality', effect: 'REVIEW', message: 'x' }] : [],
      scores: { quality: 0.97, failureRisk: 0.05, anomaly: 0.2, ruleQuality: 0.9 }, explanations: {},
    },
    timings: {}, createdAt: at, updatedAt: at,
  };
}

/** Pipeline ports on a SQLite file and a folder bucket, with a bus that only counts (the sweep's own cost). */
function countingDeps(dir: string): { deps: PipelineDeps; published: () => number; store: SqliteInvoiceStore; db: ReturnType<typeof openLedgerDatabase> } {
  const db = openLedgerDatabase(join(dir, 'ledgerx.db'));
  const store = new SqliteInvoiceStore(db);
  let published = 0;
  const bus: EventBus = { publish: async () => String(++published) };
  const deps: PipelineDeps = {
    blobs: createFsBlobStore(join(dir, 'buckets')), bus, store, idempotency: new SqliteIdempotencyStore(db), clock: { now: () => new Date() },
    ocr: { name: 'none', recognize: () => Promise.reject(new Error('no OCR in this bench')) },
    models: { loadProduction: async () => null },
    config: PipelineConfigSchema.parse({ buckets: { inbox: 'inbox', artifacts: 'artifacts' }, ocr: {} }),
    validation: ValidationConfigSchema.parse({}), thresholds: DecisionThresholdsSchema.parse({}),
  };
  return { deps, published: () => published, store, db };
}

/**
 * `store` with its record reads counted as Firestore bills them: a get is one read (found or not), a query one per
 * document returned and at least one, a count() aggregation one per 1,000 index entries and at least one.
 */
function countingReads(store: InvoiceStore): { store: InvoiceStore; reads: () => number } {
  let reads = 0;
  const queried = (n: number) => (reads += Math.max(1, n));
  const counted: InvoiceStore = Object.create(store) as InvoiceStore;
  counted.get = async (id) => {
    reads += 1;
    return store.get(id);
  };
  counted.list = async (q) => {
    const page = await store.list(q);
    queried(page.items.length);
    return page;
  };
  counted.listUpdated = async (q) => {
    const page = await store.listUpdated(q);
    queried(page.items.length);
    return page;
  };
  counted.countByStatus = async (status, range) => {
    const n = await store.countByStatus(status, range);
    queried(Math.ceil(n / 1000));
    return n;
  };
  return { store: counted, reads: () => reads };
}

function seed(db: ReturnType<typeof openLedgerDatabase>, store: SqliteInvoiceStore, records: Iterable<InvoiceRecord>): void {
  let batch: InvoiceRecord[] = [];
  const flush = () => {
    const rows = batch;
    db.connection.transaction(() => {
      for (const r of rows) void store.createIfAbsent(r);
    })();
    batch = [];
  };
  for (const r of records) {
    batch.push(r);
    if (batch.length === 5000) flush();
  }
  flush();
}

async function runKind(deps: BatchDeps, db: ReturnType<typeof openLedgerDatabase>, kind: 'export' | 'sweep', params: Record<string, unknown>, run = 'bench') {
  const jobs = new SqliteJobStore(db);
  const id = `job-${kind}-${run}`;
  await jobs.create({ id, kind, key: `${kind}:${run}`, params, now: new Date() });
  const start = performance.now();
  const outcome = await runJob(id, { store: jobs, handlers: createBatchHandlers(deps), owner: 'bench', log: silentLogger, now: () => new Date() });
  const seconds = (performance.now() - start) / 1000;
  if (outcome.status !== 'succeeded') throw new Error(`${kind} bench job ended ${outcome.status}: ${JSON.stringify(outcome.job?.errors)}`);
  return { seconds, job: outcome.job! };
}

async function benchExport(out: Record<string, number>): Promise<void> {
  const count = Number(process.env.BENCH_BATCH_EXPORT ?? 100_000);
  const dir = await mkdtemp(join(tmpdir(), 'ledgerx-bench-export-'));
  try {
    const { deps, store, db } = countingDeps(dir);
    const day = '2025-03-01';
    seed(db, store, (function* () {
      for (let i = 0; i < count; i++) yield syntheticRecord(i, day);
    })());
    const { seconds, job } = await runKind({ pipeline: deps, exportsBucket: 'exports' }, db, 'export', { day });
    const result = job.result as { rows: number; bytes: { csv: number; jsonl: number } };
    if (result.rows !== count) throw new Error(`export wrote ${result.rows} rows, not ${count}`);
    out[`export ${count} records s`] = Math.round(seconds * 100) / 100;
    out[`export ${count} records MiB (csv + jsonl)`] = Math.round(((result.bytes.csv + result.bytes.jsonl) / 1048576) * 10) / 10;
    db.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchSweep(out: Record<string, number>): Promise<void> {
  const count = Number(process.env.BENCH_BATCH_SWEEP ?? 100_000);
  const dir = await mkdtemp(join(tmpdir(), 'ledgerx-bench-sweep-'));
  try {
    // Objects written as a folder bucket holds them (the data file is the source of truth; no sidecar needed).
    // One in a hundred was uploaded recently (plus the ones whose event was lost); the rest ten days ago.
    const inbox = join(dir, 'buckets', 'inbox', 'bench');
    const lost = (i: number) => i % 1000 === 7;
    const recent = (i: number) => i % 100 === 0 || lost(i);
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    for (let d = 0; d < 100; d++) mkdirSync(join(inbox, String(d)), { recursive: true });
    for (let i = 0; i < count; i++) {
      const path = join(inbox, String(i % 100), `${i}.pdf`);
      writeFileSync(path, '%PDF-1.4');
      if (!recent(i)) utimesSync(path, tenDaysAgo, tenDaysAgo);
    }
    const { deps, store, db, published } = countingDeps(dir);
    const objects = await deps.blobs.list('inbox', 'bench/');
    const old = new Date(Date.now() - 3600_000).toISOString();
    // 5 % FAILED on the day the records were made (long ago), 0.1 % in the last hour.
    const failedLongAgo = (i: number) => i % 20 === 3;
    const failedRecently = (i: number) => i % 1000 === 13;
    const failure = { status: 'FAILED' as const, decision: undefined, rejection: { code: 'OCR_UNAVAILABLE', message: 'retries exhausted' } };
    seed(db, store, (function* () {
      for (const o of objects) {
        const i = Number(/(\d+)\.pdf$/.exec(o.name)![1]);
        if (lost(i)) continue; // no record: its event was lost
        const r = syntheticRecord(i, '2025-03-02');
        yield {
          ...r, invoiceId: invoiceIdFor(o.bucket, o.name, o.generation), source: { bucket: o.bucket, name: o.name, generation: o.generation },
          ...(i % 1000 === 11 ? { status: 'OCR_DONE' as const, decision: undefined, ocrUri: 'artifacts/ocr/x.json', updatedAt: old } : {}),
          ...(failedLongAgo(i) ? failure : failedRecently(i) ? { ...failure, updatedAt: old } : {}),
        };
      }
    })());
    const indices = Array.from({ length: count }, (_, i) => i);
    const failedAll = indices.filter((i) => failedLongAgo(i) || failedRecently(i)).length;
    const failedNew = indices.filter(failedRecently).length;
    const fullReads = countingReads(store);
    const full = await runKind({ pipeline: { ...deps, store: fullReads.store }, exportsBucket: 'exports' }, db, 'sweep', { graceMinutes: 0, stuckAfterMinutes: 30, chunk: 500, full: true });
    if (full.job.counts.objects !== count || full.job.counts.lostUploads !== count / 1000 || full.job.counts.stuck !== count / 1000 || full.job.counts.failed !== failedAll) throw new Error(`full sweep counts ${JSON.stringify(full.job.counts)}`);
    out[`sweep ${count} objects (full) s`] = Math.round(full.seconds * 100) / 100;
    out[`sweep ${count} objects (full) per s`] = Math.round(count / full.seconds);
    out[`sweep ${count} objects (full) record reads`] = fullReads.reads();
    out[`sweep re-triggered`] = published();
    // The hourly sweep: only the objects of the lookback (48 h) are read against the store, and only the FAILED
    // records that failed within it.
    const hourlyReads = countingReads(store);
    const hourly = await runKind({ pipeline: { ...deps, store: hourlyReads.store }, exportsBucket: 'exports' }, db, 'sweep', { graceMinutes: 0, stuckAfterMinutes: 30, chunk: 500 }, 'hourly');
    const inWindow = indices.filter(recent).length;
    if (hourly.job.counts.objects !== inWindow) throw new Error(`hourly sweep checked ${hourly.job.counts.objects} objects, not the ${inWindow} of its lookback`);
    if (hourly.job.counts.failed !== failedNew || hourly.job.counts.failedTotal !== failedAll) throw new Error(`hourly sweep FAILED counts ${JSON.stringify(hourly.job.counts)}, not ${failedNew} of ${failedAll}`);
    out[`sweep hourly (48 h lookback, ${inWindow} recent of ${count}) s`] = Math.round(hourly.seconds * 100) / 100;
    out[`sweep hourly (${failedAll - failedNew} FAILED long ago, ${failedNew} in the hour) record reads`] = hourlyReads.reads();
    db.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchReprocess(out: Record<string, number>): Promise<void> {
  const count = Number(process.env.BENCH_BATCH_REPROCESS ?? 10_000);
  const dir = await mkdtemp(join(tmpdir(), 'ledgerx-bench-reprocess-'));
  try {
    const src = join(dir, 'src');
    await generateCorpus({
      outDir: src, count: Number(process.env.BENCH_BATCH_ORIGINALS ?? 1000), seed: 31,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    const files = (await readdir(src)).filter((f) => f.endsWith('.pdf')).map((f) => ({ path: join(src, f), display: f, objectName: `real/${f}` }));
    const data = join(dir, 'data');
    let runtime = createLocalRuntime({ dataDir: data });
    await submitBatch(runtime, files, { progress: false });
    const originals: InvoiceRecord[] = [];
    for await (const r of runtime.store.iterate()) if (r.status === 'SCORED' && r.ocrUri) originals.push(r);
    await runtime.close();
    // Clones of the real records: each its own invoice, sharing the stored OCR document of its original.
    const db = openLedgerDatabase(join(data, 'ledgerx.db'));
    const store = new SqliteInvoiceStore(db);
    const base = Date.parse('2025-04-01T00:00:00.000Z');
    seed(db, store, (function* () {
      for (let i = 0; i < count; i++) {
        const o = originals[i % originals.length]!;
        const at = new Date(base + i * 1000).toISOString();
        yield { ...o, invoiceId: `inv_clone_${i}`, source: { ...o.source, name: `clones/${i}.pdf`, generation: String(i + 1) }, fileName: `${i}.pdf`, createdAt: at, updatedAt: at };
      }
    })());
    db.close();
    // As `ledgerx batch run` opens it.
    runtime = createLocalRuntime({ dataDir: data, sqliteMapMb: BATCH_SQLITE_MAP_MB });
    try {
      const jobs = new SqliteJobStore(openLedgerDatabase(join(data, 'ledgerx.db')));
      await jobs.create({ id: 'job-reprocess', kind: 'reprocess', key: 'reprocess:bench', params: { from: '2025-04-01', to: '2025-04-30', chunk: 500 }, now: new Date() });
      const start = performance.now();
      const outcome = await runJob('job-reprocess', { store: jobs, handlers: localBatchHandlers(runtime), owner: 'bench', log: silentLogger, now: () => new Date() });
      await runtime.drain();
      const seconds = (performance.now() - start) / 1000;
      if (outcome.status !== 'succeeded' || outcome.job?.counts.started !== count) throw new Error(`reprocess ended ${outcome.status}: ${JSON.stringify(outcome.job?.counts)}`);
      out[`reprocess ${count} invoices s`] = Math.round(seconds * 10) / 10;
      out[`reprocess ${count} invoices per s`] = Math.round(count / seconds);
    } finally {
      await runtime.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One part alone (BENCH_BATCH_PARTS=export,sweep,reprocess; default all). */
export async function benchBatch(): Promise<Record<string, number>> {
  const parts = new Set((process.env.BENCH_BATCH_PARTS ?? 'export,sweep,reprocess').split(','));
  const out: Record<string, number> = {};
  if (parts.has('export')) await benchExport(out);
  if (parts.has('sweep')) await benchSweep(out);
  if (parts.has('reprocess')) await benchReprocess(out);
  return out;
}

/**
 * A local reprocess runs the features and inference stages inside the job (runStagesInline) instead of behind the
 * bus: what it records must be what the stages record. Checked against the bus path on the same invoices, with
 * the extraction on the worker thread, and with an extractor that fails (the revision then goes to the stages).
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchHandlers } from '../../functions/core/batch/handlers.js';
import { PermanentError, RetryableError } from '../../functions/core/errors.js';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import type { InvoiceRecord } from '../../functions/core/invoice/record.js';
import { runJob } from '../../functions/core/learning/jobs.js';
import { Topics } from '../../functions/core/messages.js';
import type { InvoiceExtractor } from '../../functions/core/ports.js';
import { readOcrDocument } from '../../functions/core/pipeline/features-stage.js';
import { runPageInline } from '../../functions/core/pipeline/inline-stages.js';
import { parseOcrDocument } from '../../functions/core/ocr-document.js';
import { ocrCompletedOf } from '../../functions/core/pipeline/ocr-stage.js';
import { startRevisions } from '../../functions/core/pipeline/revise.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { localBatchDeps } from '../../functions/platform/local-batch-jobs.js';
import type { LocalRuntime } from '../../functions/platform/local-runtime.js';
import { SqliteJobStore } from '../../functions/adapters/local/sqlite/job-store.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { meetingNotes } from '../helpers/ocr-documents.js';
import { processFiles, tempDir, testRuntime } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

const COUNT = 6;

/** What a revision decided, without what legitimately differs between two runs (times, revision, audit draw). */
function outcomeOf(r: Pick<InvoiceRecord, 'status' | 'invoice' | 'validations' | 'features' | 'featureSchemaVersion' | 'decision' | 'rejection'>) {
  return {
    status: r.status, invoice: r.invoice, validations: r.validations, features: r.features, featureSchemaVersion: r.featureSchemaVersion,
    decision: r.decision?.decision, reasons: r.decision?.reasons.map((x) => x.code).sort(), rejection: r.rejection?.code,
  };
}

describe('reprocess with the stages inline', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let runtime: LocalRuntime;
  let ids: string[];

  beforeAll(async () => {
    const files = await tempDir('inline-stages');
    cleanup.push(files.dispose);
    await generateCorpus({
      outDir: files.dir, count: COUNT, seed: 21,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    const t = await testRuntime();
    cleanup.push(t.dispose);
    runtime = t.runtime;
    const results = await processFiles(runtime, files.dir, (await readdir(files.dir)).filter((n) => n.endsWith('.pdf')).sort());
    ids = [...results.values()].map((r) => r.invoiceId).sort();
    expect(ids).toHaveLength(COUNT);
  }, 120_000);
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  const records = async () => Promise.all(ids.map(async (id) => (await runtime.store.get(id))!));

  /** One reprocess job over every invoice, on the local runtime's stores: inline or through the bus. */
  async function reprocess(jobId: string, inline: boolean, extractor?: InvoiceExtractor): Promise<Record<string, number>> {
    const local = localBatchDeps(runtime, { pollMs: 20 });
    const deps = inline ? { ...local, inlineStages: { ...local.inlineStages!, ...(extractor ? { extractor } : {}) } } : { ...local, inlineStages: undefined };
    const jobs = new SqliteJobStore(openLedgerDatabase(':memory:'));
    await jobs.create({ id: jobId, kind: 'reprocess', key: `reprocess:${jobId}`, params: { prefix: '', chunk: 4 }, now: new Date() });
    const outcome = await runJob(jobId, { store: jobs, handlers: createBatchHandlers(deps), owner: 'test', log: silentLogger, now: () => new Date() });
    await runtime.drain();
    expect(outcome.status).toBe('succeeded');
    return outcome.job!.counts;
  }

  it('records what the stages record, with one write per invoice and no stage message', async () => {
    const published: string[] = [];
    const original = runtime.bus.publish.bind(runtime.bus);
    runtime.bus.publish = (async (topic: never, message: never, options?: never) => {
      published.push(topic);
      return original(topic, message, options);
    }) as typeof runtime.bus.publish;
    try {
      const settled: string[] = [];
      runtime.onSettled((id) => settled.push(id));
      expect(await reprocess('job-inline', true)).toMatchObject({ started: COUNT });
      const inline = await records();
      expect(inline.map((r) => r.revision)).toEqual(ids.map(() => 2));
      expect(published.filter((t) => t !== Topics.invoiceScored)).toEqual([]);
      expect(published).toHaveLength(COUNT);
      expect([...new Set(settled)].sort()).toEqual(ids);

      expect(await reprocess('job-bus', false)).toMatchObject({ started: COUNT });
      const viaBus = await records();
      expect(viaBus.map((r) => r.revision)).toEqual(ids.map(() => 3));
      expect(published.filter((t) => t === Topics.ocrCompleted)).toHaveLength(COUNT);
      expect(inline.map(outcomeOf)).toEqual(viaBus.map(outcomeOf));
      // Both revisions are in the history, and both scorings in the prediction log.
      for (const id of ids) expect((await runtime.store.history(id)).map((h) => h.revision)).toEqual([1, 2]);
    } finally {
      runtime.bus.publish = original;
    }
  }, 120_000);

  it('extracts on the worker thread what this thread extracts', async () => {
    const before = await records();
    let calls = 0;
    const counting: InvoiceExtractor = { extract: (json, options) => { calls += 1; return runtime.extractor.extract(json, options); } };
    const started = await startRevisions(runtime.deps, before.map((record) => ({ record, from: 'OCR_DONE' as const, reason: 'worker check' })), { publish: false });
    const pending = started.flatMap((s) => (s.started ? [s.record] : []));
    expect(pending).toHaveLength(COUNT);
    // distance 0: every document is handed to the extractor (none extracted here).
    for await (const run of runPageInline(runtime.deps, pending, silentLogger, { extractor: counting, distance: 0, inFlight: 3 })) {
      expect('outcome' in run && run.outcome.outcome).toBe('done');
    }
    expect(calls).toBe(COUNT);
    expect((await records()).map(outcomeOf)).toEqual(before.map(outcomeOf));
  }, 60_000);

  it('reads each answer of the extraction thread before the next revision, so the thread gets every document ahead', async () => {
    const before = await records();
    let calls = 0;
    // Extracts at once and answers as a thread does: with a message, read on a turn of the event loop.
    const macrotask: InvoiceExtractor = {
      extract: (json, options) => {
        calls += 1;
        const invoice = extractInvoice(parseOcrDocument(json), options);
        return new Promise((resolve) => setImmediate(() => resolve(invoice)));
      },
    };
    const started = await startRevisions(runtime.deps, before.map((record) => ({ record, from: 'OCR_DONE' as const, reason: 'answer turns' })), { publish: false });
    const pending = started.flatMap((s) => (s.started ? [s.record] : []));
    for await (const run of runPageInline(runtime.deps, pending, silentLogger, { extractor: macrotask, distance: 1, inFlight: 1 })) {
      expect('outcome' in run && run.outcome.outcome).toBe('done');
    }
    // One in flight, one place ahead: every revision after the first, as the answer of the one before is read
    // before it. Answers read late would leave every other revision to this thread.
    expect(calls).toBe(COUNT - 1);
    expect((await records()).map(outcomeOf)).toEqual(before.map(outcomeOf));
  }, 60_000);

  it('hands a revision to the stage functions when its inline run fails with a retryable error', async () => {
    const failing: InvoiceExtractor = { extract: async () => { throw new RetryableError('EXTRACTION_WORKER_FAILED', 'worker died'); } };
    const before = await records();
    // distance 0 so that every document goes to the failing extractor.
    const started = await startRevisions(runtime.deps, before.map((record) => ({ record, from: 'OCR_DONE' as const, reason: 'failing extractor' })), { publish: false });
    const pending = started.flatMap((s) => (s.started ? [s.record] : []));
    const failed: string[] = [];
    for await (const run of runPageInline(runtime.deps, pending, silentLogger, { extractor: failing, distance: 0 })) {
      if ('error' in run) failed.push(run.record.invoiceId);
    }
    expect(failed.sort()).toEqual(ids);
    // Nothing recorded for them: they wait at their restart status for whoever takes them on.
    expect((await records()).map((r) => r.status)).toEqual(ids.map(() => 'OCR_DONE'));

    // Through the job: the failed revisions are published for the stages, which score them.
    await reprocessAfterFailure(failing);
  }, 120_000);

  it('the extraction threads keep an error what it is in-process: permanent, or not a document at all', async () => {
    const meeting = meetingNotes();
    const hostile = { ...meeting, embeddedFiles: [{ name: 'factur-x.xml', mimeType: 'text/xml', content: `<CrossIndustryInvoice>${'<b>'.repeat(5000)}${'</b>'.repeat(5000)}</CrossIndustryInvoice>` }] };
    const options = { einvoice: true, referenceDate: new Date() };
    const inProcess = (() => { try { extractInvoice(hostile, options); } catch (err) { return err; } })();
    expect(inProcess).toBeInstanceOf(PermanentError);
    await expect(runtime.extractor.extract(JSON.stringify(hostile), options)).rejects.toMatchObject({ name: 'PermanentError', code: (inProcess as PermanentError).code });
    await expect(runtime.extractor.extract('{"not": "an OCR document"}', options)).rejects.not.toBeInstanceOf(PermanentError);
    await expect(runtime.extractor.extract('{', options)).rejects.toThrow();
    // Concurrent requests each get their own document's invoice.
    const docs = (await records()).slice(0, 3);
    const expected = await Promise.all(docs.map(async (r) => extractInvoice(await readOcrDocument(runtime.deps, ocrCompletedOf(r).ocr), options).fields.invoice_id?.value));
    const viaThreads = await Promise.all(docs.map(async (r) => {
      const json = new TextDecoder().decode(await runtime.blobs.read(ocrCompletedOf(r).ocr));
      return (await runtime.extractor.extract(json, options)).fields.invoice_id?.value;
    }));
    expect(viaThreads).toEqual(expected);
  });

  async function reprocessAfterFailure(failing: InvoiceExtractor): Promise<void> {
    // The job skips invoices still in flight: settle the ones above through the stages first.
    const { publishStart } = await import('../../functions/core/pipeline/revise.js');
    for (const r of await records()) await publishStart(runtime.deps, r);
    await runtime.drain();
    expect((await records()).map((r) => r.status)).toEqual(ids.map(() => 'SCORED'));
    const before = await records();
    const counts = await reprocess('job-failing', true, failing);
    expect(counts).toMatchObject({ started: COUNT });
    const after = await records();
    expect(after.map((r) => [r.status, r.revision])).toEqual(before.map((r) => ['SCORED', r.revision + 1]));
    expect(after.map(outcomeOf)).toEqual(before.map(outcomeOf));
  }
});

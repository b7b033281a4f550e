import { PermanentError } from '../errors.js';
import type { Invoice } from '../invoice/invoice.js';
import type { InvoiceRecord } from '../invoice/record.js';
import { Topics } from '../messages.js';
import { parseOcrDocument, type OcrDocument } from '../ocr-document.js';
import type { InvoiceExtractor, Logger } from '../ports.js';
import type { PipelineDeps, StageOutcome } from './deps.js';
import { elapsedMs } from './deps.js';
import { computeInvoiceFeatures, readOcrDocument } from './features-stage.js';
import { decideInvoice, invoiceScoredOf, logPrediction } from './inference-stage.js';
import { ocrCompletedOf } from './ocr-stage.js';
import { rejectInvoice } from './reject.js';

/** A record's stored OCR document, and its invoice when it was extracted elsewhere. */
interface PreparedDocument {
  doc: OcrDocument;
  invoice?: Invoice | undefined;
}

/**
 * The features and inference stages of one revision, run here instead of behind the bus: for a batch job that
 * started the revision itself and holds its record (a local reprocess or backfill). The same work as the two
 * stages (computeInvoiceFeatures, decideInvoice, the prediction log, `invoice-scored`), with one record write
 * (OCR_DONE or FEATURES_DONE straight to SCORED) instead of a queue round trip, an idempotency claim and a record
 * write per stage.
 *
 * Safe next to the stages: the write is conditional on the revision and on the status moving forward, so a copy
 * of the same revision run by a stage (after a crash, from the sweep) records nothing twice. A PermanentError
 * ends the invoice REJECTED, as in a stage; anything else is thrown, and the caller hands the revision to the
 * stages (publishes its start message) for their retries and dead letters.
 */
export async function runStagesInline(
  deps: PipelineDeps, record: InvoiceRecord, log: Logger, prepared?: Promise<PreparedDocument>,
): Promise<StageOutcome> {
  const { invoiceId, revision } = record;
  try {
    const start = performance.now();
    let patch: Partial<InvoiceRecord> = {};
    let timings = record.timings;
    if (record.status === 'OCR_DONE') {
      const { ocr, contentSha256 } = ocrCompletedOf(record);
      const { doc, invoice } = await (prepared ?? readOcrDocument(deps, ocr).then((d): PreparedDocument => ({ doc: d })));
      patch = (await computeInvoiceFeatures(deps, record, doc, contentSha256, invoice)).patch;
      timings = { ...timings, features: elapsedMs(start) };
    }
    const scoreStart = performance.now();
    const { decision, scores } = await decideInvoice(deps, { invoiceId, validations: patch.validations ?? record.validations }, {
      featureSchemaVersion: patch.featureSchemaVersion ?? record.featureSchemaVersion ?? '',
      features: patch.features ?? record.features ?? {},
    });
    const { applied, record: done } = await deps.store.transition(
      invoiceId, 'SCORED', { ...patch, decision, timings: { ...timings, inference: elapsedMs(scoreStart) } }, { revision },
    );
    if (!applied) return { outcome: 'ignored', reason: `the invoice moved on meanwhile (${done.status}, revision ${done.revision})` };
    await logPrediction(deps, done, scores);
    await deps.bus.publish(Topics.invoiceScored, invoiceScoredOf(done), { orderingKey: invoiceId });
    return { outcome: 'done', invoiceId };
  } catch (err) {
    if (err instanceof PermanentError) return rejectInvoice(deps.store, record, err, log.child({ invoiceId, stage: 'inline', revision }));
    throw err;
  }
}

/**
 * {@link runStagesInline} over a page of started revisions, in order, each yielding its outcome or its error.
 * With an extractor, its threads extract the invoices of revisions a few places ahead (`distance`) while this
 * thread writes the earlier ones, at most `inFlight` at a time; a revision this thread reaches unclaimed (its
 * extractor busy or slow) it extracts itself, so the split balances itself.
 */
export async function* runPageInline(
  deps: PipelineDeps,
  records: readonly InvoiceRecord[],
  log: Logger,
  options: { extractor?: InvoiceExtractor | undefined; distance?: number; inFlight?: number } = {},
): AsyncGenerator<{ record: InvoiceRecord; outcome: StageOutcome } | { record: InvoiceRecord; error: unknown }> {
  const { extractor } = options;
  const distance = options.distance ?? 3;
  const maxInFlight = options.inFlight ?? 2;
  const claimed = new Map<number, Promise<PreparedDocument>>();
  let pending = 0;
  let nextFree = 0;
  const dispatch = (from: number) => {
    if (!extractor) return;
    for (let j = Math.max(nextFree, from + distance); pending < maxInFlight && j < records.length; j++) {
      nextFree = j + 1;
      if (records[j]!.status !== 'OCR_DONE') continue;
      pending += 1;
      const ready = prepareDocument(deps, records[j]!, extractor).finally(() => { pending -= 1; });
      // Awaited in order below; until then a rejection is not unhandled.
      ready.catch(() => undefined);
      claimed.set(j, ready);
    }
  };
  for (let i = 0; i < records.length; i++) {
    // A thread's answer is a message, read only when this thread reaches its event loop; the stages' work here
    // (SQLite, the blob reads) is synchronous, so without this turn answers waited a whole revision or more and
    // the extraction thread stood idle for 60% of a reprocess, this thread extracting half the documents itself.
    if (pending > 0) await new Promise((resolve) => setImmediate(resolve));
    dispatch(i);
    const record = records[i]!;
    try {
      yield { record, outcome: await runStagesInline(deps, record, log, claimed.get(i)) };
    } catch (error) {
      yield { record, error };
    } finally {
      claimed.delete(i);
    }
  }
}

/** Reads a record's OCR document once: the extractor validates and extracts it elsewhere while it is parsed here. */
async function prepareDocument(deps: PipelineDeps, record: InvoiceRecord, extractor: InvoiceExtractor): Promise<PreparedDocument> {
  const ocrJson = new TextDecoder().decode(await deps.blobs.read(ocrCompletedOf(record).ocr));
  const invoice = extractor.extract(ocrJson, { einvoice: deps.config.einvoice, referenceDate: deps.clock.now() });
  invoice.catch(() => undefined);
  const doc = parseOcrDocument(ocrJson);
  return { doc, invoice: await invoice };
}

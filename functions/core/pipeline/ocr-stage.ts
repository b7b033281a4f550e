import { PermanentError, RejectReason } from '../errors.js';
import { Topics, type ObjectFinalized, type OcrCompleted } from '../messages.js';
import { OcrDocumentSchema, type OcrDocument } from '../ocr-document.js';
import type { BlobRef } from '../messages.js';
import type { InvoiceRecord } from '../invoice/record.js';
import { BlobNotFoundError, type SerializedOcrDocument } from '../ports.js';
import type { PipelineDeps, StageContext, StageOutcome } from './deps.js';
import { elapsedMs } from './deps.js';
import { recognizeUpload } from './einvoice-files.js';
import { invoiceIdFor, sha256Hex } from './invoice-id.js';
import { runStageOnce } from './run-stage.js';

/**
 * The normalized OCR document is stored by content: byte-identical uploads (re-sends, redeliveries) share one
 * artifact, which is also the OCR cache (one write per distinct file, and Document AI is never paid twice).
 */
export function ocrArtifactRef(deps: PipelineDeps, contentSha256: string): BlobRef {
  return { bucket: deps.config.buckets.artifacts, name: `ocr/${deps.ocr.name}/${contentSha256}.json` };
}

/** `ocr-completed` of a record that reached OCR_DONE: what features needs, rebuilt from the record alone. */
export function ocrCompletedOf(record: InvoiceRecord, traceparent?: string): OcrCompleted {
  const [bucket, ...rest] = (record.ocrUri ?? '').split('/');
  return {
    schemaVersion: 1,
    invoiceId: record.invoiceId,
    revision: record.revision,
    traceparent,
    source: record.source,
    contentSha256: record.contentSha256 ?? '',
    mimeType: record.mimeType ?? 'application/octet-stream',
    ocr: { bucket: bucket ?? '', name: rest.join('/') },
    pageCount: record.pageCount ?? 0,
  };
}

/**
 * Stage 1, on a finalized inbox object: read the file, OCR it (or reuse the OCR of identical bytes), store the
 * normalized OCR document, move the invoice to OCR_DONE and publish `ocr-completed`.
 *
 * Idempotent per `bucket/name#generation` (the invoice id): redeliveries create no second record and no second
 * message once the first run completed; a run that crashed after OCR_DONE publishes again from the record, with
 * no second OCR. Unreadable input ends REJECTED with its reason code (acked); anything else throws so that the
 * event is redelivered.
 */
export async function runOcrStage(deps: PipelineDeps, event: ObjectFinalized, ctx: StageContext): Promise<StageOutcome> {
  const { config, store, clock } = deps;
  if (event.bucket !== config.buckets.inbox || !event.name.startsWith(config.inboxPrefix) || event.name.endsWith('/')) {
    return { outcome: 'ignored', reason: 'object is outside the inbox' };
  }
  const invoiceId = invoiceIdFor(event.bucket, event.name, event.generation);
  const log = ctx.log.child({ invoiceId, stage: 'ocr' });
  const now = clock.now().toISOString();
  const { record } = await store.createIfAbsent({
    invoiceId,
    status: 'RECEIVED',
    revision: 1,
    source: { bucket: event.bucket, name: event.name, generation: event.generation },
    fileName: event.name.split('/').pop() ?? event.name,
    mimeType: event.contentType,
    sizeBytes: event.size,
    timings: {},
    createdAt: now,
    updatedAt: now,
  });
  if (record.status !== 'RECEIVED' && record.status !== 'FAILED' && record.status !== 'OCR_DONE') return { outcome: 'duplicate', invoiceId };

  return runStageOnce(deps, `ocr:${invoiceId}`, record, log, async () => {
    const current = (await store.get(invoiceId)) ?? record;
    // OCR_DONE already (a run that stopped before publishing): publish what the record holds, OCR nothing.
    if (current.status === 'OCR_DONE') {
      await deps.bus.publish(Topics.ocrCompleted, ocrCompletedOf(current, ctx.traceparent), { orderingKey: invoiceId });
      log.info('ocr-completed published again from the record');
      return { invoiceId };
    }
    const start = performance.now();
    const bytes = await readUpload(deps, event);
    const contentSha256 = sha256Hex(bytes);
    const ocrRef = ocrArtifactRef(deps, contentSha256);
    const { doc, cached } = await recognizeWithCache(deps, bytes, event, ocrRef);
    const ms = elapsedMs(start);
    const { record: done } = await store.transition(
      invoiceId,
      'OCR_DONE',
      {
        contentSha256,
        mimeType: doc.mimeType,
        pageCount: doc.pageCount,
        ocrUri: `${ocrRef.bucket}/${ocrRef.name}`,
        timings: { ...current.timings, ocr: ms },
      },
      { revision: current.revision },
    );
    if (done.status !== 'OCR_DONE') {
      log.info('ocr result not recorded: the invoice moved on meanwhile', { status: done.status });
      return { invoiceId };
    }
    await deps.bus.publish(Topics.ocrCompleted, ocrCompletedOf(done, ctx.traceparent), { orderingKey: invoiceId });
    log.info('ocr done', { pages: doc.pageCount, engine: doc.engineName, cached, ms, bytes: bytes.length });
    return { invoiceId };
  });
}

async function recognizeWithCache(
  deps: PipelineDeps,
  bytes: Uint8Array,
  event: ObjectFinalized,
  ref: BlobRef,
): Promise<{ doc: SerializedOcrDocument; cached: boolean }> {
  if (deps.config.ocr.cacheByContentHash) {
    const cached = await readCached(deps, ref);
    // Already stored: nothing to write, so no JSON is needed.
    if (cached) return { doc: summarize(cached, ''), cached: true };
  }
  const { maxBytes, maxPages, timeoutMs, languages } = deps.config.ocr;
  const input = { bytes, fileName: event.name, declaredContentType: event.contentType };
  const limits = { maxBytes, maxPages, timeoutMs, languages };
  // The engine is a typed port inside this process (the Document AI adapter validates its own input):
  // the document is validated where it crosses a boundary again, when the features stage reads it back.
  const doc = await recognizeUpload(deps.ocr, input, limits);
  await deps.blobs.write(ref, doc.json, { contentType: 'application/json' });
  return { doc, cached: false };
}

/**
 * The bytes of exactly the generation the event names: an overwrite cannot change what this invoice is, and a
 * generation that is gone (deleted, or overwritten in a bucket without versioning) can never be read again.
 */
async function readUpload(deps: PipelineDeps, event: ObjectFinalized): Promise<Uint8Array> {
  try {
    return await deps.blobs.read({ bucket: event.bucket, name: event.name, generation: event.generation });
  } catch (err) {
    if (!(err instanceof BlobNotFoundError)) throw err;
    throw new PermanentError(RejectReason.OBJECT_GONE, 'the uploaded object no longer exists in this generation');
  }
}

function summarize(doc: OcrDocument, json = JSON.stringify(doc)): SerializedOcrDocument {
  return { json, pageCount: doc.pages.length, mimeType: doc.mimeType, engineName: doc.engine.name };
}

/** A cached OCR document, or null when there is none or it no longer matches the schema (then OCR again). */
async function readCached(deps: PipelineDeps, ref: BlobRef): Promise<OcrDocument | null> {
  try {
    const parsed = OcrDocumentSchema.safeParse(JSON.parse(new TextDecoder().decode(await deps.blobs.read(ref))));
    return parsed.success ? parsed.data : null;
  } catch (err) {
    if (err instanceof BlobNotFoundError) return null;
    throw err;
  }
}

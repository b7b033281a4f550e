import { PermanentError } from '../errors.js';
import { once } from '../idempotency.js';
import { Topics, type ObjectFinalized } from '../messages.js';
import { OcrDocumentSchema, type OcrDocument } from '../ocr-document.js';
import type { BlobRef } from '../messages.js';
import type { PipelineDeps, StageContext, StageOutcome } from './deps.js';
import { elapsedMs } from './deps.js';
import { invoiceIdFor, sha256Hex } from './invoice-id.js';
import { rejectInvoice } from './reject.js';

export function ocrArtifactRef(deps: PipelineDeps, invoiceId: string): BlobRef {
  return { bucket: deps.config.buckets.artifacts, name: `ocr/${invoiceId}.json` };
}

function ocrCacheRef(deps: PipelineDeps, sha256: string): BlobRef {
  return { bucket: deps.config.buckets.artifacts, name: `ocr-cache/${deps.ocr.name}/${sha256}.json` };
}

/**
 * Stage 1, on a finalized inbox object: read the file, OCR it (or reuse the OCR of identical bytes), store the
 * normalized OCR document, move the invoice to OCR_DONE and publish `ocr-completed`.
 *
 * Idempotent per `bucket/name#generation` (the invoice id): redeliveries create no second record and no second
 * message once the first run completed. Unreadable input ends REJECTED with its reason code (acked); anything
 * else throws so that the event is redelivered.
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
    source: { bucket: event.bucket, name: event.name, generation: event.generation },
    fileName: event.name.split('/').pop() ?? event.name,
    mimeType: event.contentType,
    sizeBytes: event.size,
    timings: {},
    createdAt: now,
    updatedAt: now,
  });
  if (record.status === 'REJECTED') return { outcome: 'duplicate', invoiceId };

  try {
    const run = await once(
      deps.idempotency,
      `ocr:${invoiceId}`,
      async () => {
        const start = performance.now();
        const bytes = await deps.blobs.read({ bucket: event.bucket, name: event.name });
        const contentSha256 = sha256Hex(bytes);
        const { doc, cached } = await recognizeWithCache(deps, bytes, event, contentSha256);
        const ocrRef = ocrArtifactRef(deps, invoiceId);
        await deps.blobs.write(ocrRef, JSON.stringify(doc), { contentType: 'application/json' });
        const ms = elapsedMs(start);
        await store.transition(invoiceId, 'OCR_DONE', {
          contentSha256,
          mimeType: doc.mimeType,
          pageCount: doc.pages.length,
          ocrUri: `${ocrRef.bucket}/${ocrRef.name}`,
          timings: { ...record.timings, ocr: ms },
        });
        await deps.bus.publish(
          Topics.ocrCompleted,
          {
            schemaVersion: 1,
            invoiceId,
            traceparent: ctx.traceparent,
            source: { bucket: event.bucket, name: event.name, generation: event.generation },
            contentSha256,
            mimeType: doc.mimeType,
            ocr: ocrRef,
            pageCount: doc.pages.length,
          },
          { orderingKey: invoiceId },
        );
        log.info('ocr done', { pages: doc.pages.length, engine: doc.engine.name, cached, ms, bytes: bytes.length });
        return { invoiceId };
      },
      { ttlMs: config.idempotencyTtlMs, clock },
    );
    return { outcome: run.ran ? 'done' : 'duplicate', invoiceId };
  } catch (err) {
    if (err instanceof PermanentError) return rejectInvoice(store, invoiceId, err, log);
    throw err;
  }
}

async function recognizeWithCache(
  deps: PipelineDeps,
  bytes: Uint8Array,
  event: ObjectFinalized,
  contentSha256: string,
): Promise<{ doc: OcrDocument; cached: boolean }> {
  const cacheRef = ocrCacheRef(deps, contentSha256);
  const useCache = deps.config.ocr.cacheByContentHash;
  if (useCache && (await deps.blobs.stat(cacheRef))) {
    const parsed = OcrDocumentSchema.safeParse(JSON.parse(new TextDecoder().decode(await deps.blobs.read(cacheRef))));
    if (parsed.success) return { doc: parsed.data, cached: true };
  }
  const { maxBytes, maxPages, timeoutMs, languages } = deps.config.ocr;
  // The engine is a typed port inside this process (the Document AI adapter validates its own input):
  // the document is validated where it crosses a boundary again, when the features stage reads it back.
  const doc = await deps.ocr.recognize(
    { bytes, fileName: event.name, declaredContentType: event.contentType },
    { maxBytes, maxPages, timeoutMs, languages },
  );
  if (useCache) await deps.blobs.write(cacheRef, JSON.stringify(doc), { contentType: 'application/json' });
  return { doc, cached: false };
}

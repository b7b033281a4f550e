/**
 * {@link OcrEngine} on Google Document AI (Invoice Parser): online processing up to the online limits,
 * batch processing through Cloud Storage beyond them, quota errors retried with backoff, call rate governed,
 * pages counted per month.
 */
import { randomUUID } from 'node:crypto';
import type { protos } from '@google-cloud/documentai';
import { z } from 'zod';
import { PermanentError, RejectReason, RetryableError } from '../../core/errors.js';
import type { OcrDocument } from '../../core/ocr-document.js';
import type { BlobStore, Clock, Logger, OcrEngine, OcrInput, OcrLimits } from '../../core/ports.js';
import { camelizeKeys, documentAiToOcrDocument } from './docai-mapping.js';
import { countPages, sniffMimeType, type DocumentAiMimeType } from './documentai-input.js';
import { createRateGovernor, type RateGovernor } from './rate-governor.js';
import type { UsageCounter } from './usage-counter.js';

type IProcessRequest = protos.google.cloud.documentai.v1.IProcessRequest;
type IProcessResponse = protos.google.cloud.documentai.v1.IProcessResponse;
type IBatchProcessRequest = protos.google.cloud.documentai.v1.IBatchProcessRequest;
type IBatchProcessResponse = protos.google.cloud.documentai.v1.IBatchProcessResponse;
type IBatchProcessMetadata = protos.google.cloud.documentai.v1.IBatchProcessMetadata;
/** The subset of gax call options the engine sets. */
interface CallOptions {
  timeout?: number;
}

/**
 * The two calls the engine makes, shaped like `DocumentProcessorServiceClient` (which satisfies it); a
 * structural type so that tests can pass a fake fed with saved real responses (there is no emulator).
 */
export interface DocumentAiClientLike {
  processDocument(request: IProcessRequest, options?: CallOptions): Promise<[IProcessResponse, ...unknown[]]>;
  batchProcessDocuments(
    request: IBatchProcessRequest,
    options?: CallOptions,
  ): Promise<[{ promise(): Promise<[IBatchProcessResponse, (IBatchProcessMetadata | undefined)?, ...unknown[]]> }, ...unknown[]]>;
}

/** Service limits of the Invoice Parser (NOTES.md "Document AI"). */
export const DOCUMENT_AI_LIMITS = {
  onlinePages: 15,
  onlineImagelessPages: 30,
  onlineBytes: 40 * 1024 * 1024,
  batchPages: 200,
  batchBytes: 1024 * 1024 * 1024,
  /** Files per batch request (a system limit). */
  batchFiles: 5000,
  /** Pages in active processing per project (a quota); batch requests in flight per project: 5. */
  pagesInFlight: 10_000,
  batchRequestsInFlight: 5,
} as const;

export interface DocumentAiBatchOptions {
  /** Cloud Storage access (the GCS BlobStore) for batch input and output. */
  store: BlobStore;
  bucket: string;
  /** Folder for batch input files and output shards; default `docai-batch/`. */
  prefix?: string;
  /** Longest wait for a batch operation; default 8 minutes (event functions stop at 9). */
  timeoutMs?: number;
}

export interface DocumentAiEngineOptions {
  /** Full processor version name, pinned: `projects/P/locations/L/processors/ID/processorVersions/V`. */
  processorVersion: string;
  /** Online requests in imageless mode (no page images in the response; 30 pages instead of 15). */
  imageless?: boolean;
  /** Batch processing for files beyond the online limits; without it such files are rejected. */
  batch?: DocumentAiBatchOptions;
  /** Shared per instance; default a governor of 600 requests per minute. */
  governor?: RateGovernor;
  usage?: UsageCounter;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  clock?: Clock;
  logger?: Logger;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const ProcessorVersionSchema = z
  .string()
  .regex(/^projects\/[^/]+\/locations\/[^/]+\/processors\/[^/]+\/processorVersions\/[^/]+$/, 'a pinned processor version name');

/** gRPC codes; the REST fallback reports HTTP 429 for quota instead. */
const Code = { CANCELLED: 1, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14 } as const;
const RETRIED = new Set<number>([Code.RESOURCE_EXHAUSTED, Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED, 429]);

const codeOf = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** gRPC reports an oversized response as RESOURCE_EXHAUSTED; retrying the same call cannot help. */
const isOversizedResponse = (err: unknown) => /larger than max/i.test(messageOf(err));

/** A RejectReason for an INVALID_ARGUMENT about the file (Document AI says why only in the message). */
export function rejectReasonFor(message: string, mimeType: DocumentAiMimeType): RejectReason {
  if (/password/i.test(message)) return RejectReason.PDF_PASSWORD_PROTECTED;
  if (/encrypt/i.test(message)) return RejectReason.PDF_ENCRYPTED;
  if (/page/i.test(message) && /(limit|exceed|too many)/i.test(message)) return RejectReason.TOO_MANY_PAGES;
  if (/(size|too large|bytes)/i.test(message)) return RejectReason.FILE_TOO_LARGE;
  if (/(unsupported|mime)/i.test(message)) return RejectReason.UNSUPPORTED_TYPE;
  return mimeType === 'application/pdf' ? RejectReason.PDF_CORRUPT : RejectReason.IMAGE_CORRUPT;
}

const BatchDocumentSchema = z.looseObject({
  text: z.string().default(''),
  pages: z.array(z.unknown()).default([]),
  entities: z.array(z.unknown()).default([]),
  shardInfo: z
    .object({
      shardIndex: z.coerce.number().int().nonnegative().default(0),
      shardCount: z.coerce.number().int().nonnegative().optional(),
      textOffset: z.coerce.number().int().nonnegative().optional(),
    })
    .optional(),
});
type Shard = z.infer<typeof BatchDocumentSchema> & { order: number };

/** Shifts every text anchor in `value` by `offset` characters (shard-relative -> document-global). */
function shiftTextAnchors(value: unknown, offset: number): unknown {
  if (Array.isArray(value)) return value.map((v) => shiftTextAnchors(v, offset));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'textSegments' && Array.isArray(v)) {
      out[key] = v.map((segment: Record<string, unknown>) => ({
        ...segment,
        startIndex: Number(segment['startIndex'] ?? 0) + offset,
        endIndex: Number(segment['endIndex'] ?? 0) + offset,
      }));
    } else {
      out[key] = shiftTextAnchors(v, offset);
    }
  }
  return out;
}

/**
 * Merges the JSON shards of one batch output into one Document: shards in `shardIndex` order (the file
 * name's trailing number when absent), text concatenated, pages and entities appended with their text
 * anchors moved by the shard's `textOffset` (or the text length before it when absent).
 * @throws Error when a shard is missing from the sequence.
 */
export function mergeDocumentShards(shards: ReadonlyArray<{ name: string; json: unknown }>): Record<string, unknown> {
  const parsed: Shard[] = shards.map(({ name, json }) => {
    const doc = BatchDocumentSchema.parse(camelizeKeys(json));
    const suffix = /-(\d+)\.json$/.exec(name);
    return { ...doc, order: doc.shardInfo?.shardIndex ?? (suffix ? Number(suffix[1]) : 0) };
  });
  parsed.sort((a, b) => a.order - b.order);
  const count = parsed[0]?.shardInfo?.shardCount;
  if (parsed.length === 0 || (count !== undefined && count > 0 && count !== parsed.length)) {
    throw new Error(`batch output has ${parsed.length} shards, expected ${count ?? 'at least 1'}`);
  }
  let text = '';
  const pages: unknown[] = [];
  const entities: unknown[] = [];
  for (const shard of parsed) {
    const offset = shard.shardInfo?.textOffset ?? text.length;
    text += shard.text;
    pages.push(...(shiftTextAnchors(shard.pages, offset) as unknown[]));
    entities.push(...(shiftTextAnchors(shard.entities, offset) as unknown[]));
  }
  const { order: _o, shardInfo: _s, ...first } = parsed[0]!;
  return { ...first, text, pages, entities };
}

export const parseGcsUri = (uri: string) => {
  const m = /^gs:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error(`not a gs:// URI: ${uri}`);
  return { bucket: m[1]!, name: m[2]! };
};

/**
 * What the engine checks before any call, online or batch: the file's real type, its size and pages against
 * `limits` and Document AI's batch limits.
 * @throws PermanentError FILE_EMPTY / UNSUPPORTED_TYPE / FILE_TOO_LARGE / TOO_MANY_PAGES / PDF_* / IMAGE_CORRUPT.
 */
export async function screenDocumentAiInput(bytes: Uint8Array, limits: Pick<OcrLimits, 'maxBytes' | 'maxPages'>): Promise<{ mimeType: DocumentAiMimeType; pages: number }> {
  const size = bytes.byteLength;
  if (size === 0) throw new PermanentError(RejectReason.FILE_EMPTY, 'the file is empty');
  const mimeType = sniffMimeType(bytes);
  if (!mimeType) throw new PermanentError(RejectReason.UNSUPPORTED_TYPE, 'not a PDF or an image Document AI reads');
  if (size > Math.min(limits.maxBytes, DOCUMENT_AI_LIMITS.batchBytes)) {
    throw new PermanentError(RejectReason.FILE_TOO_LARGE, 'the file is larger than allowed', { size });
  }
  const pages = await countPages(bytes, mimeType);
  if (pages > Math.min(limits.maxPages, DOCUMENT_AI_LIMITS.batchPages)) {
    throw new PermanentError(RejectReason.TOO_MANY_PAGES, 'the file has more pages than allowed', { pages });
  }
  return { mimeType, pages };
}

/**
 * Creates the Document AI {@link OcrEngine}. `recognize`:
 * - rejects (PermanentError) empty, unsupported, encrypted or unreadable files and files beyond
 *   `limits.maxBytes` / `limits.maxPages` or the batch limits, with a RejectReason code;
 * - sends files within the online limits (15 pages, 30 imageless; 40 MB) to `processDocument`, larger ones
 *   through batch processing (input and output in Cloud Storage, output shards merged in order);
 * - waits for the rate governor before every request (retries included);
 * - retries RESOURCE_EXHAUSTED / UNAVAILABLE / DEADLINE_EXCEEDED / HTTP 429 with exponential backoff and full
 *   jitter, then throws RetryableError; an INVALID_ARGUMENT becomes PermanentError; any other gRPC status is a
 *   RetryableError `DOCAI_<code>` at once (the delivery is retried);
 * - maps the Document with {@link documentAiToOcrDocument} and adds its pages to the usage counter.
 * @throws ZodError (at creation) when `processorVersion` is not a full, pinned version name.
 */
export function createDocumentAiEngine(client: DocumentAiClientLike, options: DocumentAiEngineOptions): OcrEngine {
  const processorVersion = ProcessorVersionSchema.parse(options.processorVersion);
  const governor = options.governor ?? createRateGovernor();
  const clock = options.clock ?? { now: () => new Date() };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const maxAttempts = Math.max(1, options.retry?.maxAttempts ?? 5);
  const baseDelayMs = options.retry?.baseDelayMs ?? 1_000;
  const maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
  const onlinePages = options.imageless ? DOCUMENT_AI_LIMITS.onlineImagelessPages : DOCUMENT_AI_LIMITS.onlinePages;

  /** One governed call with retries; INVALID_ARGUMENT -> PermanentError, exhausted transient -> RetryableError. */
  async function call<T>(what: string, mimeType: DocumentAiMimeType, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await governor.acquire();
      try {
        return await fn();
      } catch (err) {
        const code = codeOf(err);
        if (code === Code.INVALID_ARGUMENT) {
          const reason = rejectReasonFor(messageOf(err), mimeType);
          throw new PermanentError(reason, `Document AI refused the file (${what})`, { grpcCode: code });
        }
        if (code === undefined || isOversizedResponse(err)) throw err;
        // Any other status (INTERNAL, UNKNOWN, ...): not retried here, but named, so that a dead letter says
        // what Document AI answered; the delivery is retried by Pub/Sub.
        if (!RETRIED.has(code)) throw new RetryableError(`DOCAI_${code}`, `${what} failed: ${messageOf(err)}`);
        if (attempt >= maxAttempts) {
          throw new RetryableError(`DOCAI_${code === 429 ? 'RESOURCE_EXHAUSTED' : code}`, `${what} still failing after ${attempt} attempts: ${messageOf(err)}`);
        }
        const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        options.logger?.warn('document ai call retried', { what, attempt, grpcCode: code });
        await sleep(Math.round(random() * delay));
      }
    }
  }

  async function online(input: OcrInput, mimeType: DocumentAiMimeType, timeoutMs: number): Promise<unknown> {
    const [response] = await call('processDocument', mimeType, () =>
      client.processDocument(
        {
          name: processorVersion,
          rawDocument: { content: input.bytes, mimeType },
          skipHumanReview: true,
          ...(options.imageless ? { imagelessMode: true } : {}),
        },
        { timeout: timeoutMs },
      ),
    );
    if (!response.document) throw new RetryableError('DOCAI_EMPTY_RESPONSE', 'processDocument returned no document');
    return response.document;
  }

  async function batch(input: OcrInput, mimeType: DocumentAiMimeType, cfg: DocumentAiBatchOptions): Promise<unknown> {
    const run = randomUUID();
    const prefix = `${(cfg.prefix ?? 'docai-batch/').replace(/\/?$/, '/')}${run}/`;
    const inputRef = { bucket: cfg.bucket, name: `${prefix}input/${input.fileName.replace(/[^\w.-]+/g, '_') || 'document'}` };
    const outputPrefix = `${prefix}output/`;
    await cfg.store.write(inputRef, input.bytes, { contentType: mimeType, ifGenerationMatch: '0' });
    try {
      const [operation] = await call('batchProcessDocuments', mimeType, () =>
        client.batchProcessDocuments({
          name: processorVersion,
          inputDocuments: { gcsDocuments: { documents: [{ gcsUri: `gs://${inputRef.bucket}/${inputRef.name}`, mimeType }] } },
          documentOutputConfig: { gcsOutputConfig: { gcsUri: `gs://${cfg.bucket}/${outputPrefix}` } },
          skipHumanReview: true,
        }),
      );
      const timeoutMs = cfg.timeoutMs ?? 8 * 60_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RetryableError('DOCAI_BATCH_TIMEOUT', `batch not done after ${timeoutMs} ms`)), timeoutMs);
      });
      let metadata: IBatchProcessMetadata | undefined;
      try {
        [, metadata] = await Promise.race([operation.promise(), timeout]);
      } catch (err) {
        if (codeOf(err) === Code.INVALID_ARGUMENT) {
          throw new PermanentError(rejectReasonFor(messageOf(err), mimeType), 'Document AI refused the file (batch)');
        }
        throw err;
      } finally {
        clearTimeout(timer);
      }
      const status = metadata?.individualProcessStatuses?.[0];
      if (status?.status?.code) {
        const code = status.status.code;
        if (code === Code.INVALID_ARGUMENT) {
          throw new PermanentError(rejectReasonFor(status.status.message ?? '', mimeType), 'Document AI refused the file (batch)');
        }
        throw new RetryableError(`DOCAI_${code}`, `batch processing failed: ${status.status.message ?? ''}`);
      }
      const out = status?.outputGcsDestination ? parseGcsUri(status.outputGcsDestination) : { bucket: cfg.bucket, name: outputPrefix };
      const shardStats = (await cfg.store.list(out.bucket, out.name.replace(/\/?$/, '/'))).filter((s) => s.name.endsWith('.json'));
      if (shardStats.length === 0) throw new RetryableError('DOCAI_BATCH_NO_OUTPUT', 'batch processing wrote no output');
      const shards = await Promise.all(
        shardStats.map(async (s) => ({
          name: s.name,
          json: JSON.parse(new TextDecoder().decode(await cfg.store.read({ bucket: s.bucket, name: s.name }))) as unknown,
        })),
      );
      const merged = mergeDocumentShards(shards);
      // Leftover shards cost storage only: the result is not held back for them, and the warning names the prefix.
      await Promise.all(shardStats.map((s) => cfg.store.delete({ bucket: s.bucket, name: s.name }))).catch((err: unknown) => {
        options.logger?.warn('document ai output shards not deleted', { prefix: out.name, error: messageOf(err) });
      });
      return merged;
    } finally {
      await cfg.store.delete(inputRef).catch((err: unknown) => {
        options.logger?.warn('document ai batch input not deleted', { name: inputRef.name, error: messageOf(err) });
      });
    }
  }

  return {
    name: 'documentai',
    async recognize(input: OcrInput, limits: OcrLimits): Promise<OcrDocument> {
      const size = input.bytes.byteLength;
      const { mimeType, pages } = await screenDocumentAiInput(input.bytes, limits);
      const fitsOnline = pages <= onlinePages && size <= DOCUMENT_AI_LIMITS.onlineBytes;
      if (!fitsOnline && !options.batch) {
        throw new PermanentError(
          pages > onlinePages ? RejectReason.TOO_MANY_PAGES : RejectReason.FILE_TOO_LARGE,
          'beyond the online limits and batch processing is not configured',
          { pages, size },
        );
      }
      const started = Date.now();
      let document: unknown;
      if (fitsOnline) {
        try {
          document = await online(input, mimeType, limits.timeoutMs);
        } catch (err) {
          // An oversized response is only fixed by taking the output through Cloud Storage.
          if (!isOversizedResponse(err) || !options.batch) {
            if (isOversizedResponse(err)) throw new RetryableError('DOCAI_RESPONSE_TOO_LARGE', messageOf(err));
            throw err;
          }
          document = await batch(input, mimeType, options.batch);
        }
      } else {
        document = await batch(input, mimeType, options.batch!);
      }
      const ocr = documentAiToOcrDocument(document, { processorVersion, elapsedMs: Date.now() - started });
      if (options.usage) {
        // Counting is for cost reports: a failed increment must not fail (and re-bill) the document.
        await options.usage.addPages(ocr.pages.length, clock.now()).catch((err: unknown) => {
          options.logger?.warn('usage counter increment failed', { error: messageOf(err) });
        });
      }
      options.logger?.debug('document ai done', { pages: ocr.pages.length, mode: fitsOnline ? 'online' : 'batch' });
      return ocr;
    },
  };
}

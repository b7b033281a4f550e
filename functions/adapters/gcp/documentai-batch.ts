/**
 * Document AI batch processing for the `docai-backlog` job ({@link OcrBatchService}): many files per request,
 * input and output in a working prefix of Cloud Storage, the operation polled by name (so that a job that
 * died after submitting polls the same operation when it resumes).
 *
 * Layout under `<prefix><group>/`: `in/<sha256>` (one object per distinct file), `manifest.json` (the group's
 * files: the job's checkpoint stays small), `out/<attempt>/` (the output folder of the group's n-th request).
 * Document AI writes each input's shards to `out/<attempt>/<operation id>/<input index>/<name>-<shard>.json` and
 * names that folder in the operation metadata (`individualProcessStatuses[].outputGcsDestination`), which is what
 * is read: the layout below the output folder is the service's, never guessed.
 *
 * A request whose operation name was lost (the job died before its checkpoint) is found again by its group and
 * attempt (`findSubmitted`): among the processor location's operations (`listOperations`), the one whose
 * BatchProcessMetadata names an input of the group's `in/` folder or an output under the attempt's folder; else
 * from output objects already under that folder (their first path segment is the operation id). An operation
 * created since the intent that shows no document yet is `unknown`: the job asks again later, never guesses.
 */
import type { protos } from '@google-cloud/documentai';
import { z } from 'zod';
import type { BacklogFile, BatchInputResult, BatchPoll, FoundSubmission, OcrBatchService } from '../../core/batch/docai-backlog.js';
import { PermanentError, RetryableError } from '../../core/errors.js';
import type { BlobStore, Logger } from '../../core/ports.js';
import { documentAiToOcrDocument } from './docai-mapping.js';
import { DOCUMENT_AI_LIMITS, mergeDocumentShards, parseGcsUri, rejectReasonFor, screenDocumentAiInput } from './documentai-engine.js';
import type { DocumentAiMimeType } from './documentai-input.js';
import { createRateGovernor, type RateGovernor } from './rate-governor.js';

type IBatchProcessRequest = protos.google.cloud.documentai.v1.IBatchProcessRequest;
type IBatchProcessMetadata = protos.google.cloud.documentai.v1.IBatchProcessMetadata;

/**
 * The two calls made, shaped like `DocumentProcessorServiceClient` (which satisfies it): submit, and read an
 * operation by name (`checkBatchProcessDocumentsProgress` gets it and decodes its metadata).
 */
export interface DocumentAiBatchClientLike {
  batchProcessDocuments(request: IBatchProcessRequest): Promise<[{ name?: string | null }, ...unknown[]]>;
  checkBatchProcessDocumentsProgress(name: string): Promise<{
    done?: boolean | null;
    error?: { code?: number | null; message?: string | null } | null;
    /** The decoded BatchProcessMetadata (gax types it as its generic `Metadata`). */
    metadata?: unknown;
  }>;
  /** The location's long-running operations (`projects/<p>/locations/<l>`); metadata stays encoded (an Any). */
  listOperationsAsync(request: { name: string; filter: string }): AsyncIterable<{ name?: string | null; metadata?: { type_url?: string | null } | null }>;
}

export interface DocumentAiBatchServiceOptions {
  processorVersion: string;
  /** Cloud Storage (the GCS BlobStore) and the bucket of the working prefix (the Document AI agent reads and writes there). */
  store: BlobStore;
  bucket: string;
  /** Working prefix; default `docai-backlog/`. */
  prefix?: string;
  /** Shared with everything else that calls Document AI from this instance. */
  governor?: RateGovernor;
  logger?: Logger;
  retry?: { maxAttempts?: number; baseDelayMs?: number };
  sleep?: (ms: number) => Promise<void>;
}

const ManifestSchema = z.object({
  files: z.array(
    z.object({
      name: z.string(), generation: z.string(), size: z.number(), contentType: z.string().optional(), updatedAt: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/), mimeType: z.string(), pages: z.number().int().nonnegative(),
    }),
  ),
});

/** gRPC codes a submit or poll retries (quota, unavailable, deadline) and the HTTP 429 of the REST fallback. */
const RETRIED = new Set([4, 8, 14, 429]);
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** Clock skew allowed between this instance and Document AI when comparing an operation's creation time. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Reads one input's output folder: its `.json` shards merged in order (shardInfo, or the file name's
 * trailing number) into one Document. Exported for tests.
 * @throws RetryableError DOCAI_BATCH_NO_OUTPUT when the folder holds no shard.
 */
export async function readBatchOutput(store: BlobStore, outputUri: string): Promise<Record<string, unknown>> {
  const out = parseGcsUri(outputUri);
  const stats = (await store.list(out.bucket, out.name.replace(/\/?$/, '/'))).filter((s) => s.name.endsWith('.json'));
  if (stats.length === 0) throw new RetryableError('DOCAI_BATCH_NO_OUTPUT', `no output under ${out.name}`);
  const shards = await Promise.all(
    stats.map(async (s) => ({ name: s.name, json: JSON.parse(new TextDecoder().decode(await store.read({ bucket: s.bucket, name: s.name }))) as unknown })),
  );
  return mergeDocumentShards(shards);
}

/** The per-input results of a finished operation's metadata, keyed by the input's content hash (its object name). */
export function inputResults(metadata: IBatchProcessMetadata | null | undefined): BatchInputResult[] {
  const results: BatchInputResult[] = [];
  for (const s of metadata?.individualProcessStatuses ?? []) {
    const sha256 = /\/in\/([0-9a-f]{64})$/.exec(s.inputGcsSource ?? '')?.[1];
    if (!sha256) continue;
    const code = s.status?.code ?? 0;
    if (code === 0 && s.outputGcsDestination) results.push({ sha256, ok: true, output: s.outputGcsDestination });
    else results.push({ sha256, ok: false, code: code || 13, message: s.status?.message ?? 'no output destination' });
  }
  return results;
}

export function createDocumentAiBatchService(client: DocumentAiBatchClientLike, options: DocumentAiBatchServiceOptions): OcrBatchService {
  const { store, bucket, processorVersion } = options;
  const root = (options.prefix ?? 'docai-backlog/').replace(/\/?$/, '/');
  const governor = options.governor ?? createRateGovernor();
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = options.retry?.maxAttempts ?? 5;
  const baseDelayMs = options.retry?.baseDelayMs ?? 1_000;
  const folder = (group: string) => `${root}${group}/`;
  const inputName = (group: string, sha256: string) => `${folder(group)}in/${sha256}`;
  const outputName = (group: string, attempt: number) => `${folder(group)}out/${attempt}/`;
  const location = /^projects\/[^/]+\/locations\/[^/]+/.exec(processorVersion)?.[0];
  /** Operation names may spell the project as its id or its number: compared by the operation id. */
  const operationId = (name: string) => name.split('/').pop() ?? name;

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await governor.acquire();
      try {
        return await fn();
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'number' || !RETRIED.has(code) || attempt >= maxAttempts) {
          throw typeof code === 'number' ? new RetryableError(`DOCAI_${code}`, `${what} failed: ${messageOf(err)}`) : err;
        }
        options.logger?.warn('document ai call retried', { what, attempt, grpcCode: code });
        await sleep(Math.round(Math.random() * baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  const removeAll = async (prefix: string) => {
    const objects = await store.list(bucket, prefix);
    await Promise.all(objects.map((o) => store.delete({ bucket, name: o.name })));
  };

  return {
    engineName: 'documentai',
    limits: { filesPerRequest: DOCUMENT_AI_LIMITS.batchFiles, pagesPerFile: DOCUMENT_AI_LIMITS.batchPages, pagesInFlight: DOCUMENT_AI_LIMITS.pagesInFlight },
    screen: (bytes, limits) => screenDocumentAiInput(bytes, limits),
    refusal: (message, mimeType) => new PermanentError(rejectReasonFor(message, mimeType as DocumentAiMimeType), 'Document AI refused the file (batch)'),

    async stage(group, sha256, bytes, mimeType) {
      await store.write({ bucket, name: inputName(group, sha256) }, bytes, { contentType: mimeType });
    },

    async submit(group, files, attempt) {
      // The manifest first: an operation is never recorded without the list of files it answers for.
      await store.write({ bucket, name: `${folder(group)}manifest.json` }, JSON.stringify({ files }), { contentType: 'application/json' });
      const inputs = [...new Map(files.map((f) => [f.sha256, f.mimeType])).entries()];
      const [operation] = await call('batchProcessDocuments', () =>
        client.batchProcessDocuments({
          name: processorVersion,
          inputDocuments: { gcsDocuments: { documents: inputs.map(([sha256, mimeType]) => ({ gcsUri: `gs://${bucket}/${inputName(group, sha256)}`, mimeType })) } },
          documentOutputConfig: { gcsOutputConfig: { gcsUri: `gs://${bucket}/${outputName(group, attempt)}` } },
          skipHumanReview: true,
        }),
      );
      if (!operation.name) throw new RetryableError('DOCAI_NO_OPERATION', 'batchProcessDocuments returned no operation name');
      return operation.name;
    },

    async findSubmitted(group, attempt, { since, exclude }): Promise<FoundSubmission> {
      if (!location) throw new Error(`processor version ${processorVersion} names no location`);
      const skip = new Set(exclude.map(operationId));
      // Creation times are Document AI's clock, `since` ours: a few minutes of skew are allowed for.
      const after = Date.parse(since) - CLOCK_SKEW_MS;
      const inputs = `gs://${bucket}/${folder(group)}in/`;
      const outputs = `gs://${bucket}/${outputName(group, attempt)}`;
      // Batch operations of the location (the listing's metadata is encoded: each candidate is read decoded).
      const candidates: string[] = [];
      await call('listOperations', async () => {
        candidates.length = 0;
        for await (const op of client.listOperationsAsync({ name: location, filter: '' })) {
          if (op.name && !skip.has(operationId(op.name)) && (op.metadata?.type_url ?? '').endsWith('.BatchProcessMetadata')) candidates.push(op.name);
        }
      });
      let unknown = false;
      for (const name of candidates) {
        const op = await call('getOperation', () => client.checkBatchProcessDocumentsProgress(name));
        const metadata = op.metadata as IBatchProcessMetadata | null | undefined;
        const statuses = metadata?.individualProcessStatuses ?? [];
        if (statuses.some((st) => (st.outputGcsDestination ?? '').startsWith(outputs) || (st.inputGcsSource ?? '').startsWith(inputs))) return { state: 'found', operation: name };
        // Running without a document status yet, created since the intent (or at an unknown time): maybe ours.
        const created = metadata?.createTime?.seconds == null ? undefined : Number(metadata.createTime.seconds) * 1000;
        if (!op.done && statuses.length === 0 && (created === undefined || created >= after)) unknown = true;
      }
      // Not listed (or not showing its documents yet) but already writing output: the folder names the operation.
      const written = (await store.list(bucket, outputName(group, attempt)))[0];
      const id = written?.name.slice(outputName(group, attempt).length).split('/')[0];
      if (id && !skip.has(id)) return { state: 'found', operation: `${location}/operations/${id}` };
      return { state: unknown ? 'unknown' : 'absent' };
    },

    async manifest(group) {
      try {
        return ManifestSchema.parse(JSON.parse(new TextDecoder().decode(await store.read({ bucket, name: `${folder(group)}manifest.json` })))).files as BacklogFile[];
      } catch (err) {
        // Cleaned up already (a run that died after cleaning, before its checkpoint): nothing left to hand off.
        options.logger?.warn('batch manifest not readable: treated as collected', { group, error: messageOf(err) });
        return [];
      }
    },

    async poll(operation): Promise<BatchPoll> {
      const op = await call('getOperation', () => client.checkBatchProcessDocumentsProgress(operation));
      if (!op.done) return { done: false };
      const error = op.error?.code ? { code: op.error.code, message: op.error.message ?? '' } : undefined;
      return { done: true, inputs: inputResults(op.metadata as IBatchProcessMetadata | null | undefined), ...(error ? { error } : {}) };
    },

    async read(output) {
      const document = await readBatchOutput(store, output);
      return documentAiToOcrDocument(document, { processorVersion, elapsedMs: 0 });
    },

    async cleanup(group) {
      // Leftovers cost storage only (and the bucket's lifecycle rule ages them out): logged, never thrown.
      await removeAll(folder(group)).catch((err: unknown) => options.logger?.warn('document ai batch objects not deleted', { group, error: messageOf(err) }));
    },
  };
}

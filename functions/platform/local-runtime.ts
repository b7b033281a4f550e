import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Topics, ObjectFinalizedSchema, OcrCompletedSchema, FeaturesComputedSchema, type DeadLetter } from '../core/messages.js';
import type { Clock, InvoiceExtractor, Logger, ModelRegistry, OcrEngine, UsageCounter } from '../core/ports.js';
import { PipelineConfigSchema, type PipelineConfigInput } from '../core/pipeline/config.js';
import type { PipelineDeps, StageOutcome } from '../core/pipeline/deps.js';
import { invoiceIdFor } from '../core/pipeline/invoice-id.js';
import { invoiceIdOfPayload } from '../core/pipeline/dead-letter-invoice.js';
import { runOcrStage } from '../core/pipeline/ocr-stage.js';
import { runFeaturesStage } from '../core/pipeline/features-stage.js';
import { runInferenceStage } from '../core/pipeline/inference-stage.js';
import { ValidationConfigSchema, type ValidationConfigInput } from '../core/validation/index.js';
import { DecisionThresholdsSchema, type DecisionThresholdsInput } from '../core/scoring/decide.js';
import {
  createFsBlobStore, createLocalBus, InvoiceNotFoundError, openLedgerDatabase, SqliteDeadLetterStore, SqliteIdempotencyStore,
  SqliteInvoiceStore, SqliteUsageCounter, type DeadLetterStore, type FsBlobStore, type LocalBlobStat, type LocalBus, type SubscriptionOptions,
} from '../adapters/local/index.js';
import { SqliteMessageQueue } from '../adapters/local/sqlite/message-queue.js';
import type { LocalOcrEngineOptions } from '../adapters/local/ocr/index.js';
import { SqlitePredictionLog } from '../adapters/local/sqlite/prediction-log.js';
import type { PredictionLog } from '../core/learning/prediction-log.js';
import { createPooledOcrEngine, type PooledOcrEngine } from '../adapters/local/ocr/pooled-engine.js';
import { createExtractionPool } from '../adapters/local/extraction/extraction-pool.js';
import { lockDataDir } from './data-dir-lock.js';
import { defineMessageHandler, type Delivery } from './message-handler.js';
import { errorFields, silentLogger } from './logger.js';

export const LocalRuntimeOptionsSchema = z.object({
  /** Folder holding the bucket folders and the database. */
  dataDir: z.string().min(1),
  einvoice: z.boolean().default(true),
  languages: z.array(z.string()).optional(),
  /**
   * Run the pipeline (default): take the data folder's lock, resume the work a stopped process left, deliver.
   * False for commands that only read or export records: no lock, no deliveries, no OCR threads.
   */
  pipeline: z.boolean().default(true),
  /** Subscription settings of the in-process bus (Pub/Sub semantics). */
  bus: z
    .object({
      maxAttempts: z.number().int().positive().default(5),
      minBackoffMs: z.number().nonnegative().default(200),
      maxBackoffMs: z.number().nonnegative().default(10_000),
      concurrency: z.number().int().positive().default(4),
      /** Fault injection: deliver every message this many times. */
      deliveryCopies: z.number().int().positive().default(1),
      /** How long closing waits for handlers in flight; what is still running then is redelivered next time. */
      closeGraceMs: z.number().int().nonnegative().default(30_000),
    })
    .prefault({}),
});
export type LocalRuntimeOptions = z.input<typeof LocalRuntimeOptionsSchema> & {
  logger?: Logger;
  clock?: Clock;
  models?: ModelRegistry;
  ocr?: LocalOcrEngineOptions;
  /** OCR worker threads (default: one core less than the machine has). */
  ocrThreads?: number;
  /** MiB of the database read through a memory map (batch jobs: BATCH_SQLITE_MAP_MB; default off, see OpenDatabaseOptions). */
  sqliteMapMb?: number;
  /**
   * An OCR engine already started (and warming up) by the caller, so that its threads load while the rest of
   * the stack opens; the runtime owns it from then on and closes it. `ocr` and `ocrThreads` are then ignored.
   */
  ocrEngine?: PooledOcrEngine;
  pipeline?: boolean;
  pipelineConfig?: Partial<PipelineConfigInput>;
  validation?: ValidationConfigInput;
  thresholds?: DecisionThresholdsInput;
  /** Learning loop: the prediction log (default: the local database's, 180 days retention). */
  predictions?: PredictionLog;
  predictionRetentionMs?: number;
};

export const LOCAL_BUCKETS = { inbox: 'inbox', artifacts: 'artifacts' } as const;

export interface SubmittedFile {
  invoiceId: string;
  bucket: string;
  name: string;
  generation: string;
  /** True when the same name with the same content was taken in before: its existing invoice answers. */
  existing: boolean;
}

/**
 * The embedded local stack: a folder as the bucket, SQLite as the database, an in-process bus with Pub/Sub
 * semantics (durable: accepted messages are stored until handled), the offline OCR engine; the same pipeline use
 * cases as on GCP, subscribed to the local bus. Writing a file into the inbox bucket emits the finalize event,
 * exactly like Cloud Storage + Eventarc. A runtime that was stopped (Ctrl-C, kill -9) resumes on the next start:
 * the claims the dead process held are freed and its stored messages are delivered again.
 */
export interface LocalRuntime {
  readonly deps: PipelineDeps;
  readonly blobs: FsBlobStore;
  readonly bus: LocalBus;
  readonly store: SqliteInvoiceStore;
  readonly deadLetters: DeadLetterStore;
  /** Pages the OCR engine read, per month (`ledgerx usage`); documents served from the OCR cache are not counted. */
  readonly usage: UsageCounter;
  /**
   * Takes a local file into the inbox bucket under `name`; processing starts at once. The same name with the
   * same content again is the same upload (its existing invoice, nothing imported); a changed file is new work.
   */
  submitFile(path: string, name: string): Promise<SubmittedFile>;
  /** Calls `listener` whenever an invoice reaches SCORED, REJECTED or FAILED. */
  onSettled(listener: (invoiceId: string) => void): void;
  /** Tells the settle listeners about an invoice settled outside the bus (a batch job running the stages inline). */
  reportSettled(invoiceId: string): void;
  /** Extraction on worker threads for the batch jobs that run the stages inline (threads start on first use). */
  extractor: InvoiceExtractor;
  /**
   * Starts the OCR threads and loads the production models in the background, so that a command about to
   * process files does not pay for them on its first file (commands that only read records never call it).
   * `scans`: the inputs include images, so each OCR thread also starts its English tesseract worker; `pdfs`
   * false: no PDF among them, so pdfjs is not loaded ahead.
   */
  warmUp(options?: { pdfs?: boolean; scans?: boolean }): void;
  /** Resolves when every message has been handled (acked or dead-lettered). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function createLocalRuntime(options: LocalRuntimeOptions): LocalRuntime {
  const opts = LocalRuntimeOptionsSchema.parse(options);
  const log = options.logger ?? silentLogger;
  const clock = options.clock ?? { now: () => new Date() };
  mkdirSync(opts.dataDir, { recursive: true });
  const unlock = opts.pipeline ? lockDataDir(opts.dataDir) : () => undefined;

  const db = openLedgerDatabase(join(opts.dataDir, 'ledgerx.db'), { mmapMb: options.sqliteMapMb ?? 0 });
  const store = new SqliteInvoiceStore(db, clock);
  const idempotency = new SqliteIdempotencyStore(db);
  const settledListeners: Array<(id: string) => void> = [];
  const notifySettled = (id: string) => settledListeners.forEach((l) => l(id));

  // Every dead letter (a stage's invalid message, or retries exhausted) leaves the invoice FAILED, so that
  // nothing waits forever in a non-terminal state; a replay moves it forward again.
  const sqliteDeadLetters = new SqliteDeadLetterStore(db);
  const deadLetters: DeadLetterStore = {
    get: (id) => sqliteDeadLetters.get(id),
    list: (filter) => sqliteDeadLetters.list(filter),
    count: (filter) => sqliteDeadLetters.count(filter),
    markReplayed: (id, at) => sqliteDeadLetters.markReplayed(id, at),
    async record(entry: DeadLetter) {
      const invoiceId = entry.invoiceId ?? invoiceIdOfPayload(entry.payload);
      const id = await sqliteDeadLetters.record({ ...entry, invoiceId });
      if (!invoiceId) return id;
      try {
        const { applied } = await store.transition(invoiceId, 'FAILED', { rejection: { code: entry.code, message: entry.reason } });
        if (applied) notifySettled(invoiceId);
      } catch (err) {
        // The event failed before its invoice was written (e.g. an OCR outage on the first attempt): the dead
        // letter is the whole story, and a replay creates the record. Any other error makes the bus retry.
        if (!(err instanceof InvoiceNotFoundError)) throw err;
        log.warn('dead letter for an upload without a record yet', { invoiceId, reasonCode: entry.code });
      }
      return id;
    },
  };

  const bus = createLocalBus({
    deadLetters, queue: new SqliteMessageQueue(db), clock, logger: log, deliveryCopies: opts.bus.deliveryCopies, closeGraceMs: opts.bus.closeGraceMs,
  });
  const publishFinalized = (stat: LocalBlobStat) =>
    bus.publish(Topics.objectFinalized, {
      bucket: stat.bucket,
      name: stat.name,
      generation: stat.generation,
      size: stat.size,
      contentType: stat.contentType,
      timeCreated: stat.updatedAt,
    });
  const blobs = createFsBlobStore(join(opts.dataDir, 'buckets'), {
    onFinalize: async (stat) => {
      if (stat.bucket === LOCAL_BUCKETS.inbox) await publishFinalized(stat);
    },
  });
  const ocr = options.ocrEngine ?? createPooledOcrEngine({ threads: options.ocrThreads, engine: options.ocr });
  const extractor = createExtractionPool();
  const usage = new SqliteUsageCounter(db);
  const config = PipelineConfigSchema.parse({
    buckets: LOCAL_BUCKETS,
    einvoice: opts.einvoice,
    ...options.pipelineConfig,
    ocr: { ...(opts.languages ? { languages: opts.languages } : {}), ...options.pipelineConfig?.ocr },
  });
  const deps: PipelineDeps = {
    blobs, bus, store, idempotency, clock, config,
    ocr: countingPages(ocr, usage, clock, log),
    models: options.models ?? { loadProduction: async () => null },
    validation: ValidationConfigSchema.parse(options.validation ?? {}),
    thresholds: DecisionThresholdsSchema.parse(options.thresholds ?? {}),
    predictions: options.predictions ?? new SqlitePredictionLog(db, { retentionMs: options.predictionRetentionMs }),
  };

  if (opts.pipeline) {
    // This process holds the folder's lock: a claim still open belongs to a process that died mid-run. Free
    // them before subscribing, or the resumed messages would wait for those claims to expire.
    const freed = idempotency.releaseAbandoned();
    if (freed > 0) log.info('freed the claims of a stopped run', { claims: freed });
    subscribeStages();
  }

  function subscribeStages(): void {
    const subscription: Partial<SubscriptionOptions> = {
      maxAttempts: opts.bus.maxAttempts,
      minBackoffMs: opts.bus.minBackoffMs,
      maxBackoffMs: opts.bus.maxBackoffMs,
      concurrency: opts.bus.concurrency,
    };
    const common = { bus, log, maxEventAgeMs: config.maxEventAgeMs, now: () => clock.now() };
    // A stage's outcome says whether the invoice reached a terminal state: no extra read per delivery.
    const settle = (outcome: StageOutcome | { outcome: 'dead-lettered' }, lastStage: boolean) => {
      if (outcome.outcome === 'rejected' || (lastStage && outcome.outcome === 'done')) notifySettled(outcome.invoiceId);
    };
    const wire = <H extends (payload: unknown, delivery: Delivery) => Promise<StageOutcome | { outcome: 'dead-lettered'; code: string }>>(
      topic: (typeof Topics)[keyof typeof Topics],
      name: string,
      handler: H,
      lastStage = false,
    ) =>
      bus.subscribe(topic, name, async (message, ctx) => {
        settle(
          await handler(message, {
            topic,
            subscription: name,
            attempt: ctx.deliveryAttempt,
            publishedAt: ctx.publishTime,
            attributes: ctx.attributes,
          }),
          lastStage,
        );
      }, subscription);

    wire(Topics.objectFinalized, 'ocr', defineMessageHandler({ ...common, name: 'ocr', schema: ObjectFinalizedSchema, run: (m, c) => runOcrStage(deps, m, c) }));
    wire(Topics.ocrCompleted, 'features', defineMessageHandler({ ...common, name: 'features', schema: OcrCompletedSchema, run: (m, c) => runFeaturesStage(deps, m, c) }));
    wire(Topics.featuresComputed, 'inference', defineMessageHandler({ ...common, name: 'inference', schema: FeaturesComputedSchema, run: (m, c) => runInferenceStage(deps, m, c) }), true);
  }

  return {
    deps, blobs, bus, store, deadLetters, usage,
    async submitFile(path, name) {
      const bytes = new Uint8Array(readFileSync(path));
      const contentSha256 = sha256(bytes);
      const ref = { bucket: LOCAL_BUCKETS.inbox, name };
      const current = await blobs.stat(ref);
      const sameContent = current && (current.metadata['sha256'] ?? sha256(await blobs.read(ref))) === contentSha256;
      if (current && sameContent) {
        const invoiceId = invoiceIdFor(current.bucket, current.name, current.generation);
        // Taken in before, but its finalize event may never have been published (a stop right after the copy):
        // publish it again. The OCR stage is idempotent per upload, so a second event changes nothing.
        if (!(await store.get(invoiceId))) await publishFinalized(current);
        return { invoiceId, bucket: current.bucket, name: current.name, generation: current.generation, existing: true };
      }
      const stat = await blobs.write(ref, bytes, { metadata: { sha256: contentSha256 } });
      return { invoiceId: invoiceIdFor(stat.bucket, stat.name, stat.generation), bucket: stat.bucket, name: stat.name, generation: stat.generation, existing: false };
    },
    onSettled(listener) {
      settledListeners.push(listener);
    },
    reportSettled: notifySettled,
    extractor,
    warmUp(warmOptions) {
      ocr.warmUp(warmOptions);
      // A failure here is reported where it matters: the inference stage loads the models again and fails there.
      deps.models.loadProduction().catch((err: unknown) => log.warn('model warm-up failed', errorFields(err)));
    },
    drain: () => bus.drain(),
    async close() {
      try {
        await bus.close();
        await Promise.all([ocr.close(), extractor.close()]);
        db.close();
      } finally {
        unlock();
      }
    },
  };
}

/**
 * The engine with every document it reads counted in `usage` (pages per month, as Document AI bills them on
 * GCP). Counting is for reports: a failed increment is logged and never fails the document.
 */
function countingPages(engine: OcrEngine, usage: UsageCounter, clock: Clock, log: Logger): OcrEngine {
  const count = (pages: number) =>
    usage.addPages(pages, clock.now()).catch((err: unknown) => log.warn('usage counter increment failed', errorFields(err)));
  return {
    name: engine.name,
    readsAttachments: engine.readsAttachments,
    async recognize(input, limits) {
      const doc = await engine.recognize(input, limits);
      await count(doc.pages.length);
      return doc;
    },
    ...(engine.recognizeSerialized
      ? {
          recognizeSerialized: async (input, limits) => {
            const doc = await engine.recognizeSerialized!(input, limits);
            await count(doc.pageCount);
            return doc;
          },
        }
      : {}),
  };
}

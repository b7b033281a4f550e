import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { Piscina } from 'piscina';
import { PermanentError, RejectReason, RetryableError } from '../../../core/errors.js';
import type { OcrDocument } from '../../../core/ocr-document.js';
import type { OcrInput, OcrLimits, SerializedOcrDocument } from '../../../core/ports.js';
import type { LocalOcrEngine, LocalOcrEngineOptions } from './index.js';
import { defaultScanEngine } from './scan-engine.js';
import type { OcrTask, OcrTaskResult } from './ocr-worker.js';
import { workerExecArgv, workerFile } from '../worker-threads.js';
import { deserializeError } from './worker-errors.js';

/** Old-generation heap of one OCR thread; pdfjs needs ~25 MB for a typical invoice; a
 * lower cap makes V8 collect sooner (a batch's resident memory), a higher one admits heavier documents. */
const MAX_OLD_GENERATION_MB = 64;

export interface PooledOcrEngine extends LocalOcrEngine {
  /**
   * Starts the threads now (each loads pdfjs), so that the first document does not wait for them: a command
   * that is about to OCR calls it while it opens the rest of the stack. Each thread loads pdfjs (unless `pdfs`
   * is false: images only) and, with `scans`, starts its English tesseract worker (see
   * {@link LocalOcrEngine.warmUpScans}): ~70 MB per thread, so only when the inputs include images; a batch of
   * born-digital PDFs does not carry it.
   */
  warmUp(options?: { pdfs?: boolean; scans?: boolean }): void;
  /** Documents read at once now: `threads`, or `scanThreads` while the documents are scans. */
  readonly concurrency: number;
}

export interface PooledOcrEngineOptions {
  /**
   * Worker threads for born-digital documents; default: one core less than the machine has (at least 1). The
   * main thread runs the rest of the pipeline (extraction, validations, database) and needs a core of its own: on
   * 2 cores, 1 OCR thread processed 59 born-digital invoices/s in 263 MiB, 2 threads 55/s in 311 MiB (a third
   * isolate, and contention).
   */
  threads?: number;
  /**
   * Threads while the documents are scans (the last one read was recognized from its image, whatever its file
   * type: a scanner's PDF is one); default every core, at least `threads`. A scan's recognition is most of its
   * time and the main thread's part of it small, so a folder of scanned PDFs no longer leaves a core idle.
   */
  scanThreads?: number;
  engine?: LocalOcrEngineOptions;
  /** V8 young-generation size per thread (MiB); default 4. */
  maxYoungGenerationSizeMb?: number;
}

/**
 * The local OCR engine spread over worker threads (piscina). Same contract as {@link createLocalOcrEngine};
 * errors keep their PermanentError / RetryableError kind across the thread boundary.
 */
export function createPooledOcrEngine(options: PooledOcrEngineOptions = {}): PooledOcrEngine {
  // Resolved here, on the calling thread: a bad LEDGERX_SCAN_ENGINE fails the command at once, not each document.
  const engineOptions: LocalOcrEngineOptions = { ...options.engine, scanEngine: options.engine?.scanEngine ?? defaultScanEngine() };
  const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
  // Networks on several cores each (ppocrThreads) take no second thread: it would oversubscribe the cores, and
  // piscina handed a single scan to a fresh thread while the warmed one was still loading the networks (which
  // then loaded twice, 0.2 s later and on the same cores).
  const scanThreads = (engineOptions.ppocrThreads ?? 1) > 1 ? threads : Math.max(threads, options.scanThreads ?? availableParallelism());
  // Documents handed to the pool at once: piscina starts a thread only for a task no running thread can take,
  // so a born-digital batch keeps `threads` threads (and their memory) and the second appears with the scans.
  const gate = pLimit(threads);
  let pool: Piscina | undefined;
  let warm = false;
  // What each thread was already asked to load: a command may warm the engine before the runtime that owns it
  // does, and a second request must not start a second tesseract worker per thread.
  const warmed = { pdfs: false, scans: false };
  const getPool = () =>
    (pool ??= new Piscina({
      filename: ocrWorkerFile(),
      minThreads: warm ? threads : 0,
      maxThreads: scanThreads,
      // Each thread loads pdfjs (and tesseract on demand): keep threads warm for the whole batch.
      idleTimeout: 60_000,
      execArgv: workerExecArgv(ocrWorkerFile()),
      // A small young generation makes each thread collect garbage sooner: pdfjs allocates a lot of short-lived
      // objects per page, and V8's default semi-spaces let each isolate's resident memory balloon under a batch.
      resourceLimits: { maxYoungGenerationSizeMb: options.maxYoungGenerationSizeMb ?? 4, maxOldGenerationSizeMb: MAX_OLD_GENERATION_MB },
    }));
  const sendWarmUp = (warmUp: { pdfs: boolean; scans: boolean }) => {
    // One task per thread; each returns at once (the loads go on in the background of its thread), so the
    // threads are free for the first documents. Piscina may hand two of them to one thread: a thread left out
    // loads what it needs on its first document.
    for (let i = 0; i < threads; i++) {
      const task: OcrTask = { warmUp, input: { bytes: new Uint8Array(0), fileName: '' }, limits: WARM_LIMITS, engineOptions, serialized: false };
      getPool().run(task).catch(() => undefined);
    }
  };
  const run = async (input: OcrInput, limits: OcrLimits, serialized: boolean): Promise<OcrTaskResult & { ok: true }> => {
    const task: OcrTask = {
      input: { bytes: input.bytes, fileName: input.fileName, declaredContentType: input.declaredContentType },
      limits,
      engineOptions,
      serialized,
    };
    let result: OcrTaskResult;
    try {
      result = await gate(async () => (await getPool().run(task)) as OcrTaskResult);
    } catch (err) {
      // Only this document's thread died: one that needs more memory than a worker may have will never fit.
      if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new PermanentError(RejectReason.FILE_TOO_LARGE, 'document needs more memory than an OCR worker may use', {
          maxOldGenerationMb: MAX_OLD_GENERATION_MB,
        });
      }
      throw new RetryableError('OCR_WORKER_FAILED', err instanceof Error ? err.message : String(err));
    }
    if (!result.ok) throw deserializeError(result.error);
    if ('scanned' in result) gate.concurrency = result.scanned ? scanThreads : threads;
    return result;
  };
  return {
    name: 'local',
    // The engine in the worker reads a PDF's attachments with its text layer.
    readsAttachments: true,
    get concurrency() {
      return gate.concurrency;
    },
    warmUp(warmOptions = {}) {
      warm = true;
      const wanted = { pdfs: (warmOptions.pdfs ?? true) && !warmed.pdfs, scans: (warmOptions.scans ?? false) && !warmed.scans };
      warmed.pdfs ||= wanted.pdfs;
      warmed.scans ||= wanted.scans;
      // The first request always starts the threads, even with nothing to load in them.
      if (wanted.pdfs || wanted.scans || !pool) sendWarmUp(wanted);
    },
    warmUpScans() {
      if (warmed.scans) return;
      warmed.scans = true;
      sendWarmUp({ pdfs: false, scans: true });
    },
    async recognize(input: OcrInput, limits: OcrLimits): Promise<OcrDocument> {
      const result = await run(input, limits, false);
      if (!('doc' in result)) throw new Error('OCR worker returned no document');
      return result.doc;
    },
    async recognizeSerialized(input: OcrInput, limits: OcrLimits): Promise<SerializedOcrDocument> {
      const result = await run(input, limits, true);
      if (!('serialized' in result)) throw new Error('OCR worker returned no serialized document');
      return result.serialized;
    },
    async close() {
      if (!pool) return;
      const p = pool;
      pool = undefined;
      // Terminating a thread also ends the tesseract workers it started (nested workers die with it).
      await p.destroy();
    },
  };
}

const WARM_LIMITS: OcrLimits = { maxPages: 1, maxBytes: 1, timeoutMs: 1, languages: ['eng'] };

/** The compiled worker in dist/, or the TypeScript source when running from a clone through tsx. */
const ocrWorkerFile = () => workerFile(new URL('./ocr-worker.js', import.meta.url), new URL('./ocr-worker.ts', import.meta.url));

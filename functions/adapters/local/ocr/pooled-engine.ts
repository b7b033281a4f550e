import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { OcrDocument } from '../../../core/ocr-document.js';
import type { OcrInput, OcrLimits } from '../../../core/ports.js';
import type { LocalOcrEngine, LocalOcrEngineOptions } from './index.js';
import type { OcrTask, OcrTaskResult } from './ocr-worker.js';
import { deserializeError } from './worker-errors.js';

export interface PooledOcrEngineOptions {
  /** Worker threads; default: the number of cores (pdfjs and tesseract are CPU-bound and single-threaded). */
  threads?: number;
  engine?: LocalOcrEngineOptions;
  /** V8 young-generation size per thread (MiB); default 8. */
  maxYoungGenerationSizeMb?: number;
}

/**
 * The local OCR engine spread over worker threads (piscina). Same contract as {@link createLocalOcrEngine};
 * errors keep their PermanentError / RetryableError kind across the thread boundary.
 */
export function createPooledOcrEngine(options: PooledOcrEngineOptions = {}): LocalOcrEngine {
  const threads = options.threads ?? Math.max(1, availableParallelism());
  let pool: Piscina | undefined;
  const getPool = () =>
    (pool ??= new Piscina({
      filename: workerFile(),
      minThreads: 0,
      maxThreads: threads,
      // Each thread loads pdfjs (and tesseract on demand): keep threads warm for the whole batch.
      idleTimeout: 60_000,
      execArgv: workerExecArgv(),
      // A small young generation makes each thread collect garbage sooner: pdfjs allocates a lot of short-lived
      // objects per page, and V8's default semi-spaces let each isolate's resident memory balloon under a batch.
      resourceLimits: { maxYoungGenerationSizeMb: options.maxYoungGenerationSizeMb ?? 8 },
    }));
  return {
    name: 'local',
    async recognize(input: OcrInput, limits: OcrLimits): Promise<OcrDocument> {
      const task: OcrTask = {
        input: { bytes: input.bytes, fileName: input.fileName, declaredContentType: input.declaredContentType },
        limits,
        engineOptions: options.engine ?? {},
      };
      const result = (await getPool().run(task)) as OcrTaskResult;
      if (!result.ok) throw deserializeError(result.error);
      return result.doc;
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

/** The compiled worker in dist/, or the TypeScript source when running from a clone through tsx. */
function workerFile(): string {
  const js = fileURLToPath(new URL('./ocr-worker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./ocr-worker.ts', import.meta.url));
}

/** A TypeScript worker needs the tsx loader, which a test runner's own transform does not give threads. */
function workerExecArgv(): string[] {
  const inherited = process.execArgv;
  if (workerFile().endsWith('.js') || inherited.some((a) => a.includes('tsx'))) return inherited;
  return [...inherited, '--import', 'tsx'];
}

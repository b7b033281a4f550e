import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { RetryableError } from '../../../core/errors.js';
import type { Invoice } from '../../../core/invoice/invoice.js';
import type { InvoiceExtractor } from '../../../core/ports.js';
import { deserializeError } from '../ocr/worker-errors.js';
import { workerExecArgv, workerFile } from '../worker-threads.js';
import type { ExtractionResult, ExtractionTask } from './extraction-worker.js';

export interface ExtractionPool extends InvoiceExtractor {
  close(): Promise<void>;
}

/**
 * {@link InvoiceExtractor} on worker threads (piscina), started on first use. Default threads: one core less than
 * the machine has (at least 1): the main thread writes the records meanwhile. A document that does not validate
 * or an e-invoice that is refused rejects with its PermanentError, as in-process; a thread that dies rejects with a
 * RetryableError.
 */
export function createExtractionPool(options: { threads?: number } = {}): ExtractionPool {
  const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
  let pool: Piscina | undefined;
  const filename = () => workerFile(new URL('./extraction-worker.js', import.meta.url), new URL('./extraction-worker.ts', import.meta.url));
  return {
    async extract(ocrJson, { einvoice, referenceDate }): Promise<Invoice> {
      pool ??= new Piscina({
        // Started with a job's first page, ended 30 s after its last: a long-running `serve` does not keep them.
        filename: filename(), minThreads: 0, maxThreads: threads, idleTimeout: 30_000, execArgv: workerExecArgv(filename()),
        // A second task waits in the thread, which starts it as soon as the first ends instead of waiting for a
        // busy main thread to hand it over.
        concurrentTasksPerWorker: 2,
      });
      const task: ExtractionTask = { ocrJson, einvoice, referenceDate: referenceDate.getTime() };
      let result: ExtractionResult;
      try {
        result = (await pool.run(task)) as ExtractionResult;
      } catch (err) {
        throw new RetryableError('EXTRACTION_WORKER_FAILED', err instanceof Error ? err.message : String(err));
      }
      if (result.ok) return result.invoice;
      // A bug in extraction is not a worker failure (which deserializeError makes of it): it stays a plain Error.
      if (result.error.kind === 'other') throw new Error(result.error.message);
      throw deserializeError(result.error);
    },
    async close() {
      const p = pool;
      pool = undefined;
      await p?.destroy();
    },
  };
}

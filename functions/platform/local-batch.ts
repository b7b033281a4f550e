import type { InvoiceRecord } from '../core/invoice/record.js';
import { SETTLED_STATUSES } from '../core/invoice/status.js';
import type { LocalRuntime } from './local-runtime.js';
import { createProgress } from './progress.js';

export interface InputFile {
  /** Absolute path on disk. */
  path: string;
  /** Path as shown to the user (relative to the argument that found it). */
  display: string;
  /** Object name inside the inbox bucket. */
  objectName: string;
}

export interface Submission {
  file: InputFile;
  invoiceId: string;
}

export interface BatchResult extends Submission {
  record: InvoiceRecord | null;
}

export interface BatchOutcome {
  submissions: Submission[];
  /** Inputs whose invoice is not SCORED, REJECTED or FAILED when the pipeline went quiet: a system failure. */
  unsettled: Submission[];
}

export interface BatchOptions {
  progress?: boolean;
  /**
   * Give up waiting when nothing at all happened (no delivery started or ended, no invoice settled) for this
   * long; the inputs still open are reported as unsettled. Default 5 minutes: longer than any single OCR
   * (documents time out at 2 minutes), far shorter than "forever".
   */
  stallMs?: number;
}

/**
 * Drops every file into the local inbox bucket and waits until the pipeline has settled all of them
 * (SCORED, REJECTED or FAILED). One bad file never stops the batch: it ends REJECTED with its reason.
 * A file taken in before (same name and content) is answered by its existing invoice, in flight or done.
 * The wait never ends silently: it ends when the bus is idle or when nothing happened for `stallMs`, and
 * every input whose invoice did not settle is returned in `unsettled`.
 */
export async function submitBatch(runtime: LocalRuntime, files: readonly InputFile[], options: BatchOptions = {}): Promise<BatchOutcome> {
  const progress = createProgress(files.length, 'processing', options.progress);
  const wanted = new Set<string>();
  const settledEarly = new Set<string>();
  let settledCount = 0;
  runtime.onSettled((id) => {
    settledCount += 1;
    if (wanted.delete(id)) progress.increment();
    else settledEarly.add(id);
  });
  const submissions: Submission[] = [];
  for (const file of files) {
    const { invoiceId, existing } = await runtime.submitFile(file.path, file.objectName);
    const already = existing && isSettled(await runtime.store.get(invoiceId));
    if (settledEarly.delete(invoiceId) || already) progress.increment();
    else wanted.add(invoiceId);
    submissions.push({ file, invoiceId });
  }
  await untilIdleOrStalled(runtime, () => settledCount, options.stallMs ?? 5 * 60_000);
  progress.stop();
  const unsettled: Submission[] = [];
  for (const s of submissions) if (!isSettled(await runtime.store.get(s.invoiceId))) unsettled.push(s);
  return { submissions, unsettled };
}

function isSettled(record: InvoiceRecord | null): boolean {
  return record !== null && SETTLED_STATUSES.has(record.status);
}

/**
 * Resolves when the bus is drained, or when neither the bus nor the settled count moved for `stallMs`. The
 * check's interval also keeps the process alive: a handler stuck on a promise that can never settle is
 * reported after `stallMs` instead of ending the process with nothing printed.
 */
async function untilIdleOrStalled(runtime: LocalRuntime, settled: () => number, stallMs: number): Promise<void> {
  const activity = () => {
    const s = runtime.bus.stats();
    return `${s.delivered}/${s.acked}/${s.nacked}/${s.deadLettered}/${settled()}`;
  };
  let last = activity();
  let quietSince = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stalled = new Promise<void>((resolve) => {
    timer = setInterval(() => {
      const now = activity();
      if (now !== last) {
        last = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= stallMs) resolve();
    }, Math.min(1_000, stallMs));
  });
  try {
    await Promise.race([runtime.drain(), stalled]);
  } finally {
    clearInterval(timer);
  }
}

/** The records of a settled batch, one at a time: a large batch is never held in memory whole. */
export async function* batchResults(runtime: LocalRuntime, submissions: readonly Submission[]): AsyncGenerator<BatchResult> {
  for (const s of submissions) yield { ...s, record: await runtime.store.get(s.invoiceId) };
}

/** {@link submitBatch} and all its records (for small batches). */
export async function runBatch(runtime: LocalRuntime, files: readonly InputFile[], options: BatchOptions = {}): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  for await (const r of batchResults(runtime, (await submitBatch(runtime, files, options)).submissions)) results.push(r);
  return results;
}

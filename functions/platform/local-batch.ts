import type { InvoiceRecord } from '../core/invoice/record.js';
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

/**
 * Drops every file into the local inbox bucket and waits until the pipeline has settled all of them
 * (SCORED, REJECTED or FAILED). One bad file never stops the batch: it ends REJECTED with its reason.
 */
export async function submitBatch(runtime: LocalRuntime, files: readonly InputFile[], options: { progress?: boolean } = {}): Promise<Submission[]> {
  const progress = createProgress(files.length, 'processing', options.progress);
  const wanted = new Set<string>();
  const settledEarly = new Set<string>();
  runtime.onSettled((id) => {
    if (wanted.delete(id)) progress.increment();
    else settledEarly.add(id);
  });
  const submitted: Submission[] = [];
  for (const file of files) {
    const { invoiceId } = await runtime.submitFile(file.path, file.objectName);
    if (settledEarly.delete(invoiceId)) progress.increment();
    else wanted.add(invoiceId);
    submitted.push({ file, invoiceId });
  }
  await runtime.drain();
  progress.stop();
  return submitted;
}

/** The records of a settled batch, one at a time: a large batch is never held in memory whole. */
export async function* batchResults(runtime: LocalRuntime, submissions: readonly Submission[]): AsyncGenerator<BatchResult> {
  for (const s of submissions) yield { ...s, record: await runtime.store.get(s.invoiceId) };
}

/** {@link submitBatch} and all its records (for small batches). */
export async function runBatch(runtime: LocalRuntime, files: readonly InputFile[], options: { progress?: boolean } = {}): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  for await (const r of batchResults(runtime, await submitBatch(runtime, files, options))) results.push(r);
  return results;
}

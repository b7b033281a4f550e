import type { PipelineDeps } from '../pipeline/deps.js';
import type { InvoiceExtractor, UsageCounter } from '../ports.js';
import type { MonitoringReaders } from './monitoring-status.js';

/** Everything the batch jobs need, passed in by the composition root (local runtime or the `batch` function). */
export interface BatchDeps {
  /** The pipeline's ports: invoice store, blobs, bus, models, clock, config (inbox bucket and prefix). */
  pipeline: PipelineDeps;
  /** Where exports and summaries are written (`<data-dir>/buckets/exports` locally). */
  exportsBucket: string;
  /** Document AI (or local OCR) pages per month. */
  usage?: UsageCounter;
  /** Pages per month the summary compares usage with, unless the job's params name one. */
  pageBudget?: number;
  /**
   * The inbox prefix the ocr function leaves to the docai-backlog job (GCP): the sweep leaves objects there that
   * have no record to that job instead of re-sending their upload events, which ocr would ignore.
   */
  backlogPrefix?: string;
  /** The monitoring stores, where monitoring is deployed: the summary says "not configured" without them. */
  monitoring?: MonitoringReaders;
  /**
   * Resolves once every listed invoice reached a settled status at (at least) its revision. Locally the job
   * waits for its chunk to settle before checkpointing (bounded work in flight, a truthful progress bar); on
   * GCP it is absent: the pipeline functions do the work behind Pub/Sub, and the job only starts it.
   */
  settled?: (targets: ReadonlyArray<{ invoiceId: string; revision: number }>) => Promise<void>;
  /**
   * Locally: the job runs the features and inference stages itself for each revision it starts (runStagesInline:
   * one record write instead of a queue round trip, an idempotency claim and a record write per stage) and reports
   * each invoice it settles here (the runtime's settle listeners: live updates, metrics). A revision whose stages
   * throw anything but a permanent error is handed to the stage functions with their retries and dead letters.
   * Absent on GCP: the job publishes each revision's message and the functions scale out behind Pub/Sub.
   */
  inlineStages?: {
    settled(invoiceId: string): void;
    /** Extracts the invoices on other threads while the job writes the records (a third of the work of a reprocess). */
    extractor?: InvoiceExtractor;
  };
  /** Called after each chunk with the job's running counts (the CLI's progress bar). */
  onProgress?: (counts: Record<string, number>, total: number | undefined) => void;
}

import type {
  BlobStore, Clock, EventBus, IdempotencyStore, InvoiceStore, Logger, ModelRegistry, OcrEngine,
} from '../ports.js';
import type { PipelineConfig } from './config.js';
import type { PredictionLog } from '../learning/prediction-log.js';
import type { ValidationConfig } from '../validation/index.js';
import type { DecisionThresholds } from '../scoring/decide.js';

/** Everything the pipeline use cases need, passed in by the composition root (no DI container). */
export interface PipelineDeps {
  blobs: BlobStore;
  bus: EventBus;
  store: InvoiceStore;
  idempotency: IdempotencyStore;
  ocr: OcrEngine;
  models: ModelRegistry;
  clock: Clock;
  config: PipelineConfig;
  validation: ValidationConfig;
  thresholds: DecisionThresholds;
  /** The prediction log (learning loop); absent = scorings are not logged. */
  predictions?: PredictionLog;
}

/** What a stage did with one delivery; the caller acks in every case (throwing is how to ask for a retry). */
export type StageOutcome =
  | { outcome: 'done'; invoiceId: string }
  | { outcome: 'duplicate'; invoiceId: string }
  | { outcome: 'rejected'; invoiceId: string; code: string }
  | { outcome: 'ignored'; reason: string };

export interface StageContext {
  log: Logger;
  /** W3C traceparent of the triggering event, forwarded to the next hop. */
  traceparent?: string | undefined;
}

export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

import { FEATURE_SCHEMA_VERSION } from '../features/schema.js';
import type { RevisionStart } from '../invoice/history.js';
import { Topics } from '../messages.js';
import type { PipelineDeps } from './deps.js';
import { featuresComputedOf } from './features-stage.js';
import { ocrCompletedOf } from './ocr-stage.js';

export type RevisionOutcome =
  | { started: true; invoiceId: string; revision: number }
  | { started: false; invoiceId: string; reason: string };

/**
 * Re-runs a settled invoice on purpose as revision n+1: `from: 'OCR_DONE'` runs features and inference again
 * from the stored OCR document (no second OCR, no Document AI cost), `from: 'FEATURES_DONE'` scores the stored
 * features again (a backfill with a newer model). The earlier result stays in the record's history, and the
 * next `invoice-scored` carries the new revision.
 *
 * Safe to call twice: the revision starts only from the revision the caller saw, so a second call for the same
 * state does nothing (`started: false`). If the process stops between the two steps, the record waits at the
 * restart status of the new revision; the sweep re-publishes such records from the record itself.
 */
export async function startRevision(
  deps: PipelineDeps,
  invoiceId: string,
  request: { from: RevisionStart; reason: string; expectedRevision?: number },
  traceparent?: string,
): Promise<RevisionOutcome> {
  const record = await deps.store.get(invoiceId);
  if (!record) return { started: false, invoiceId, reason: 'no such invoice' };
  // Stored features of an earlier schema mean something else to today's models (inference would dead-letter
  // them as FEATURE_SCHEMA_MISMATCH): they must be computed again from the stored OCR document.
  if (request.from === 'FEATURES_DONE' && record.featureSchemaVersion && record.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) {
    return { started: false, invoiceId, reason: `stored features are ${record.featureSchemaVersion}, this code computes ${FEATURE_SCHEMA_VERSION}: start from OCR_DONE` };
  }
  const result = await deps.store.startRevision(invoiceId, {
    from: request.from,
    reason: request.reason,
    expectedRevision: request.expectedRevision ?? record.revision,
  });
  if (!result.applied) return { started: false, invoiceId, reason: result.reason ?? 'not applied' };
  const next = result.record;
  if (request.from === 'OCR_DONE') await deps.bus.publish(Topics.ocrCompleted, ocrCompletedOf(next, traceparent), { orderingKey: invoiceId });
  else await deps.bus.publish(Topics.featuresComputed, featuresComputedOf(next, traceparent), { orderingKey: invoiceId });
  return { started: true, invoiceId, revision: next.revision };
}

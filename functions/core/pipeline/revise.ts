import { FEATURE_SCHEMA_VERSION } from '../features/schema.js';
import type { RevisionStart } from '../invoice/history.js';
import type { InvoiceRecord } from '../invoice/record.js';
import { Topics } from '../messages.js';
import type { PipelineDeps } from './deps.js';
import { featuresComputedOf } from './features-stage.js';
import { ocrCompletedOf } from './ocr-stage.js';

export type RevisionOutcome =
  | { started: true; invoiceId: string; revision: number }
  | { started: false; invoiceId: string; reason: string };

/** A revision of a page: a started one carries its new record (at its restart status). */
export type PageRevisionOutcome = Exclude<RevisionOutcome, { started: true }> | { started: true; invoiceId: string; revision: number; record: InvoiceRecord };

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
  const blocker = schemaBlocker(record, request.from);
  if (blocker) return { started: false, invoiceId, reason: blocker };
  const [result] = await deps.store.startRevisions([
    { invoiceId, from: request.from, reason: request.reason, expectedRevision: request.expectedRevision ?? record.revision },
  ]);
  if (!result?.applied) return { started: false, invoiceId, reason: result?.reason ?? 'not applied' };
  await publishStart(deps, result.record, traceparent);
  return { started: true, invoiceId, revision: result.record.revision };
}

/** The message the normal path publishes at the restart status of a new revision. */
export async function publishStart(deps: PipelineDeps, next: InvoiceRecord, traceparent?: string): Promise<void> {
  const orderingKey = next.invoiceId;
  if (next.status === 'OCR_DONE') await deps.bus.publish(Topics.ocrCompleted, ocrCompletedOf(next, traceparent), { orderingKey });
  else await deps.bus.publish(Topics.featuresComputed, featuresComputedOf(next, traceparent), { orderingKey });
}

/** Why a stored record cannot restart from `from` with this code's features, or null. */
function schemaBlocker(record: InvoiceRecord, from: RevisionStart): string | null {
  // Stored features of an earlier schema mean something else to today's models (inference would dead-letter
  // them as FEATURE_SCHEMA_MISMATCH): they must be computed again from the stored OCR document.
  if (from === 'FEATURES_DONE' && record.featureSchemaVersion && record.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) {
    return `stored features are ${record.featureSchemaVersion}, this code computes ${FEATURE_SCHEMA_VERSION}: start from OCR_DONE`;
  }
  return null;
}

/**
 * {@link startRevision} for a chunk of records the caller has read (a batch job's page): each restarts from the
 * revision it was read at, all of them through one InvoiceStore.startRevisions call (one transaction per chunk
 * locally), then the started ones' messages are published. Outcomes in request order; the same chunk twice starts
 * nothing the second time. A crash between the store call and the publishes leaves records waiting at their restart
 * status, which the job (at its resume) and the sweep re-publish from the record. With `publish: false` the caller
 * runs the stages itself (runStagesInline) from the started records.
 */
export async function startRevisions(
  deps: PipelineDeps,
  requests: ReadonlyArray<{ record: InvoiceRecord; from: RevisionStart; reason: string }>,
  options: { publish?: boolean } = {},
): Promise<PageRevisionOutcome[]> {
  const outcomes: Array<PageRevisionOutcome | undefined> = requests.map(({ record, from }) => {
    const blocker = schemaBlocker(record, from);
    return blocker ? { started: false, invoiceId: record.invoiceId, reason: blocker } : undefined;
  });
  const toStart = requests.filter((_, i) => !outcomes[i]);
  const results = toStart.length === 0 ? [] : await deps.store.startRevisions(
    toStart.map(({ record, from, reason }) => ({ invoiceId: record.invoiceId, from, reason, expectedRevision: record.revision })),
  );
  let next = 0;
  for (let i = 0; i < requests.length; i++) {
    if (outcomes[i]) continue;
    const result = results[next++]!;
    if (!result.applied) {
      outcomes[i] = { started: false, invoiceId: result.invoiceId, reason: result.reason };
      continue;
    }
    if (options.publish !== false) await publishStart(deps, result.record);
    outcomes[i] = { started: true, invoiceId: result.invoiceId, revision: result.record.revision, record: result.record };
  }
  return outcomes as PageRevisionOutcome[];
}

import type { InvoiceRecord } from './record.js';

/** Why an invoice is in the review queue: its decision is REVIEW, or it is an auto-approval drawn for audit. */
export type ReviewQueueKind = 'review' | 'audit';

/**
 * Whether `record` is open in the review queue, and why; undefined when it is not. Open = a REVIEW decision, or
 * an APPROVE decision drawn for the audit sample when it was scored (DecisionRecord.auditSample), and no review
 * label recorded for the current revision (`reviewedRevision`). A new revision clears the decision, so a
 * re-scored invoice comes back when its new decision puts it there. Both invoice stores index exactly this
 * value (SQLite column `review_queue`, Firestore field `inReviewQueue`), so the queue is one index range.
 */
export function reviewQueueOf(record: Pick<InvoiceRecord, 'decision' | 'revision' | 'reviewedRevision'>): ReviewQueueKind | undefined {
  const kind = record.decision?.decision === 'REVIEW' ? 'review' : record.decision?.decision === 'APPROVE' && record.decision.auditSample === true ? 'audit' : undefined;
  if (!kind) return undefined;
  return (record.reviewedRevision ?? 0) >= (record.revision ?? 1) ? undefined : kind;
}

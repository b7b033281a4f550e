import { z } from 'zod';

/**
 * Status machine of an invoice: RECEIVED -> OCR_DONE -> FEATURES_DONE -> SCORED, or a terminal REJECTED
 * (permanent problem with the input) or FAILED (retries exhausted, in the dead-letter store). A status never
 * moves backwards; a stale duplicate never overwrites a newer state.
 */
export const InvoiceStatusSchema = z.enum(['RECEIVED', 'OCR_DONE', 'FEATURES_DONE', 'SCORED', 'REJECTED', 'FAILED']);
export type InvoiceStatus = z.infer<typeof InvoiceStatusSchema>;

const RANK: Record<InvoiceStatus, number> = {
  RECEIVED: 0,
  OCR_DONE: 1,
  FEATURES_DONE: 2,
  SCORED: 3,
  FAILED: 3,
  REJECTED: 4,
};

/** A status that needs no more work for the current revision: SCORED and REJECTED are final, FAILED waits for a replay. */
export const SETTLED_STATUSES: ReadonlySet<InvoiceStatus> = new Set(['SCORED', 'REJECTED', 'FAILED']);

/**
 * Whether `from -> to` is a forward move within one revision. FAILED can be left again (a replay moves it
 * forward); REJECTED and SCORED are final: a redelivery never re-scores, and re-running an invoice on purpose is
 * a new revision (InvoiceStore.startRevisions), never a move backwards.
 */
export function canTransition(from: InvoiceStatus | undefined, to: InvoiceStatus): boolean {
  if (from === undefined) return true;
  if (from === 'REJECTED' || from === 'SCORED') return false;
  if (from === 'FAILED') return to !== 'RECEIVED';
  if (to === 'FAILED') return true;
  return RANK[to] > RANK[from];
}

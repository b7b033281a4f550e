import { ObjectFinalizedSchema, type DeadLetter } from '../messages.js';
import type { InvoiceStore, Logger } from '../ports.js';
import { invoiceIdFor } from './invoice-id.js';

/**
 * The invoice a dead-lettered payload belongs to: its `invoiceId`, or for a Storage finalize event (which has
 * none yet) the id derived from `bucket/name#generation`. Undefined when the payload names no invoice.
 */
export function invoiceIdOfPayload(payload: unknown): string | undefined {
  const id = (payload as { invoiceId?: unknown } | null)?.invoiceId;
  if (typeof id === 'string' && id.length > 0) return id;
  const finalized = ObjectFinalizedSchema.safeParse(payload);
  return finalized.success ? invoiceIdFor(finalized.data.bucket, finalized.data.name, finalized.data.generation) : undefined;
}

/**
 * Ends the invoice of a dead letter in FAILED with the dead letter's code and reason, so that nothing waits
 * forever in a non-terminal status (a replay moves it forward again). A no-op when the payload names no
 * invoice or the invoice has no record yet; the store's forward-only rule leaves a SCORED or REJECTED
 * invoice as it is. Store errors propagate.
 * @returns whether the record moved to FAILED.
 */
export async function failInvoiceOf(store: InvoiceStore, entry: DeadLetter, log: Logger): Promise<boolean> {
  const invoiceId = entry.invoiceId ?? invoiceIdOfPayload(entry.payload);
  if (!invoiceId) return false;
  if (!(await store.get(invoiceId))) {
    log.warn('dead letter of an invoice without a record', { invoiceId, reasonCode: entry.code });
    return false;
  }
  const { applied } = await store.transition(invoiceId, 'FAILED', { rejection: { code: entry.code, message: entry.reason } });
  log.warn('invoice failed', { invoiceId, reasonCode: entry.code, applied });
  return applied;
}

import { ObjectFinalizedSchema } from '../messages.js';
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

import type { PermanentError } from '../errors.js';
import type { InvoiceStore, Logger } from '../ports.js';
import type { StageOutcome } from './deps.js';

/**
 * Ends an invoice in REJECTED with the error's machine-readable code. The file and its record stay; the
 * stale-write rule of the store makes this a no-op if the invoice already reached a final state or moved to
 * another revision.
 */
export async function rejectInvoice(
  store: InvoiceStore,
  invoice: { invoiceId: string; revision: number },
  err: PermanentError,
  log: Logger,
): Promise<StageOutcome> {
  const { applied } = await store.transition(
    invoice.invoiceId,
    'REJECTED',
    { rejection: { code: err.code, message: err.message } },
    { revision: invoice.revision },
  );
  log.warn('invoice rejected', { reasonCode: err.code, applied });
  return { outcome: 'rejected', invoiceId: invoice.invoiceId, code: err.code };
}

import { PermanentError } from '../errors.js';
import { once } from '../idempotency.js';
import type { Logger } from '../ports.js';
import type { PipelineDeps, StageOutcome } from './deps.js';
import { rejectInvoice } from './reject.js';

/**
 * The shape every stage shares: run `work` at most once per idempotency `key` (claim, complete or release),
 * and end the invoice REJECTED (at `revision`) when it throws a PermanentError. Anything else propagates (= retry).
 */
export async function runStageOnce(
  deps: PipelineDeps,
  key: string,
  invoice: { invoiceId: string; revision: number },
  log: Logger,
  work: () => Promise<unknown>,
): Promise<StageOutcome> {
  try {
    const run = await once(deps.idempotency, key, work, { ttlMs: deps.config.idempotencyTtlMs, clock: deps.clock, log });
    return { outcome: run.ran ? 'done' : 'duplicate', invoiceId: invoice.invoiceId };
  } catch (err) {
    if (err instanceof PermanentError) return rejectInvoice(deps.store, invoice, err, log);
    throw err;
  }
}

import { DeferredError } from './errors.js';
import type { Clock, IdempotencyStore, Logger } from './ports.js';

export interface OnceOptions {
  /** How long a claim protects a run before another worker may take it over. */
  ttlMs: number;
  clock: Clock;
  log?: Logger;
}

export type OnceOutcome<T> = { ran: true; result: T } | { ran: false; result: T };

/**
 * Runs `fn` at most once to completion per `key`: claim -> run -> complete, or release and rethrow.
 * A duplicate that finds the key COMPLETED gets the stored result without running; one that finds it
 * IN_PROGRESS (and not expired) throws a DeferredError (a RetryableError) so that the platform redelivers it
 * later; its `retryAfterMs` is the time left on the claim. Completion and release name the claim's owner token:
 * a worker whose claim expired and was taken over changes nothing (logged), so the new owner's run stands.
 * Keys must come from business identity (e.g. `ocr:<invoiceId>`), never from message ids.
 */
export async function once<T>(
  store: IdempotencyStore,
  key: string,
  fn: () => Promise<T>,
  options: OnceOptions,
): Promise<OnceOutcome<T>> {
  const claim = await store.claim(key, options.ttlMs, options.clock.now());
  if (claim.state === 'completed') return { ran: false, result: claim.result as T };
  if (claim.state === 'in-progress') {
    const untilExpiry = Date.parse(claim.expiresAt) - options.clock.now().getTime();
    throw new DeferredError('IDEMPOTENCY_IN_PROGRESS', `work for ${key} is in progress elsewhere`, Math.max(0, untilExpiry));
  }
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    if (!(await store.release(key, claim.token))) options.log?.warn('claim was taken over before release', { idempotencyKey: key });
    throw err;
  }
  if (!(await store.complete(key, claim.token, result ?? null, options.clock.now()))) {
    options.log?.warn('claim was taken over before completion: the new owner completes it', { idempotencyKey: key });
  }
  return { ran: true, result };
}

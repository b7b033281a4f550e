/**
 * Posting each decision (`invoice-scored`) to every active webhook: signed (core/api/webhook-signature.ts),
 * logged per attempt, retried with exponential backoff up to a cap, and idempotent per
 * (webhook, invoice, revision). The same function runs on the local bus (a subscription of `ledgerx serve`)
 * and on GCP (the `webhooks` function, triggered by the topic through Eventarc).
 *
 * Delivery contract (the bus's): return = ack, throw = redeliver later. A message is acked once every
 * webhook's delivery is settled (succeeded, or failed after the last attempt); while one still waits for a
 * retry the handler throws, and the redelivery retries only the deliveries that are due. A delivery is taken
 * for an attempt under a lease (one atomic write), so two copies of one message never post at once, and a
 * delivery that succeeded is never posted again.
 */
import { RetryableError } from '../../core/errors.js';
import type { InvoiceScored } from '../../core/messages.js';
import type { WebhookRecord, WebhookStore } from '../../core/api/ports.js';
import { DEFAULT_RETRY_POLICY, deliveryIdFor, retryDelayMs, webhookPayload, type RetryPolicy } from '../../core/api/webhook-delivery.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhook } from '../../core/api/webhook-signature.js';
import type { Clock, Logger } from '../../core/ports.js';
import type { PostResult } from './target.js';

export interface WebhookWorkerDeps {
  webhooks: WebhookStore;
  clock: Clock;
  log: Logger;
  retry?: RetryPolicy;
  /** How long one attempt holds its delivery (longer than the post's timeout). */
  leaseMs?: number;
  post: (url: string, body: string, headers: Record<string, string>) => Promise<PostResult>;
}

export interface DeliveryRound {
  succeeded: number;
  failed: number;
  /** Deliveries waiting for a retry (or held by another sender). */
  pending: number;
  skipped: number;
}

/**
 * Delivers one `invoice-scored` message to every active webhook. Throws RetryableError(WEBHOOK_PENDING)
 * while a delivery waits for its next attempt, so the bus redelivers the message.
 */
export async function deliverInvoiceScored(deps: WebhookWorkerDeps, message: InvoiceScored): Promise<DeliveryRound> {
  const policy = deps.retry ?? DEFAULT_RETRY_POLICY;
  const leaseMs = deps.leaseMs ?? 60_000;
  const hooks = (await deps.webhooks.list()).filter((w) => w.active && w.events.includes('invoice.scored'));
  const round: DeliveryRound = { succeeded: 0, failed: 0, pending: 0, skipped: 0 };
  for (const hook of hooks) {
    const outcome = await deliverTo(deps, hook, message, policy, leaseMs);
    round[outcome] += 1;
  }
  if (round.pending > 0) throw new RetryableError('WEBHOOK_PENDING', `${round.pending} webhook deliveries wait for a retry`);
  return round;
}

async function deliverTo(deps: WebhookWorkerDeps, hook: WebhookRecord, message: InvoiceScored, policy: RetryPolicy, leaseMs: number): Promise<keyof DeliveryRound> {
  const now = deps.clock.now();
  const id = deliveryIdFor(hook.id, message.invoiceId, message.revision);
  const { delivery } = await deps.webhooks.openDelivery({
    id, webhookId: hook.id, event: 'invoice.scored', invoiceId: message.invoiceId, revision: message.revision,
    status: 'pending', attempts: [], createdAt: now.toISOString(), updatedAt: now.toISOString(),
  });
  if (delivery.status !== 'pending') return 'skipped';
  const leased = await deps.webhooks.leaseDelivery(id, now.toISOString(), new Date(now.getTime() + leaseMs).toISOString());
  if (!leased) return 'pending';
  // The body is fixed per delivery (its createdAt, not the attempt's time), so every retry posts the same bytes.
  const body = JSON.stringify(webhookPayload(id, message, delivery.createdAt));
  const headers = {
    'Content-Type': 'application/json',
    [SIGNATURE_HEADER]: signWebhook(hook.secret, body, deps.clock.now()),
    [DELIVERY_HEADER]: id,
    [EVENT_HEADER]: 'invoice.scored',
  };
  const result = await deps.post(hook.url, body, headers);
  const at = deps.clock.now();
  const attempt = {
    at: at.toISOString(),
    durationMs: result.durationMs,
    ...(result.status !== undefined ? { responseStatus: result.status } : {}),
    ...(result.ok ? {} : { error: result.error }),
  };
  const attempts = leased.attempts.length + 1;
  const log = deps.log.child({ webhookId: hook.id, deliveryId: id, invoiceId: message.invoiceId, attempt: attempts });
  if (result.ok) {
    await deps.webhooks.recordAttempt(id, attempt, { status: 'succeeded' });
    log.info('webhook delivered', { responseStatus: result.status, ms: result.durationMs });
    return 'succeeded';
  }
  // A target that resolves to a blocked address will not get better by retrying.
  if (attempts >= policy.maxAttempts || result.error === 'TARGET_BLOCKED') {
    await deps.webhooks.recordAttempt(id, attempt, { status: 'failed' });
    log.warn('webhook delivery failed for good', { error: result.error, responseStatus: result.status });
    return 'failed';
  }
  const nextAttemptAt = new Date(at.getTime() + retryDelayMs(policy, attempts)).toISOString();
  await deps.webhooks.recordAttempt(id, attempt, { status: 'pending', nextAttemptAt });
  log.info('webhook delivery will be retried', { error: result.error, responseStatus: result.status, nextAttemptAt });
  return 'pending';
}

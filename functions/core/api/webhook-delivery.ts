import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { InvoiceScored } from '../messages.js';

/** The delivery id of one event to one webhook: the same for every redelivery of that event (idempotency). */
export function deliveryIdFor(webhookId: string, invoiceId: string, revision: number): string {
  return 'dlv_' + createHash('sha256').update(`${webhookId}|${invoiceId}|${revision}`).digest('hex').slice(0, 32);
}

/** Retry schedule of a failed delivery: exponential from `baseMs`, doubled per attempt, capped at `maxMs`. */
export interface RetryPolicy {
  /** Attempts in all (the first included); the delivery is `failed` after the last. */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseMs: 10_000, maxMs: 600_000 };

/** Delay before attempt `attempt + 1` after `attempt` failed attempts (1-based): base * 2^(attempt-1), capped. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

/** The JSON body posted to a webhook for an `invoice.scored` event. No invoice contents: ids and the decision. */
export const WebhookPayloadSchema = z.object({
  id: z.string(),
  type: z.literal('invoice.scored'),
  createdAt: z.string(),
  data: z.object({
    invoiceId: z.string(),
    revision: z.number().int().positive(),
    decision: z.enum(['APPROVE', 'REVIEW', 'REJECT']),
    modelVersions: z.record(z.string(), z.string()),
    featureSchemaVersion: z.string(),
    /** Path of the invoice in the API (GET it for fields, reasons and scores). */
    href: z.string(),
  }),
});
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;

export function webhookPayload(deliveryId: string, message: InvoiceScored, createdAt: string): WebhookPayload {
  return {
    id: deliveryId,
    type: 'invoice.scored',
    createdAt,
    data: {
      invoiceId: message.invoiceId,
      revision: message.revision,
      decision: message.decision,
      modelVersions: message.modelVersions,
      featureSchemaVersion: message.featureSchemaVersion,
      href: `/v1/invoices/${encodeURIComponent(message.invoiceId)}`,
    },
  };
}

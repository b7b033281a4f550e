/**
 * `webhooks`: Pub/Sub `invoice-scored` (through Eventarc) -> every active webhook, signed, logged, retried
 * (functions/api/webhooks/deliver.ts). Return = ack (204): every delivery settled; throw = retry (500): a
 * delivery waits for its next attempt, and Eventarc redelivers with backoff. Events older than the maximum age and
 * payloads that do not parse are dead-lettered, as in the pipeline stages.
 */
import { cloudEvent } from '@google-cloud/functions-framework';
import { lazy } from './core/lazy.js';
import { InvoiceScoredSchema, Topics, type DeadLetter } from './core/messages.js';
import { defineMessageHandler } from './platform/message-handler.js';
import { parsePubSubEvent } from './platform/gcp/envelopes.js';
import { deliverInvoiceScored } from './api/webhooks/deliver.js';
import { createWebhooksRuntime, type WebhooksRuntime } from './api/gcp/runtime.js';

export type CloudEventHandler = (event: unknown) => Promise<void>;

export function makeWebhooksHandler(getRuntime: () => Promise<WebhooksRuntime>): CloudEventHandler {
  return async (event) => {
    const runtime = await getRuntime();
    const envelope = parsePubSubEvent(event, 'webhooks', Topics.invoiceScored);
    const now = new Date();
    if (!envelope.ok) {
      const entry: DeadLetter = {
        topic: Topics.invoiceScored, subscription: 'eventarc:webhooks', payload: event ?? null, attributes: {}, reason: envelope.reason,
        code: 'INVALID_ENVELOPE', attempts: 1, firstAttemptAt: now.toISOString(), deadLetteredAt: now.toISOString(),
      };
      runtime.log.error('event dead-lettered', { reasonCode: entry.code });
      await runtime.bus.publish(Topics.deadLetter, entry);
      return;
    }
    const handle = defineMessageHandler({
      name: 'webhooks',
      schema: InvoiceScoredSchema,
      bus: runtime.bus,
      log: runtime.log.child({ eventId: envelope.value.eventId }),
      maxEventAgeMs: runtime.config.maxEventAgeMs,
      now: () => new Date(),
      run: async (message) => {
        await deliverInvoiceScored(runtime.worker, message);
        return { outcome: 'done', invoiceId: message.invoiceId };
      },
    });
    await handle(envelope.value.payload, envelope.value.delivery);
  };
}

cloudEvent('webhooks', makeWebhooksHandler(lazy(() => createWebhooksRuntime())));

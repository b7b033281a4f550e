/**
 * `webhooks`: Pub/Sub `invoice-scored` (pushed, with a dead-letter policy like the pipeline stages) -> every active
 * webhook, signed, logged, retried (functions/api/webhooks/deliver.ts). Answer 204 = ack: every delivery settled;
 * 500 = nack: a delivery waits for its next attempt, and Pub/Sub redelivers with backoff. Events older than the
 * maximum age, payloads that do not parse and the last delivery attempt's failure are dead-lettered, as in the
 * pipeline stages. CloudEvents (as Eventarc would send them) are read too.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { lazy } from './core/lazy.js';
import { InvoiceScoredSchema, Topics, type DeadLetter } from './core/messages.js';
import { defineMessageHandler } from './platform/message-handler.js';
import { errorFields } from './platform/logger.js';
import { cloudEventOfRequest, parsePubSubEvent, parsePushBody } from './platform/gcp/envelopes.js';
import { deliverInvoiceScored } from './api/webhooks/deliver.js';
import { createWebhooksRuntime, type WebhooksRuntime } from './api/gcp/runtime.js';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;

export function makeWebhooksHandler(getRuntime: () => Promise<WebhooksRuntime>): HttpHandler {
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.set('Allow', 'POST').status(405).end();
      return;
    }
    let runtime: WebhooksRuntime;
    try {
      runtime = await getRuntime();
    } catch (err) {
      console.error(JSON.stringify({ severity: 'ERROR', message: 'webhooks cannot start', function: 'webhooks', ...errorFields(err) }));
      res.status(500).end();
      return;
    }
    try {
      const event = cloudEventOfRequest(req.headers, req.body);
      const envelope = event === null ? parsePushBody(req.body, Topics.invoiceScored) : parsePubSubEvent(event, 'webhooks', Topics.invoiceScored);
      const now = new Date();
      if (!envelope.ok) {
        const entry: DeadLetter = {
          topic: Topics.invoiceScored, subscription: 'function:webhooks', payload: req.body ?? null, attributes: {}, reason: envelope.reason,
          code: 'INVALID_ENVELOPE', attempts: 1, firstAttemptAt: now.toISOString(), deadLetteredAt: now.toISOString(),
        };
        runtime.log.error('event dead-lettered', { reasonCode: entry.code });
        await runtime.bus.publish(Topics.deadLetter, entry);
        res.status(204).end();
        return;
      }
      const handle = defineMessageHandler({
        name: 'webhooks',
        schema: InvoiceScoredSchema,
        bus: runtime.bus,
        log: runtime.log.child({ eventId: envelope.value.eventId }),
        maxEventAgeMs: runtime.config.maxEventAgeMs,
        maxAttempts: runtime.config.maxDeliveryAttempts,
        now: () => new Date(),
        run: async (message) => {
          await deliverInvoiceScored(runtime.worker, message);
          return { outcome: 'done', invoiceId: message.invoiceId };
        },
      });
      await handle(envelope.value.payload, envelope.value.delivery);
      res.status(204).end();
    } catch (err) {
      runtime.log.warn('event not handled, will be redelivered', errorFields(err));
      res.status(500).end();
    }
  };
}

export const handler = makeWebhooksHandler(lazy(() => createWebhooksRuntime()));

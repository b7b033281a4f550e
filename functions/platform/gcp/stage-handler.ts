/**
 * Binds a pipeline stage to its HTTP entry point. Terraform feeds every stage through a Pub/Sub push
 * subscription with a dead-letter policy (infra/modules/pipeline/pubsub.tf); CloudEvents as Eventarc sends them
 * are read too. Request -> payload + Delivery -> `defineMessageHandler` (schema, maximum age, dead letters, the
 * last delivery attempt) -> the stage. Answer 204 = ack; 500 = nack (Pub/Sub redelivers with backoff, and
 * counts the attempt).
 *
 * The HTTP signature (not functions-framework's CloudEvent one) is what keeps the push body's
 * `deliveryAttempt`: the framework's conversion of a push body into a CloudEvent drops it, and without it a
 * handler cannot know that a failure is the last one it will see.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { Topics, type DeadLetter, type Topic } from '../../core/messages.js';
import type { Logger } from '../../core/ports.js';
import { failInvoiceOf } from '../../core/pipeline/dead-letter-invoice.js';
import type { PipelineDeps, StageContext, StageOutcome } from '../../core/pipeline/deps.js';
import { errorFields } from '../logger.js';
import { defineMessageHandler, type Delivery } from '../message-handler.js';
import { traceLogFields } from '../trace.js';
import {
  cloudEventOfRequest, parsePubSubEvent, parsePushBody, parseStorageEvent, STORAGE_NOTIFICATION_FINALIZE,
  type EnvelopeResult,
} from './envelopes.js';
import type { StageRuntime } from './wiring.js';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;

export interface StageBinding<S extends z.ZodType> {
  /** Entry point name (= Terraform key), e.g. `features`. */
  name: string;
  /**
   * The topic the function's push subscription reads: `object-finalized` (Cloud Storage notifications of the
   * inbox) for ocr, the previous stage's topic otherwise.
   */
  source: Topic;
  /** Schema of the payload (for Storage: of the object resource, mapped onto ObjectFinalized). */
  schema: S;
  run: (deps: PipelineDeps, message: z.infer<S>, ctx: StageContext) => Promise<StageOutcome>;
}

interface Envelope {
  payload: unknown;
  delivery: Delivery;
  eventId: string;
  /** Set when the delivery is not meant for the stage (a Storage notification other than a new object). */
  ignore?: string;
}

function readEnvelope(req: Request, binding: StageBinding<z.ZodType>, runtime: StageRuntime): EnvelopeResult<Envelope> {
  const event = cloudEventOfRequest(req.headers, req.body);
  let read: EnvelopeResult<Envelope>;
  if (event === null) {
    const push = parsePushBody(req.body, runtime.topics[binding.source]);
    if (!push.ok) return push;
    const eventType = push.value.delivery.attributes?.eventType;
    read = {
      ok: true,
      value: {
        ...push.value,
        // A notification config may carry other event types (metadata updates, deletes): not uploads.
        ...(binding.source === Topics.objectFinalized && eventType !== undefined && eventType !== STORAGE_NOTIFICATION_FINALIZE
          ? { ignore: `storage notification ${eventType}` }
          : {}),
      },
    };
  } else if (binding.source === Topics.objectFinalized) {
    const r = parseStorageEvent(event, binding.name);
    read = r.ok ? { ok: true, value: { payload: r.value.data, delivery: r.value.delivery, eventId: r.value.eventId } } : r;
  } else {
    const r = parsePubSubEvent(event, binding.name, binding.source);
    read = r.ok ? { ok: true, value: { payload: r.value.payload, delivery: r.value.delivery, eventId: r.value.eventId } } : r;
  }
  if (!read.ok) return read;
  // Pipeline messages carry the chain's traceparent: it wins over the per-hop one of the transport, so one
  // trace covers upload -> SCORED.
  const own = (read.value.payload as { traceparent?: unknown } | null)?.traceparent;
  return typeof own === 'string' ? { ok: true, value: { ...read.value, delivery: { ...read.value.delivery, traceparent: own } } } : read;
}

/**
 * A request that is not even a well-formed envelope can never be processed: it is dead-lettered (with the
 * raw body) and acked, exactly like a payload that fails its schema.
 */
async function deadLetterEnvelope(deps: PipelineDeps, log: Logger, name: string, topic: string, body: unknown, reason: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  const entry: DeadLetter = {
    topic,
    subscription: `function:${name}`,
    payload: body ?? null,
    attributes: {},
    reason,
    code: 'INVALID_ENVELOPE',
    attempts: 1,
    firstAttemptAt: now,
    deadLetteredAt: now,
  };
  log.error('event dead-lettered', { reasonCode: entry.code, function: name });
  await deps.bus.publish(Topics.deadLetter, entry);
}

/**
 * Builds the HTTP function of one stage. `getRuntime` is called on every request (memoize it with `lazy`): a
 * configuration or client failure answers 500, so the message is retried rather than lost. Never throws.
 */
export function makeStageHandler<S extends z.ZodType>(binding: StageBinding<S>, getRuntime: () => Promise<StageRuntime>): HttpHandler {
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.set('Allow', 'POST').status(405).end();
      return;
    }
    let runtime: StageRuntime;
    try {
      runtime = await getRuntime();
    } catch (err) {
      // Printed on stderr as Cloud Logging JSON: without a valid config there is no configured logger yet.
      console.error(JSON.stringify({ severity: 'ERROR', message: `${binding.name} cannot start`, function: binding.name, ...errorFields(err) }));
      res.status(500).end();
      return;
    }
    const { deps, log: baseLog, projectId } = runtime;
    try {
      const envelope = readEnvelope(req, binding, runtime);
      if (!envelope.ok) {
        await deadLetterEnvelope(deps, baseLog, binding.name, runtime.topics[binding.source], req.body, envelope.reason);
        res.status(204).end();
        return;
      }
      const { payload, delivery, eventId, ignore } = envelope.value;
      const log = baseLog.child({ eventId, ...traceLogFields(delivery.traceparent, projectId) });
      if (ignore) {
        log.info('event ignored', { reason: ignore });
        res.status(204).end();
        return;
      }
      const handle = defineMessageHandler({
        name: binding.name,
        schema: binding.schema,
        bus: deps.bus,
        log,
        maxEventAgeMs: deps.config.maxEventAgeMs,
        maxAttempts: runtime.maxDeliveryAttempts,
        // Pub/Sub's own dead-lettering forwards the bare message after the last attempt; the handler gets there
        // first, so the invoice ends FAILED with the reason and the dead letter carries it.
        onDeadLetter: async (entry, entryLog) => {
          await failInvoiceOf(deps.store, entry, entryLog);
        },
        now: () => deps.clock.now(),
        run: (message, ctx) => binding.run(deps, message, ctx),
      });
      const result = await handle(payload, delivery);
      log.debug('event handled', { outcome: result.outcome });
      res.status(204).end();
    } catch (err) {
      // Logged by the message handler when it came from the stage; 500 = nack, redelivered with backoff.
      baseLog.warn('event not handled, will be redelivered', errorFields(err));
      res.status(500).end();
    }
  };
}

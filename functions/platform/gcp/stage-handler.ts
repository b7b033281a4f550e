/**
 * Binds a pipeline stage to a CloudEvent trigger: envelope -> payload + Delivery -> `defineMessageHandler`
 * (schema, maximum age, dead letters) -> the stage. Return = ack (functions-framework answers 204), throw =
 * retry (500, Eventarc redelivers with backoff).
 */
import type { z } from 'zod';
import { Topics, type DeadLetter } from '../../core/messages.js';
import type { Logger } from '../../core/ports.js';
import type { PipelineDeps, StageContext, StageOutcome } from '../../core/pipeline/deps.js';
import { defineMessageHandler, type Delivery } from '../message-handler.js';
import { traceLogFields } from '../trace.js';
import { parsePubSubEvent, parseStorageEvent, type EnvelopeResult } from './envelopes.js';
import type { StageRuntime } from './wiring.js';

export type CloudEventHandler = (event: unknown) => Promise<void>;

export interface StageBinding<S extends z.ZodType> {
  /** Entry point name (= Terraform key), e.g. `features`. */
  name: string;
  trigger: 'storage' | 'pubsub';
  /** Schema of the payload (for Storage: of the object data, mapped onto ObjectFinalized). */
  schema: S;
  run: (deps: PipelineDeps, message: z.infer<S>, ctx: StageContext) => Promise<StageOutcome>;
}

interface Envelope {
  payload: unknown;
  delivery: Delivery;
  eventId: string;
}

function readEnvelope(event: unknown, name: string, trigger: 'storage' | 'pubsub'): EnvelopeResult<Envelope> {
  if (trigger === 'storage') {
    const r = parseStorageEvent(event, name);
    return r.ok ? { ok: true, value: { payload: r.value.data, delivery: r.value.delivery, eventId: r.value.eventId } } : r;
  }
  const fallbackTopic = name === 'features' ? Topics.ocrCompleted : Topics.featuresComputed;
  const r = parsePubSubEvent(event, name, fallbackTopic);
  if (!r.ok) return r;
  // Pipeline messages carry the chain's traceparent: it wins over the per-hop one from Eventarc, so one trace
  // covers upload -> SCORED.
  const own = (r.value.payload as { traceparent?: unknown } | null)?.traceparent;
  const delivery = typeof own === 'string' ? { ...r.value.delivery, traceparent: own } : r.value.delivery;
  return { ok: true, value: { payload: r.value.payload, delivery, eventId: r.value.eventId } };
}

/**
 * An event that is not even a well-formed envelope can never be processed: it is dead-lettered (with the
 * raw event) and acked, exactly like a payload that fails its schema.
 */
async function deadLetterEnvelope(deps: PipelineDeps, log: Logger, name: string, event: unknown, reason: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  const entry: DeadLetter = {
    topic: typeof (event as { source?: unknown } | null)?.source === 'string' ? (event as { source: string }).source : 'unknown',
    subscription: `eventarc:${name}`,
    payload: event ?? null,
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
 * Builds the CloudEvent function of one stage. `getRuntime` is called on every invocation (memoize it with
 * `lazy`): a configuration or client failure throws, so the event is retried rather than lost.
 */
export function makeStageHandler<S extends z.ZodType>(binding: StageBinding<S>, getRuntime: () => Promise<StageRuntime>): CloudEventHandler {
  return async (event) => {
    const { deps, log: baseLog, projectId } = await getRuntime();
    const envelope = readEnvelope(event, binding.name, binding.trigger);
    if (!envelope.ok) return deadLetterEnvelope(deps, baseLog, binding.name, event, envelope.reason);
    const { payload, delivery, eventId } = envelope.value;
    const log = baseLog.child({ eventId, ...traceLogFields(delivery.traceparent, projectId) });
    const handle = defineMessageHandler({
      name: binding.name,
      schema: binding.schema,
      bus: deps.bus,
      log,
      maxEventAgeMs: deps.config.maxEventAgeMs,
      now: () => deps.clock.now(),
      run: (message, ctx) => binding.run(deps, message, ctx),
    });
    // A throw escaping here (logged by the message handler) answers 500: Eventarc redelivers with backoff.
    const result = await handle(payload, delivery);
    log.debug('event handled', { outcome: result.outcome });
  };
}

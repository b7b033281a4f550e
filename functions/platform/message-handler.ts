import type { z } from 'zod';
import { isDeferred, PermanentError, RetryableError } from '../core/errors.js';
import { Topics, type DeadLetter } from '../core/messages.js';
import type { EventBus, Logger } from '../core/ports.js';
import type { StageContext, StageOutcome } from '../core/pipeline/deps.js';
import { errorFields } from './logger.js';
import { invoiceIdOfPayload } from '../core/pipeline/dead-letter-invoice.js';

/** What the transport knows about one delivery (Pub/Sub push, Eventarc, or the local bus). */
export interface Delivery {
  topic: string;
  subscription: string;
  /** 1 for the first delivery. */
  attempt: number;
  /** When the message was first published (ISO); used for the maximum event age. */
  publishedAt?: string | undefined;
  attributes?: Record<string, string> | undefined;
  traceparent?: string | undefined;
}

export interface MessageHandlerOptions<S extends z.ZodTypeAny> {
  name: string;
  schema: S;
  bus: EventBus;
  log: Logger;
  maxEventAgeMs: number;
  now: () => Date;
  run: (message: z.infer<S>, ctx: StageContext) => Promise<StageOutcome>;
  /**
   * The transport's last delivery attempt (a Pub/Sub dead-letter policy's `max_delivery_attempts`). On that
   * attempt a failure is final: dead-lettered with its reason instead of thrown. Undefined when the transport
   * dead-letters by itself (the local bus).
   */
  maxAttempts?: number | undefined;
  /**
   * Called with a dead letter once it is published (GCP: the invoice is marked FAILED with the reason); not for
   * a claim still held elsewhere on the last attempt: the holder's own outcome settles the invoice.
   */
  onDeadLetter?: ((entry: DeadLetter, log: Logger) => Promise<void>) | undefined;
}

/**
 * Wraps a stage with the delivery contract shared by every trigger: return = ack, throw = retry.
 * - A payload that does not parse, an event older than `maxEventAgeMs`, or a PermanentError escaping the
 *   stage: logged at ERROR, published to the dead-letter topic with the reason, then acked.
 * - Any other failure on the delivery attempt `maxAttempts` (when given): the same, with the last error's
 *   code and message; a claim still held elsewhere (DeferredError) included, so that no message outlives
 *   its retry budget unrecorded (but without `onDeadLetter`: the delivery holding the claim settles it).
 * - Anything else is rethrown so the transport redelivers with backoff.
 * `onDeadLetter` runs after each publish; its failure is thrown (the delivery is retried).
 */
export function defineMessageHandler<S extends z.ZodTypeAny>(options: MessageHandlerOptions<S>) {
  const { name, schema, bus, maxEventAgeMs, now } = options;
  return async (payload: unknown, delivery: Delivery): Promise<StageOutcome | { outcome: 'dead-lettered'; code: string }> => {
    const log = options.log.child({ function: name, subscription: delivery.subscription, attempt: delivery.attempt });
    const deadLetter = async (code: string, reason: string, settles = true): Promise<{ outcome: 'dead-lettered'; code: string }> => {
      const invoiceId = invoiceIdOfPayload(payload);
      log.error('message dead-lettered', { reasonCode: code, invoiceId });
      const entry: DeadLetter = {
        topic: delivery.topic,
        subscription: delivery.subscription,
        payload,
        attributes: delivery.attributes ?? {},
        reason,
        code,
        attempts: delivery.attempt,
        firstAttemptAt: delivery.publishedAt ?? now().toISOString(),
        deadLetteredAt: now().toISOString(),
        invoiceId,
      };
      await bus.publish(Topics.deadLetter, entry);
      if (settles && options.onDeadLetter) await options.onDeadLetter(entry, log);
      return { outcome: 'dead-lettered', code };
    };

    if (delivery.publishedAt) {
      const age = now().getTime() - Date.parse(delivery.publishedAt);
      if (age > maxEventAgeMs) return deadLetter('EVENT_TOO_OLD', `event is ${Math.round(age / 1000)} s old, limit ${maxEventAgeMs / 1000} s`);
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      return deadLetter('INVALID_MESSAGE', `payload does not match the ${name} schema: ${issues}`);
    }
    try {
      return await options.run(parsed.data, { log, traceparent: delivery.traceparent ?? traceparentOf(parsed.data) });
    } catch (err) {
      if (err instanceof PermanentError) return deadLetter(err.code, err.message);
      if (options.maxAttempts !== undefined && delivery.attempt >= options.maxAttempts) {
        const code = err instanceof RetryableError ? err.code : errorCodeOf(err);
        const message = err instanceof Error ? err.message : String(err);
        return deadLetter(code, `${message} (gave up after ${delivery.attempt} delivery attempts)`, !isDeferred(err));
      }
      log.warn('delivery failed, will be retried', errorFields(err));
      throw err;
    }
  };
}

/** A machine-readable code for any error: its string `code`, else its name (as the local bus records them). */
function errorCodeOf(err: unknown): string {
  if (!(err instanceof Error)) return 'UNKNOWN';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : typeof code === 'number' ? `${err.name}_${code}` : err.name;
}

function traceparentOf(message: unknown): string | undefined {
  const tp = (message as { traceparent?: unknown } | null)?.traceparent;
  return typeof tp === 'string' ? tp : undefined;
}

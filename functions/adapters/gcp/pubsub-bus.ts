/**
 * {@link EventBus} on Cloud Pub/Sub, plus zod parsers for what Pub/Sub delivers (push bodies, base64 data).
 */
import type { PubSub, Topic as PubSubTopic } from '@google-cloud/pubsub';
import { z } from 'zod';
import { PermanentError, RejectReason, RetryableError } from '../../core/errors.js';
import { MessageSchemas, type MessageOf, type Topic } from '../../core/messages.js';
import type { EventBus, PublishOptions } from '../../core/ports.js';

/** gRPC codes worth a retry: RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED. */
const TRANSIENT_CODES = new Set([8, 10, 13, 14, 4, 1]);

/**
 * Publishes the messages of the pipeline's topics to Pub/Sub topics named in `topics` (logical -> real name).
 *
 * `publish` validates the payload with the topic's zod schema (a PermanentError `INVALID_MESSAGE` when it
 * does not parse: publishing a malformed event is a bug, never retried), sends it as JSON with the given
 * attributes and ordering key, and resolves with the server-assigned message id once Pub/Sub accepted it.
 * A message with an ordering key goes through a publisher with `messageOrdering` on (created per topic on
 * first use); after a failed ordered publish the key is resumed, so the redelivered event can publish again.
 * Quota and availability failures are rethrown as RetryableError.
 */
export function createPubSubBus(pubsub: PubSub, topics: Record<Topic, string>): EventBus {
  const plain = new Map<Topic, PubSubTopic>();
  const ordered = new Map<Topic, PubSubTopic>();
  const handle = (topic: Topic, ordering: boolean): PubSubTopic => {
    const cache = ordering ? ordered : plain;
    let t = cache.get(topic);
    if (!t) {
      t = ordering ? pubsub.topic(topics[topic], { messageOrdering: true }) : pubsub.topic(topics[topic]);
      cache.set(topic, t);
    }
    return t;
  };

  return {
    async publish<T extends Topic>(topic: T, message: MessageOf<T>, options: PublishOptions = {}): Promise<string> {
      const parsed = MessageSchemas[topic].safeParse(message);
      if (!parsed.success) {
        throw new PermanentError(RejectReason.INVALID_MESSAGE, `refusing to publish an invalid ${topic} message`, {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        });
      }
      const orderingKey = options.orderingKey || undefined;
      const target = handle(topic, orderingKey !== undefined);
      try {
        return await target.publishMessage({
          data: Buffer.from(JSON.stringify(parsed.data)),
          ...(options.attributes ? { attributes: options.attributes } : {}),
          ...(orderingKey !== undefined ? { orderingKey } : {}),
        });
      } catch (err) {
        // An ordered publisher pauses a key after a failure until told to resume.
        if (orderingKey !== undefined) target.resumePublishing(orderingKey);
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'number' && TRANSIENT_CODES.has(code)) {
          throw new RetryableError(`PUBSUB_${code}`, `publish to ${topic} failed: ${(err as Error).message}`);
        }
        throw err;
      }
    },
  };
}

/** The JSON body Pub/Sub POSTs to a push endpoint (https://cloud.google.com/pubsub/docs/push). */
export const PubSubPushSchema = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    messageId: z.string().min(1),
    publishTime: z.string().optional(),
    orderingKey: z.string().optional(),
  }),
  subscription: z.string().min(1),
  deliveryAttempt: z.number().int().positive().optional(),
});

export interface PubSubPush {
  subscription: string;
  messageId: string;
  publishTime?: string | undefined;
  orderingKey?: string | undefined;
  attributes: Record<string, string>;
  /** Only set when the subscription has a dead-letter policy. */
  deliveryAttempt?: number | undefined;
  /** The message data decoded as JSON (null when the message had no data). */
  data: unknown;
}

/**
 * Decodes base64 message data holding JSON (what {@link createPubSubBus} publishes).
 * @throws PermanentError `INVALID_MESSAGE` when it is not base64 or not JSON: redelivery cannot fix it.
 */
export function decodePubSubData(base64: string): unknown {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(base64)) {
    throw new PermanentError(RejectReason.INVALID_MESSAGE, 'message data is not base64');
  }
  const text = Buffer.from(base64, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PermanentError(RejectReason.INVALID_MESSAGE, 'message data is not JSON');
  }
}

/**
 * Validates a raw push request body and decodes its data.
 * @throws PermanentError `INVALID_MESSAGE` when the body is not a push envelope or the data is not base64 JSON.
 */
export function parsePubSubPush(body: unknown): PubSubPush {
  const parsed = PubSubPushSchema.safeParse(body);
  if (!parsed.success) {
    throw new PermanentError(RejectReason.INVALID_MESSAGE, `not a Pub/Sub push body: ${z.prettifyError(parsed.error)}`);
  }
  const { message, subscription, deliveryAttempt } = parsed.data;
  return {
    subscription,
    messageId: message.messageId,
    publishTime: message.publishTime,
    orderingKey: message.orderingKey || undefined,
    attributes: message.attributes ?? {},
    deliveryAttempt,
    data: message.data === undefined || message.data === '' ? null : decodePubSubData(message.data),
  };
}

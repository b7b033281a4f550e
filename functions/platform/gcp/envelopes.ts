/**
 * zod schemas of the platform envelopes that reach the event functions, and their mapping onto the core's
 * message types. Terraform delivers every event through a Pub/Sub push subscription (the body
 * `{ message, subscription, deliveryAttempt }`; for ocr the message is a Cloud Storage notification). The
 * functions also read CloudEvents over HTTP as Eventarc sends them (binary mode: attributes in `ce-*`
 * headers; structured mode: one JSON object), mapped onto one event object whose attributes are top-level
 * keys and whose payload is `data`.
 *
 * Nothing here is cast: GCS int64 fields are digit strings and Pub/Sub `message.data` is base64 JSON, both are
 * parsed and a malformed envelope is reported with every zod issue.
 */
import { z } from 'zod';
import type { ObjectFinalized } from '../../core/messages.js';
import type { Delivery } from '../message-handler.js';

/** CloudEvent type of a Cloud Storage upload (the `ocr` trigger). */
export const STORAGE_FINALIZED_TYPE = 'google.cloud.storage.object.v1.finalized';
/** CloudEvent type of a Pub/Sub message (the `features` and `inference` triggers). */
export const PUBSUB_PUBLISHED_TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';

/** A non-negative int64 sent as a JSON string (proto3 JSON). Kept as a string: generations exceed 2^53. */
const Int64String = z.string().regex(/^\d+$/, 'must be an int64 decimal string');

/** An int64 string that must fit a JS number exactly (sizes do; a size above 2^53 bytes is an invalid event). */
const SafeInt64 = Int64String.transform((s, ctx) => {
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    ctx.issues.push({ code: 'custom', message: 'int64 value is beyond the safe integer range', input: s });
    return z.NEVER;
  }
  return n;
});

/**
 * The CloudEvent attributes the functions use. Extensions arrive lower-cased (`ce-traceparent` ->
 * `traceparent`); unknown attributes are kept so that nothing Eventarc adds breaks parsing.
 */
export const CloudEventSchema = z.looseObject({
  specversion: z.string().min(1),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().optional(),
  time: z.string().optional(),
  /** W3C trace context extension (distributed tracing). */
  traceparent: z.string().optional(),
  /** Delivery attempt extension, when the transport sets one (a string in binary mode). */
  deliveryattempt: z.union([z.string().regex(/^\d+$/).transform(Number), z.number().int()]).optional(),
  data: z.unknown(),
});
export type CloudEventEnvelope = z.infer<typeof CloudEventSchema>;

/** `google.events.cloud.storage.v1.StorageObjectData` as JSON: only the fields the pipeline reads. */
export const StorageObjectDataSchema = z.object({
  bucket: z.string().min(1),
  name: z.string().min(1),
  generation: Int64String,
  size: SafeInt64,
  contentType: z.string().optional(),
  timeCreated: z.string().optional(),
  metageneration: Int64String.optional(),
});
export type StorageObjectData = z.infer<typeof StorageObjectDataSchema>;

/** The Storage event data parsed straight into the core's {@link ObjectFinalized}. */
export const ObjectFinalizedFromStorageSchema = StorageObjectDataSchema.transform(
  (d): ObjectFinalized => ({
    bucket: d.bucket,
    name: d.name,
    generation: d.generation,
    size: d.size,
    contentType: d.contentType,
    timeCreated: d.timeCreated,
  }),
);

/** base64 of UTF-8 JSON, decoded and parsed (an empty message decodes to `null`). */
const Base64Json = z.base64('message.data must be base64').transform((b64, ctx): unknown => {
  if (b64 === '') return null;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.issues.push({ code: 'custom', message: 'message.data is not JSON', input: `${text.length} chars` });
    return z.NEVER;
  }
});

/**
 * `google.events.cloud.pubsub.v1.MessagePublishedData` as JSON. Pub/Sub and Eventarc send both the camelCase
 * and the legacy snake_case spelling of `messageId` / `publishTime`; either is accepted.
 */
export const PubSubEventDataSchema = z
  .object({
    message: z.object({
      data: Base64Json.default(''),
      attributes: z.record(z.string(), z.string()).default({}),
      messageId: z.string().min(1).optional(),
      message_id: z.string().min(1).optional(),
      publishTime: z.string().optional(),
      publish_time: z.string().optional(),
      orderingKey: z.string().optional(),
    }),
    subscription: z.string().optional(),
    /** Set by a push subscription that has a dead-letter policy. */
    deliveryAttempt: z.number().int().positive().optional(),
  })
  .transform((d, ctx) => {
    const messageId = d.message.messageId ?? d.message.message_id;
    if (!messageId) {
      ctx.issues.push({ code: 'custom', message: 'message.messageId is missing', input: d.message, path: ['message', 'messageId'] });
      return z.NEVER;
    }
    return {
      payload: d.message.data,
      attributes: d.message.attributes,
      messageId,
      publishTime: d.message.publishTime ?? d.message.publish_time,
      subscription: d.subscription,
      deliveryAttempt: d.deliveryAttempt,
    };
  });

export type EnvelopeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** What the Storage trigger hands to the `ocr` message handler. */
export interface StorageDelivery {
  /** The raw `data` (validated by the handler's schema, so a bad one is dead-lettered with its issues). */
  data: unknown;
  delivery: Delivery;
  eventId: string;
}

/** What a Pub/Sub trigger hands to its message handler. */
export interface PubSubDelivery {
  payload: unknown;
  delivery: Delivery;
  eventId: string;
  messageId: string;
}

/** What a Pub/Sub push subscription hands to its message handler. */
export interface PushDelivery {
  payload: unknown;
  delivery: Delivery;
  eventId: string;
  /** Whether the subscription reported `deliveryAttempt` (only subscriptions with a dead-letter policy do). */
  attemptKnown: boolean;
}

/** The `subscriber` name recorded in dead letters for Eventarc triggers, whose subscriptions have no fixed name. */
function triggerName(functionName: string): string {
  return `eventarc:${functionName}`;
}

/** `//pubsub.googleapis.com/projects/P/topics/T` -> `T`. */
export function topicOfSource(source: string): string | undefined {
  return /\/topics\/([^/?]+)$/.exec(source)?.[1];
}

/** `projects/P/subscriptions/S` -> `S`. */
function subscriptionId(name: string): string {
  return name.split('/').pop() ?? name;
}

/** Formats zod issues as one line: `path: message; path: message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/**
 * Reads a Storage `object.v1.finalized` CloudEvent. Fails (without throwing) when the envelope is not a
 * CloudEvent of that type; the object data itself is validated later by the handler's schema.
 */
export function parseStorageEvent(event: unknown, functionName: string): EnvelopeResult<StorageDelivery> {
  const ce = CloudEventSchema.safeParse(event);
  if (!ce.success) return { ok: false, reason: `not a CloudEvent: ${describeIssues(ce.error)}` };
  if (ce.data.type !== STORAGE_FINALIZED_TYPE) {
    return { ok: false, reason: `unexpected CloudEvent type ${ce.data.type}, expected ${STORAGE_FINALIZED_TYPE}` };
  }
  return {
    ok: true,
    value: {
      data: ce.data.data,
      eventId: ce.data.id,
      delivery: {
        topic: ce.data.source,
        subscription: triggerName(functionName),
        attempt: ce.data.deliveryattempt ?? 1,
        // The event time is the finalize time: the age limit counts from the upload.
        publishedAt: ce.data.time,
        traceparent: ce.data.traceparent,
      },
    },
  };
}

/**
 * Reads a Pub/Sub `messagePublished` CloudEvent (from Eventarc, or from a raw push converted by
 * functions-framework): decodes `message.data` (base64 JSON) into the payload and collects the delivery facts.
 * `fallbackTopic` names the topic when the event source does not. Fails (without throwing) on any envelope
 * problem, including data that is not base64 JSON.
 */
export function parsePubSubEvent(event: unknown, functionName: string, fallbackTopic: string): EnvelopeResult<PubSubDelivery> {
  const ce = CloudEventSchema.safeParse(event);
  if (!ce.success) return { ok: false, reason: `not a CloudEvent: ${describeIssues(ce.error)}` };
  if (ce.data.type !== PUBSUB_PUBLISHED_TYPE) {
    return { ok: false, reason: `unexpected CloudEvent type ${ce.data.type}, expected ${PUBSUB_PUBLISHED_TYPE}` };
  }
  const data = PubSubEventDataSchema.safeParse(ce.data.data);
  if (!data.success) return { ok: false, reason: `invalid Pub/Sub envelope: ${describeIssues(data.error)}` };
  const m = data.data;
  return {
    ok: true,
    value: {
      payload: m.payload,
      eventId: ce.data.id,
      messageId: m.messageId,
      delivery: {
        topic: topicOfSource(ce.data.source) ?? fallbackTopic,
        subscription: m.subscription ? subscriptionId(m.subscription) : triggerName(functionName),
        attempt: ce.data.deliveryattempt ?? m.deliveryAttempt ?? 1,
        publishedAt: m.publishTime ?? ce.data.time,
        attributes: m.attributes,
        traceparent: ce.data.traceparent ?? m.attributes.traceparent,
      },
    },
  };
}

/**
 * Reads the body of a Pub/Sub push request (https://cloud.google.com/pubsub/docs/push): decodes
 * `message.data` (base64 JSON) into the payload and collects the delivery facts. `topic` is the subscription's
 * topic (the push body does not name it). `deliveryAttempt` is present only when the subscription has a
 * dead-letter policy; without it the attempt is reported as 1 and `attemptKnown` is false. Fails (without
 * throwing) on any envelope problem, including data that is not base64 JSON.
 */
export function parsePushBody(body: unknown, topic: string): EnvelopeResult<PushDelivery> {
  const data = PubSubEventDataSchema.safeParse(body);
  if (!data.success) return { ok: false, reason: `not a Pub/Sub push body: ${describeIssues(data.error)}` };
  const m = data.data;
  return {
    ok: true,
    value: {
      payload: m.payload,
      eventId: m.messageId,
      attemptKnown: m.deliveryAttempt !== undefined,
      delivery: {
        topic,
        subscription: m.subscription ? subscriptionId(m.subscription) : 'unknown',
        attempt: m.deliveryAttempt ?? 1,
        publishedAt: m.publishTime,
        attributes: m.attributes,
        traceparent: m.attributes.traceparent,
      },
    },
  };
}

/** HTTP headers as Node gives them (lower-case names). */
export type HttpHeaders = Record<string, string | string[] | undefined>;

/**
 * The CloudEvent of an HTTP request, or null when the request is not one (then it is a Pub/Sub push):
 * binary mode (`ce-*` headers, the body is `data`) or structured mode (`application/cloudevents+json`, the
 * body is the event). The event is validated later by the trigger's parser.
 */
export function cloudEventOfRequest(headers: HttpHeaders, body: unknown): unknown {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  if (header('ce-specversion') !== undefined) {
    const attributes: Record<string, string> = {};
    for (const name of Object.keys(headers)) {
      const value = header(name);
      if (name.startsWith('ce-') && value !== undefined) attributes[name.slice(3)] = value;
    }
    return { ...attributes, data: body };
  }
  if (/^application\/cloudevents\+json\b/i.test(header('content-type') ?? '')) return body;
  return null;
}

/** The eventType attribute of a Cloud Storage Pub/Sub notification for a new object (generation). */
export const STORAGE_NOTIFICATION_FINALIZE = 'OBJECT_FINALIZE';

/**
 * CloudEvents shaped like the ones Eventarc delivers to Cloud Functions gen2, in both HTTP modes, plus the raw
 * Pub/Sub push body a push subscription sends. Field names and formats follow the published event data types
 * (`google.events.cloud.storage.v1.StorageObjectData`, `google.events.cloud.pubsub.v1.MessagePublishedData`):
 * int64 fields are strings, Pub/Sub data is base64, both camelCase and snake_case id/time are present.
 */
import { randomBytes } from 'node:crypto';

export const PROJECT = 'ledgerx-test';

export interface HttpEvent {
  headers: Record<string, string>;
  body: string;
}

export interface CloudEventParts {
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  data: unknown;
  extensions?: Record<string, string>;
}

/** A W3C traceparent with random ids. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** Binary content mode: attributes in `ce-*` headers, data as the body (how Eventarc delivers). */
export function binaryMode(ce: CloudEventParts): HttpEvent {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': ce.id,
    'ce-source': ce.source,
    'ce-type': ce.type,
    'ce-time': ce.time,
  };
  if (ce.subject) headers['ce-subject'] = ce.subject;
  for (const [k, v] of Object.entries(ce.extensions ?? {})) headers[`ce-${k}`] = v;
  return { headers, body: JSON.stringify(ce.data) };
}

/** Structured content mode: one JSON object with the attributes and `data`. */
export function structuredMode(ce: CloudEventParts): HttpEvent {
  const { extensions, ...attrs } = ce;
  return {
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ specversion: '1.0', datacontenttype: 'application/json', ...attrs, ...extensions }),
  };
}

export interface StorageObjectInput {
  bucket: string;
  name: string;
  generation: string;
  size: number;
  contentType?: string;
  time?: Date;
}

/** The `object.v1.finalized` CloudEvent of one upload. */
export function storageFinalizedEvent(o: StorageObjectInput, extensions: Record<string, string> = {}): CloudEventParts {
  const time = (o.time ?? new Date()).toISOString();
  return {
    id: String(Math.floor(Math.random() * 1e16)),
    source: `//storage.googleapis.com/projects/_/buckets/${o.bucket}`,
    type: 'google.cloud.storage.object.v1.finalized',
    subject: `objects/${o.name}`,
    time,
    extensions: { bucket: o.bucket, ...extensions },
    data: {
      kind: 'storage#object',
      id: `${o.bucket}/${o.name}/${o.generation}`,
      selfLink: `https://www.googleapis.com/storage/v1/b/${o.bucket}/o/${encodeURIComponent(o.name)}`,
      name: o.name,
      bucket: o.bucket,
      generation: o.generation,
      metageneration: '1',
      contentType: o.contentType ?? 'application/pdf',
      timeCreated: time,
      updated: time,
      storageClass: 'STANDARD',
      timeStorageClassUpdated: time,
      size: String(o.size),
      md5Hash: 'XrY7u+Ae7tCTyyK7j1rNww==',
      mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${o.bucket}/o/${encodeURIComponent(o.name)}?generation=${o.generation}&alt=media`,
      crc32c: 'AAAAAA==',
      etag: 'CKih16GjycICEAE=',
    },
  };
}

export interface PubSubInput {
  topic: string;
  payload: unknown;
  attributes?: Record<string, string>;
  messageId?: string;
  publishTime?: Date;
  subscription?: string;
}

function base64Json(payload: unknown): string {
  return typeof payload === 'string' ? payload : Buffer.from(JSON.stringify(payload)).toString('base64');
}

/** The `messagePublished` CloudEvent of one Pub/Sub message (pass a string payload to send it as is). */
export function pubsubPublishedEvent(m: PubSubInput, extensions: Record<string, string> = {}): CloudEventParts {
  const messageId = m.messageId ?? String(Math.floor(Math.random() * 1e16));
  const publishTime = (m.publishTime ?? new Date()).toISOString();
  return {
    id: messageId,
    source: `//pubsub.googleapis.com/projects/${PROJECT}/topics/${m.topic}`,
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    time: publishTime,
    extensions,
    data: {
      message: {
        data: base64Json(m.payload),
        attributes: m.attributes ?? {},
        messageId,
        message_id: messageId,
        publishTime,
        publish_time: publishTime,
      },
      subscription: m.subscription ?? `projects/${PROJECT}/subscriptions/eventarc-europe-west1-${m.topic}-sub-123`,
    },
  };
}

/** The body of a Pub/Sub push subscription (no CloudEvent headers); POSTed to `/projects/P/topics/T`. */
export function rawPushBody(m: PubSubInput): string {
  const messageId = m.messageId ?? String(Math.floor(Math.random() * 1e16));
  const publishTime = (m.publishTime ?? new Date()).toISOString();
  return JSON.stringify({
    message: { data: base64Json(m.payload), attributes: m.attributes ?? {}, messageId, message_id: messageId, publishTime, publish_time: publishTime },
    subscription: m.subscription ?? `projects/${PROJECT}/subscriptions/${m.topic}-push`,
  });
}

/** What functions-framework hands the user function for `ce` (attributes top-level, extensions included). */
export function asReceived(ce: CloudEventParts): Record<string, unknown> {
  const { extensions, ...attrs } = ce;
  return { specversion: '1.0', ...attrs, ...extensions };
}

/** A Pub/Sub push request as a subscription with a dead-letter policy sends it (`deliveryAttempt` included). */
export function pushRequest(m: PubSubInput & { deliveryAttempt?: number }): HttpEvent {
  const body = JSON.parse(rawPushBody(m)) as Record<string, unknown>;
  return {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, ...(m.deliveryAttempt !== undefined ? { deliveryAttempt: m.deliveryAttempt } : {}) }),
  };
}

/**
 * The Pub/Sub message of a Cloud Storage notification (payload format JSON_API_V1): the object resource as
 * data, and the notification's attributes (https://cloud.google.com/storage/docs/pubsub-notifications).
 */
export function storageNotification(o: StorageObjectInput, eventType = 'OBJECT_FINALIZE'): { payload: unknown; attributes: Record<string, string> } {
  const ce = storageFinalizedEvent(o);
  return {
    payload: ce.data,
    attributes: {
      notificationConfig: `projects/_/buckets/${o.bucket}/notificationConfigs/1`,
      eventType,
      payloadFormat: 'JSON_API_V1',
      bucketId: o.bucket,
      objectId: o.name,
      objectGeneration: o.generation,
      eventTime: ce.time,
    },
  };
}

/** The push request of a Cloud Storage notification to the ocr function. */
export function storageNotificationPush(o: StorageObjectInput, options: { eventType?: string; deliveryAttempt?: number; topic?: string } = {}): HttpEvent {
  const { payload, attributes } = storageNotification(o, options.eventType);
  return pushRequest({ topic: options.topic ?? 'object-finalized', payload, attributes, publishTime: o.time, deliveryAttempt: options.deliveryAttempt });
}

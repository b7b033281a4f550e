import { describe, expect, it } from 'vitest';
import {
  ObjectFinalizedFromStorageSchema, parsePubSubEvent, parseStorageEvent, topicOfSource,
} from '../../functions/platform/gcp/envelopes.js';
import { asReceived, newTraceparent, pubsubPublishedEvent, storageFinalizedEvent } from '../functions/cloud-events.js';

const object = { bucket: 'ledgerx-inbox', name: 'inbox/2025/06/30/a.pdf', generation: '1719745200123456', size: 48213 };

describe('Storage object.v1.finalized envelope', () => {
  it('maps the event data onto ObjectFinalized, parsing int64 strings', () => {
    const ce = storageFinalizedEvent(object);
    const env = parseStorageEvent(asReceived(ce), 'ocr');
    expect(env.ok).toBe(true);
    if (!env.ok) return;
    expect(env.value.delivery).toMatchObject({ subscription: 'eventarc:ocr', attempt: 1, publishedAt: ce.time });
    expect(ObjectFinalizedFromStorageSchema.parse(env.value.data)).toEqual({
      bucket: object.bucket,
      name: object.name,
      generation: '1719745200123456',
      size: 48213,
      contentType: 'application/pdf',
      timeCreated: ce.time,
    });
  });

  it('keeps a generation beyond 2^53 exact (never a number)', () => {
    const data = { ...(storageFinalizedEvent(object).data as object), generation: '9007199254740993123' };
    expect(ObjectFinalizedFromStorageSchema.parse(data).generation).toBe('9007199254740993123');
  });

  it.each([
    ['numeric size', { size: 48213 }, 'size'],
    ['negative size', { size: '-1' }, 'size'],
    ['size beyond 2^53', { size: '90071992547409930' }, 'size'],
    ['numeric generation', { generation: 1719745200123456 }, 'generation'],
    ['missing name', { name: undefined }, 'name'],
  ])('rejects %s', (_label, patch, path) => {
    const data = { ...(storageFinalizedEvent(object).data as object), ...patch };
    const r = ObjectFinalizedFromStorageSchema.safeParse(data);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('takes the traceparent and the delivery attempt from CloudEvent extensions', () => {
    const tp = newTraceparent();
    const env = parseStorageEvent(asReceived(storageFinalizedEvent(object, { traceparent: tp, deliveryattempt: '3' })), 'ocr');
    expect(env.ok && env.value.delivery).toMatchObject({ traceparent: tp, attempt: 3 });
  });

  it('refuses an event of another type and one that is no CloudEvent', () => {
    const wrongType = { ...asReceived(storageFinalizedEvent(object)), type: 'google.cloud.storage.object.v1.deleted' };
    expect(parseStorageEvent(wrongType, 'ocr')).toMatchObject({ ok: false, reason: expect.stringContaining('unexpected CloudEvent type') });
    expect(parseStorageEvent({ hello: 'world' }, 'ocr')).toMatchObject({ ok: false, reason: expect.stringContaining('not a CloudEvent') });
    expect(parseStorageEvent(undefined, 'ocr').ok).toBe(false);
  });
});

describe('Pub/Sub messagePublished envelope', () => {
  const payload = { schemaVersion: 1, invoiceId: 'inv_1' };

  it('decodes base64 JSON data and collects the delivery facts', () => {
    const publishTime = new Date('2025-06-30T10:00:00.000Z');
    const ce = pubsubPublishedEvent({ topic: 'ledgerx-ocr-completed', payload, attributes: { a: 'b' }, messageId: '42', publishTime });
    const env = parsePubSubEvent(asReceived(ce), 'features', 'fallback');
    expect(env).toEqual({
      ok: true,
      value: {
        payload,
        eventId: '42',
        messageId: '42',
        delivery: {
          topic: 'ledgerx-ocr-completed',
          subscription: 'eventarc-europe-west1-ledgerx-ocr-completed-sub-123',
          attempt: 1,
          publishedAt: publishTime.toISOString(),
          attributes: { a: 'b' },
          traceparent: undefined,
        },
      },
    });
  });

  it('accepts the snake_case spelling alone and a missing subscription (raw push converted by functions-framework)', () => {
    const received = {
      specversion: '1.0',
      id: '7',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/p/topics/t',
      data: { message: { data: Buffer.from('{"x":1}').toString('base64'), message_id: '7', publish_time: '2025-01-01T00:00:00Z' } },
    };
    const env = parsePubSubEvent(received, 'inference', 'fallback');
    expect(env.ok && env.value).toMatchObject({ payload: { x: 1 }, messageId: '7', delivery: { topic: 't', subscription: 'eventarc:inference', attributes: {} } });
  });

  it('uses the delivery attempt of a push subscription with a dead-letter policy', () => {
    const ce = pubsubPublishedEvent({ topic: 't', payload });
    (ce.data as Record<string, unknown>).deliveryAttempt = 4;
    const env = parsePubSubEvent(asReceived(ce), 'features', 'fallback');
    expect(env.ok && env.value.delivery.attempt).toBe(4);
  });

  it.each([
    ['data that is not base64', '***not base64***', 'base64'],
    ['base64 that is not JSON', Buffer.from('not json {').toString('base64'), 'not JSON'],
  ])('fails on %s', (_label, data, reason) => {
    const env = parsePubSubEvent(asReceived(pubsubPublishedEvent({ topic: 't', payload: data })), 'features', 'fallback');
    expect(env).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('fails without a message or without a message id', () => {
    const ce = asReceived(pubsubPublishedEvent({ topic: 't', payload }));
    expect(parsePubSubEvent({ ...ce, data: { subscription: 's' } }, 'features', 'f').ok).toBe(false);
    const noId = { ...ce, data: { message: { data: Buffer.from('{}').toString('base64') } } };
    expect(parsePubSubEvent(noId, 'features', 'f')).toMatchObject({ ok: false, reason: expect.stringContaining('messageId') });
  });

  it('reads the topic id out of the event source', () => {
    expect(topicOfSource('//pubsub.googleapis.com/projects/p/topics/ledgerx-features')).toBe('ledgerx-features');
    expect(topicOfSource('//storage.googleapis.com/projects/_/buckets/b')).toBeUndefined();
  });
});

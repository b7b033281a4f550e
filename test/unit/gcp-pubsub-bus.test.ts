import type { PubSub } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { createPubSubBus, decodePubSubData, parsePubSubPush } from '../../functions/adapters/gcp/pubsub-bus.js';
import { PermanentError, RetryableError } from '../../functions/core/errors.js';
import { Topics, type Topic } from '../../functions/core/messages.js';
import { ocrCompleted } from '../contracts/bus-fixtures.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

describe('Pub/Sub push parsing', () => {
  it('parses a push body and decodes its JSON data', () => {
    const message = ocrCompleted('inv-1');
    const push = parsePubSubPush({
      message: { data: b64(message), attributes: { invoiceId: 'inv-1' }, messageId: '42', publishTime: '2025-03-01T00:00:00Z', orderingKey: 'k' },
      subscription: 'projects/p/subscriptions/features',
      deliveryAttempt: 3,
    });
    expect(push).toEqual({
      subscription: 'projects/p/subscriptions/features',
      messageId: '42',
      publishTime: '2025-03-01T00:00:00Z',
      orderingKey: 'k',
      attributes: { invoiceId: 'inv-1' },
      deliveryAttempt: 3,
      data: message,
    });
    expect(parsePubSubPush({ message: { messageId: '1' }, subscription: 's' }).data).toBeNull();
  });

  it.each([
    ['a body without message', { subscription: 's' }],
    ['a message without id', { message: { data: b64({}) }, subscription: 's' }],
    ['data that is not base64', { message: { data: '***', messageId: '1' }, subscription: 's' }],
    ['data that is not JSON', { message: { data: Buffer.from('not json').toString('base64'), messageId: '1' }, subscription: 's' }],
  ])('refuses %s as a permanent INVALID_MESSAGE', (_label, body) => {
    expect(() => parsePubSubPush(body)).toThrow(PermanentError);
    try {
      parsePubSubPush(body);
    } catch (err) {
      expect((err as PermanentError).code).toBe('INVALID_MESSAGE');
    }
  });

  it('decodes base64 JSON data', () => {
    expect(decodePubSubData(b64({ a: [1, 2] }))).toEqual({ a: [1, 2] });
  });
});

describe('Pub/Sub bus error handling (client double: only failures the emulator cannot produce)', () => {
  const names = Object.fromEntries(Object.values(Topics).map((t) => [t, `real-${t}`])) as Record<Topic, string>;

  it('turns UNAVAILABLE into RetryableError and resumes a paused ordering key', async () => {
    const resumed: string[] = [];
    const topics: Array<{ name: string; ordering: boolean }> = [];
    const fake = {
      topic: (name: string, opts?: { messageOrdering?: boolean }) => {
        topics.push({ name, ordering: opts?.messageOrdering === true });
        return {
          publishMessage: async () => {
            throw Object.assign(new Error('14 UNAVAILABLE'), { code: 14 });
          },
          resumePublishing: (key: string) => void resumed.push(key),
        };
      },
    } as unknown as PubSub;
    const bus = createPubSubBus(fake, names);
    await expect(bus.publish(Topics.ocrCompleted, ocrCompleted('a'), { orderingKey: 'k1' })).rejects.toBeInstanceOf(RetryableError);
    await expect(bus.publish(Topics.ocrCompleted, ocrCompleted('a'), { orderingKey: 'k1' })).rejects.toBeInstanceOf(RetryableError);
    expect(resumed).toEqual(['k1', 'k1']);
    expect(topics).toEqual([{ name: 'real-ocr-completed', ordering: true }]);
  });
});

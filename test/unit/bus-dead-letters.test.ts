import { afterEach, describe, expect, it, vi } from 'vitest';
import { PermanentError, RetryableError } from '../../functions/core/errors.js';
import { DeadLetterSchema } from '../../functions/core/messages.js';
import { features, makeBus } from '../contracts/bus-fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('local bus: dead letters and replay', () => {
  it('dead-letters a message after maxAttempts with the last error, attempt count and timestamps', async () => {
    vi.useFakeTimers({ now: new Date('2025-03-01T00:00:00Z') });
    const { bus, deadLetters } = makeBus();
    let calls = 0;
    bus.subscribe(
      'features-computed',
      'inference',
      () => {
        calls += 1;
        throw new RetryableError('UNAVAILABLE', `model server unavailable (try ${calls})`);
      },
      { maxAttempts: 4, minBackoffMs: 100, maxBackoffMs: 300 },
    );
    await bus.publish('features-computed', features('inv-9'), { attributes: { trace: 't-1' } });
    const drained = bus.drain();
    await vi.runAllTimersAsync();
    await drained;
    expect(calls).toBe(4);
    const [entry, ...rest] = await deadLetters.list();
    expect(rest).toEqual([]);
    expect(DeadLetterSchema.safeParse(entry).success).toBe(true);
    expect(entry).toMatchObject({
      topic: 'features-computed',
      subscription: 'inference',
      payload: features('inv-9'),
      attributes: { trace: 't-1' },
      reason: 'model server unavailable (try 4)',
      code: 'UNAVAILABLE',
      attempts: 4,
      invoiceId: 'inv-9',
      firstAttemptAt: '2025-03-01T00:00:00.000Z',
    });
    // Backoffs of 75 + 150 + 225 (capped at 300, jitter 0.5) ms between the four attempts.
    expect(entry!.deadLetteredAt).toBe('2025-03-01T00:00:00.450Z');
    expect(bus.stats()).toMatchObject({ delivered: 4, nacked: 4, acked: 0, deadLettered: 1, outstanding: 0 });
  });

  it('dead-letters a PermanentError at once: no retry can fix it', async () => {
    const { bus, deadLetters } = makeBus();
    const handler = vi.fn(() => {
      throw new PermanentError('PDF_ENCRYPTED', 'encrypted');
    });
    bus.subscribe('features-computed', 'features', handler, { maxAttempts: 5 });
    await bus.publish('features-computed', features('inv-1'));
    await bus.drain();
    expect(handler).toHaveBeenCalledTimes(1);
    expect(await deadLetters.list()).toMatchObject([{ code: 'PDF_ENCRYPTED', attempts: 1, reason: 'encrypted' }]);
  });

  it('records dead letters published by handlers to the dead-letter topic', async () => {
    const { bus, deadLetters } = makeBus();
    const audit = vi.fn();
    bus.subscribe('dead-letter', 'audit', audit);
    await bus.publish('dead-letter', {
      topic: 'ocr-completed',
      subscription: 'features',
      payload: { invoiceId: 'inv-3' },
      attributes: {},
      reason: 'invalid message',
      code: 'INVALID_MESSAGE',
      attempts: 1,
      firstAttemptAt: '2025-03-01T00:00:00.000Z',
      deadLetteredAt: '2025-03-01T00:00:01.000Z',
      invoiceId: 'inv-3',
    });
    await bus.drain();
    expect(await deadLetters.count()).toBe(1);
    expect(audit).toHaveBeenCalledTimes(1);
  });

  it('replays dead letters to their own subscription once, after which they are marked replayed', async () => {
    const { bus, deadLetters } = makeBus({ defaults: { maxAttempts: 2, minBackoffMs: 1, maxBackoffMs: 2 } });
    let healthy = false;
    const processed: string[] = [];
    const other = vi.fn();
    bus.subscribe('features-computed', 'inference', (m, ctx) => {
      if (!healthy) throw new Error('model not loaded');
      processed.push(`${m.invoiceId}:${ctx.attributes.replayOf ?? '-'}`);
    });
    bus.subscribe('features-computed', 'audit', other);
    await bus.publish('features-computed', features('inv-1'));
    await bus.publish('features-computed', features('inv-2'));
    await bus.drain();
    expect(await deadLetters.count()).toBe(2);
    expect(other).toHaveBeenCalledTimes(2);

    healthy = true;
    const [first] = await deadLetters.list();
    const partial = await bus.replayDeadLetters({ invoiceId: 'inv-1' });
    expect(partial).toEqual({ replayed: 1, ids: [first!.id], invalid: [] });
    await bus.drain();
    expect(processed).toEqual([`inv-1:${first!.id}`]);

    const rest = await bus.replayDeadLetters();
    expect(rest.replayed).toBe(1);
    await bus.drain();
    expect(processed.map((p) => p.split(':')[0])).toEqual(['inv-1', 'inv-2']);
    expect(other).toHaveBeenCalledTimes(2); // the healthy subscription is not bothered by the replay
    expect(await deadLetters.count()).toBe(0);
    expect(await deadLetters.count({ includeReplayed: true })).toBe(2);
    expect((await deadLetters.get(first!.id))?.replayedAt).toMatch(/^\d{4}-/);
    expect(await bus.replayDeadLetters()).toEqual({ replayed: 0, ids: [], invalid: [] });
    expect(bus.stats()).toMatchObject({ replayed: 2, deadLettered: 2 });
  });

  it('replays to every subscription of the topic when the original one is gone', async () => {
    const { bus } = makeBus({ defaults: { maxAttempts: 1 } });
    const gone = bus.subscribe('features-computed', 'old', () => {
      throw new Error('bug');
    });
    await bus.publish('features-computed', features('inv-1'));
    await bus.drain();
    gone.close();
    const fresh = vi.fn();
    bus.subscribe('features-computed', 'new', fresh);
    expect((await bus.replayDeadLetters()).replayed).toBe(1);
    await bus.drain();
    expect(fresh).toHaveBeenCalledTimes(1);
  });

  it('leaves a dead letter whose payload no longer validates in the store instead of replaying it', async () => {
    const { bus, deadLetters } = makeBus();
    const handler = vi.fn();
    bus.subscribe('features-computed', 'inference', handler);
    const id = await deadLetters.record({
      topic: 'features-computed',
      subscription: 'inference',
      payload: { invoiceId: 'inv-1', schemaVersion: 0 },
      attributes: {},
      reason: 'r',
      code: 'C',
      attempts: 5,
      firstAttemptAt: '2025-03-01T00:00:00.000Z',
      deadLetteredAt: '2025-03-01T00:00:00.000Z',
    });
    expect(await bus.replayDeadLetters()).toEqual({ replayed: 0, ids: [], invalid: [id] });
    await bus.drain();
    expect(handler).not.toHaveBeenCalled();
    expect(await deadLetters.count()).toBe(1);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { PermanentError } from '../../functions/core/errors.js';
import { backoffDelay } from '../../functions/adapters/local/local-bus.js';
import { features, flushMicrotasks, makeBus, ocrCompleted } from '../contracts/bus-fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('local bus: publish and fan-out', () => {
  it('refuses a message that does not match its topic schema, naming the problem', async () => {
    const { bus } = makeBus();
    const seen = vi.fn();
    bus.subscribe('features-computed', 'inference', seen);
    const bad = { ...features('inv-1'), schemaVersion: 2 } as never;
    const attempt = bus.publish('features-computed', bad);
    await expect(attempt).rejects.toBeInstanceOf(PermanentError);
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringMatching(/schemaVersion/) });
    await expect(bus.publish('no-such-topic' as never, {} as never)).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    await bus.drain();
    expect(seen).not.toHaveBeenCalled();
    expect(bus.stats().published).toBe(0);
  });

  it('delivers each message to every subscription of its topic, each with its own copy', async () => {
    const { bus } = makeBus();
    const got: Record<string, unknown[]> = { a: [], b: [], other: [] };
    bus.subscribe('features-computed', 'a', (m) => {
      got.a!.push(structuredClone(m));
      m.features.total = 999; // must not leak into b's copy
    });
    bus.subscribe('features-computed', 'b', (m, ctx) => {
      got.b!.push(m);
      expect(ctx).toMatchObject({ topic: 'features-computed', subscription: 'b', deliveryAttempt: 1, attributes: { k: 'v' } });
    });
    bus.subscribe('ocr-completed', 'other', (m) => void got.other!.push(m));
    const id = await bus.publish('features-computed', features('inv-1'), { attributes: { k: 'v' } });
    expect(id).toMatch(/\S/);
    await bus.drain();
    expect(got.a).toEqual([features('inv-1')]);
    expect(got.b).toEqual([features('inv-1')]);
    expect(got.other).toEqual([]);
    expect(bus.stats()).toMatchObject({ published: 1, delivered: 2, acked: 2, nacked: 0, outstanding: 0 });
  });

  it('does not deliver messages published before a subscription existed (Pub/Sub semantics)', async () => {
    const { bus } = makeBus();
    await bus.publish('features-computed', features('early'));
    const seen = vi.fn();
    bus.subscribe('features-computed', 'late', seen);
    await bus.publish('features-computed', features('later'));
    await bus.drain();
    expect(seen.mock.calls.map(([m]) => m.invoiceId)).toEqual(['later']);
  });

  it('drains a whole chain: handlers that publish keep the bus busy until the last hop', async () => {
    const { bus } = makeBus();
    const scored: string[] = [];
    bus.subscribe('ocr-completed', 'features', async (m) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await bus.publish('features-computed', features(m.invoiceId));
    });
    bus.subscribe('features-computed', 'inference', async (m) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      scored.push(m.invoiceId);
    });
    await Promise.all(['i1', 'i2', 'i3'].map((id) => bus.publish('ocr-completed', ocrCompleted(id))));
    await bus.drain();
    expect(scored.sort()).toEqual(['i1', 'i2', 'i3']);
  });

  it('never runs more handlers of a subscription at once than its concurrency', async () => {
    const { bus } = makeBus();
    let running = 0;
    let peak = 0;
    bus.subscribe(
      'features-computed',
      'slow',
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 7; i++) await bus.publish('features-computed', features(`i${i}`));
    await bus.drain();
    expect(peak).toBe(2);
    expect(bus.stats().acked).toBe(7);
  });
});

describe('local bus: retries and backoff', () => {
  it('grows the backoff exponentially with jitter and caps it at maxBackoffMs', () => {
    const opts = { minBackoffMs: 100, maxBackoffMs: 1_000 };
    expect(backoffDelay(1, opts, 0)).toBe(50);
    expect(backoffDelay(1, opts, 0.999)).toBeCloseTo(99.95);
    expect(backoffDelay(2, opts, 0)).toBe(100);
    expect(backoffDelay(3, opts, 1)).toBe(400);
    for (let attempt = 1; attempt < 40; attempt++) {
      expect(backoffDelay(attempt, opts, 0.999)).toBeLessThanOrEqual(1_000);
      expect(backoffDelay(attempt + 1, opts, 0)).toBeGreaterThanOrEqual(backoffDelay(attempt, opts, 0));
    }
  });

  it('redelivers a nacked message after the backoff until the handler acks', async () => {
    vi.useFakeTimers({ now: new Date('2025-03-01T00:00:00Z') });
    const { bus } = makeBus();
    const at: number[] = [];
    bus.subscribe(
      'features-computed',
      'flaky',
      (_m, ctx) => {
        at.push(Date.now());
        expect(ctx.deliveryAttempt).toBe(at.length);
        if (at.length < 3) throw new Error('UNAVAILABLE');
      },
      { minBackoffMs: 100, maxBackoffMs: 10_000, maxAttempts: 5 },
    );
    const t0 = Date.now();
    await bus.publish('features-computed', features('inv-1'));
    const drained = bus.drain();
    await flushMicrotasks();
    expect(at).toEqual([t0]);
    await vi.advanceTimersByTimeAsync(74);
    expect(at).toHaveLength(1); // jitter 0.5: first retry after 75 ms, second 150 ms later
    await vi.advanceTimersByTimeAsync(1);
    expect(at).toEqual([t0, t0 + 75]);
    await vi.advanceTimersByTimeAsync(150);
    expect(at).toEqual([t0, t0 + 75, t0 + 225]);
    await drained;
    expect(bus.stats()).toMatchObject({ delivered: 3, nacked: 2, acked: 1, deadLettered: 0, outstanding: 0 });
  });

  it('keeps publish order per ordering key, holding later messages while an earlier one is retried', async () => {
    vi.useFakeTimers();
    const { bus } = makeBus();
    const events: string[] = [];
    let failedOnce = false;
    bus.subscribe(
      'features-computed',
      'ordered',
      async (m) => {
        events.push(`start ${m.invoiceId}`);
        await new Promise((resolve) => setTimeout(resolve, m.invoiceId === 'a1' ? 50 : 1));
        if (m.invoiceId === 'a2' && !failedOnce) {
          failedOnce = true;
          throw new Error('transient');
        }
        events.push(`ack ${m.invoiceId}`);
      },
      { concurrency: 8, minBackoffMs: 10, maxBackoffMs: 10 },
    );
    for (const id of ['a1', 'a2', 'a3']) await bus.publish('features-computed', features(id), { orderingKey: 'supplier-A' });
    await bus.publish('features-computed', features('b1'), { orderingKey: 'supplier-B' });
    await bus.publish('features-computed', features('free'));
    const drained = bus.drain();
    await vi.runAllTimersAsync();
    await drained;
    const keyA = events.filter((e) => e.includes(' a'));
    expect(keyA).toEqual(['start a1', 'ack a1', 'start a2', 'start a2', 'ack a2', 'start a3', 'ack a3']);
    // Other keys and unkeyed messages are not held up by supplier-A's slow head.
    expect(events.indexOf('ack b1')).toBeLessThan(events.indexOf('ack a1'));
    expect(events.indexOf('ack free')).toBeLessThan(events.indexOf('ack a1'));
  });

  it('drops scheduled retries and refuses publishes after close()', async () => {
    vi.useFakeTimers();
    const { bus } = makeBus();
    const handler = vi.fn(() => {
      throw new Error('down');
    });
    bus.subscribe('features-computed', 'down', handler, { minBackoffMs: 1_000, maxBackoffMs: 1_000 });
    await bus.publish('features-computed', features('inv-1'));
    await flushMicrotasks();
    expect(handler).toHaveBeenCalledTimes(1);
    await bus.close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(handler).toHaveBeenCalledTimes(1);
    await bus.drain();
    await expect(bus.publish('features-computed', features('inv-2'))).rejects.toThrow(/closed/);
  });

  it('lets a closed subscription stop receiving without blocking drain', async () => {
    vi.useFakeTimers();
    const { bus } = makeBus();
    const handler = vi.fn(() => {
      throw new Error('down');
    });
    const sub = bus.subscribe('features-computed', 'gone', handler, { minBackoffMs: 1_000, maxBackoffMs: 1_000 });
    await bus.publish('features-computed', features('inv-1'));
    await flushMicrotasks();
    sub.close();
    await bus.drain();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(bus.stats().outstanding).toBe(0);
  });
});

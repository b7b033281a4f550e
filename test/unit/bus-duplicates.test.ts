import { afterEach, describe, expect, it, vi } from 'vitest';
import { once } from '../../functions/core/idempotency.js';
import { SqliteIdempotencyStore } from '../../functions/adapters/local/sqlite/idempotency-store.js';
import { features, makeBus } from '../contracts/bus-fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('local bus: duplicate delivery (fault injection)', () => {
  it('delivers every message N times to each subscription', async () => {
    const { bus } = makeBus({ deliveryCopies: 3 });
    const seen: string[] = [];
    bus.subscribe('features-computed', 'dup', (m, ctx) => void seen.push(`${m.invoiceId}#${ctx.messageId}`));
    await bus.publish('features-computed', features('inv-1'));
    await bus.publish('features-computed', features('inv-2'));
    await bus.drain();
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(2); // copies share the message id, like a Pub/Sub redelivery
    expect(bus.stats()).toMatchObject({ published: 2, delivered: 6, acked: 6 });
  });

  it('keeps duplicates of an ordered message together and in order', async () => {
    const { bus } = makeBus({ deliveryCopies: 2 });
    const seen: string[] = [];
    bus.subscribe('features-computed', 'ordered', async (m) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(m.invoiceId);
    });
    for (const id of ['a', 'b', 'c']) await bus.publish('features-computed', features(id), { orderingKey: 'k' });
    await bus.drain();
    expect(seen).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });

  it('with once() and the embedded idempotency store, runs the work once per message despite 3 copies', async () => {
    vi.useFakeTimers({ now: new Date('2025-03-01T00:00:00Z') });
    const { bus, db, deadLetters } = makeBus({ deliveryCopies: 3, defaults: { minBackoffMs: 50, maxBackoffMs: 200 } });
    const store = new SqliteIdempotencyStore(db);
    const clock = { now: () => new Date() };
    const runs = new Map<string, number>();
    bus.subscribe(
      'features-computed',
      'inference',
      async (m) => {
        await once(
          store,
          `inference:${m.invoiceId}`,
          async () => {
            runs.set(m.invoiceId, (runs.get(m.invoiceId) ?? 0) + 1);
            await new Promise((resolve) => setTimeout(resolve, 30)); // copies arrive while this runs
            return { scored: true };
          },
          { ttlMs: 60_000, clock },
        );
      },
      { concurrency: 8 },
    );
    for (const id of ['i1', 'i2', 'i3']) await bus.publish('features-computed', features(id));
    const drained = bus.drain();
    await vi.runAllTimersAsync();
    await drained;
    expect(Object.fromEntries(runs)).toEqual({ i1: 1, i2: 1, i3: 1 });
    const stats = bus.stats();
    // The copies that found the claim in progress were nacked and redelivered, then found it completed.
    expect(stats.nacked).toBe(6);
    expect(stats.acked).toBe(9);
    expect(await deadLetters.count()).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { DeferredError, RetryableError } from '../../functions/core/errors.js';
import { features, makeBus } from '../contracts/bus-fixtures.js';

describe('local bus: work in progress elsewhere', () => {
  it('redelivers a deferred message without spending its delivery attempts', async () => {
    const { bus, deadLetters, db } = makeBus({ defaults: { maxAttempts: 2, minBackoffMs: 1, maxBackoffMs: 5 } });
    let calls = 0;
    bus.subscribe('features-computed', 'inference', () => {
      calls++;
      if (calls <= 6) throw new DeferredError('IDEMPOTENCY_IN_PROGRESS', 'busy', 1);
    });
    await bus.publish('features-computed', features('inv_1'));
    await bus.drain();
    expect(calls).toBe(7);
    expect(await deadLetters.count({})).toBe(0);
    expect(bus.stats().acked).toBe(1);
    await bus.close();
    db.close();
  });

  it('still dead-letters ordinary retryable failures after maxAttempts', async () => {
    const { bus, deadLetters, db } = makeBus({ defaults: { maxAttempts: 2, minBackoffMs: 1, maxBackoffMs: 5 } });
    bus.subscribe('features-computed', 'inference', () => {
      throw new RetryableError('UNAVAILABLE', 'down');
    });
    await bus.publish('features-computed', features('inv_2'));
    await bus.drain();
    expect(await deadLetters.count({})).toBe(1);
    await bus.close();
    db.close();
  });
});

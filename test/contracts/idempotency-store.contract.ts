import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../functions/core/errors.js';
import { once } from '../../functions/core/idempotency.js';
import type { Clock, IdempotencyStore } from '../../functions/core/ports.js';

/** A fresh, empty {@link IdempotencyStore}; `dispose` releases it. */
export interface IdempotencyStoreHarness {
  store: IdempotencyStore;
  dispose(): Promise<void>;
}

const T0 = new Date('2025-03-01T08:00:00.000Z');
const after = (ms: number) => new Date(T0.getTime() + ms);

/**
 * The behaviour every {@link IdempotencyStore} adapter must have (embedded database, Firestore): a claim is
 * won by exactly one contender, a live claim reports in-progress until it expires, a completed key returns
 * its result forever, and a release frees the key; `once()` on top runs a key's work once.
 */
export function runIdempotencyStoreContract(name: string, factory: () => Promise<IdempotencyStoreHarness>): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    let h: IdempotencyStoreHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.dispose();
    });

    it('lets exactly one of concurrent claims win; the others see it in progress', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, () => h.store.claim('ocr:inv-1', 60_000, T0)));
      expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
      for (const r of results.filter((x) => x.state === 'claimed')) expect(r.token).toMatch(/\S{8,}/);
      for (const r of results.filter((x) => x.state !== 'claimed')) {
        expect(r).toEqual({ state: 'in-progress', expiresAt: after(60_000).toISOString() });
      }
    });

    it('keeps a live claim until it expires, then lets it be taken over once', async () => {
      expect((await h.store.claim('k', 1_000, T0)).state).toBe('claimed');
      expect((await h.store.claim('k', 1_000, after(999))).state).toBe('in-progress');
      const takeovers = await Promise.all([h.store.claim('k', 1_000, after(1_001)), h.store.claim('k', 1_000, after(1_001))]);
      expect(takeovers.map((r) => r.state).sort()).toEqual(['claimed', 'in-progress']);
      expect(await h.store.claim('k', 1_000, after(1_500))).toEqual({ state: 'in-progress', expiresAt: after(2_001).toISOString() });
    });

    it('lets only the owner of a claim complete or release it: an expired claim taken over stays with its new owner', async () => {
      const first = await h.store.claim('inference:inv-9:r1', 1_000, T0);
      if (first.state !== 'claimed') throw new Error('first claim lost');
      // The first worker stalls past its claim's expiry; a second worker takes the key over.
      const second = await h.store.claim('inference:inv-9:r1', 1_000, after(1_001));
      if (second.state !== 'claimed') throw new Error('takeover lost');
      expect(second.token).not.toBe(first.token);
      // The stalled worker wakes up: neither its release nor its completion touches the new owner's claim.
      expect(await h.store.release('inference:inv-9:r1', first.token)).toBe(false);
      expect(await h.store.claim('inference:inv-9:r1', 1_000, after(1_100))).toEqual({ state: 'in-progress', expiresAt: after(2_001).toISOString() });
      expect(await h.store.complete('inference:inv-9:r1', first.token, { by: 'first' }, after(1_200))).toBe(false);
      expect((await h.store.claim('inference:inv-9:r1', 1_000, after(1_300))).state).toBe('in-progress');
      // The owner completes; its result is the one kept, and a late release by the old owner changes nothing.
      expect(await h.store.complete('inference:inv-9:r1', second.token, { by: 'second' }, after(1_400))).toBe(true);
      expect(await h.store.release('inference:inv-9:r1', first.token)).toBe(false);
      expect(await h.store.claim('inference:inv-9:r1', 1_000, after(9_000))).toEqual({ state: 'completed', result: { by: 'second' } });
    });

    it('runs the work of an expired, taken-over claim once more, and only the new owner records the result', async () => {
      let now = T0;
      const clock: Clock = { now: () => now };
      let release!: () => void;
      const stalled = new Promise<void>((r) => (release = r));
      const slow = once(h.store, 'k-stall', async () => {
        await stalled;
        return 'slow';
      }, { ttlMs: 1_000, clock });
      await new Promise((r) => setTimeout(r, 20));
      now = after(5_000);
      const fast = await once(h.store, 'k-stall', async () => 'fast', { ttlMs: 1_000, clock });
      release();
      expect(await slow).toEqual({ ran: true, result: 'slow' });
      expect(fast).toEqual({ ran: true, result: 'fast' });
      expect(await h.store.claim('k-stall', 1_000, after(6_000))).toEqual({ state: 'completed', result: 'fast' });
    });

    it('returns the stored result for a completed key, even long after', async () => {
      const claim = await h.store.claim('k', 1_000, T0);
      if (claim.state !== 'claimed') throw new Error('claim lost');
      expect(await h.store.complete('k', claim.token, { invoiceId: 'inv-1', pages: 2 }, after(10))).toBe(true);
      expect(await h.store.claim('k', 1_000, after(20))).toEqual({ state: 'completed', result: { invoiceId: 'inv-1', pages: 2 } });
      expect(await h.store.claim('k', 1_000, after(86_400_000))).toEqual({
        state: 'completed',
        result: { invoiceId: 'inv-1', pages: 2 },
      });
      expect(await h.store.release('k', claim.token)).toBe(false);
      expect((await h.store.claim('k', 1_000, after(30))).state).toBe('completed');
    });

    it('stores a null result for work that returns nothing', async () => {
      const claim = await h.store.claim('void', 1_000, T0);
      if (claim.state !== 'claimed') throw new Error('claim lost');
      await h.store.complete('void', claim.token, undefined, T0);
      expect(await h.store.claim('void', 1_000, T0)).toEqual({ state: 'completed', result: null });
    });

    it('frees a key on release', async () => {
      const claim = await h.store.claim('k', 60_000, T0);
      if (claim.state !== 'claimed') throw new Error('claim lost');
      expect(await h.store.release('k', claim.token)).toBe(true);
      expect((await h.store.claim('k', 60_000, after(1))).state).toBe('claimed');
      expect(await h.store.release('never-claimed', 'no-token')).toBe(false);
    });

    it('runs once() work one time for three deliveries of the same key, one after the other', async () => {
      const clock: Clock = { now: () => T0 };
      let runs = 0;
      const work = async () => {
        runs += 1;
        return { score: 0.5 };
      };
      const outcomes = [];
      for (let i = 0; i < 3; i++) outcomes.push(await once(h.store, 'inference:inv-1:v1', work, { ttlMs: 60_000, clock }));
      expect(runs).toBe(1);
      expect(outcomes.map((o) => o.ran)).toEqual([true, false, false]);
      expect(outcomes.map((o) => o.result)).toEqual([{ score: 0.5 }, { score: 0.5 }, { score: 0.5 }]);
    });

    it('runs once() work one time for three simultaneous deliveries; the losers retry and get the result', async () => {
      const clock: Clock = { now: () => T0 };
      let runs = 0;
      let finish!: () => void;
      const gate = new Promise<void>((resolve) => (finish = resolve));
      const work = async () => {
        runs += 1;
        await gate;
        return 'done';
      };
      // The work finishes only once both losers have been turned away: no timing assumption about the store.
      let turnedAway = 0;
      const attempt = () =>
        once(h.store, 'features:inv-2', work, { ttlMs: 60_000, clock }).catch((err: unknown) => {
          if (++turnedAway === 2) finish();
          throw err;
        });
      const settled = await Promise.allSettled([attempt(), attempt(), attempt()]);
      expect(runs).toBe(1);
      const rejected = settled.filter((s) => s.status === 'rejected');
      expect(rejected).toHaveLength(2);
      for (const r of rejected) {
        expect(r.reason).toBeInstanceOf(RetryableError);
        expect((r.reason as RetryableError).code).toBe('IDEMPOTENCY_IN_PROGRESS');
      }
      // The redeliveries of the two losers.
      const retried = await Promise.all([0, 1].map(() => once(h.store, 'features:inv-2', work, { ttlMs: 60_000, clock })));
      expect(retried).toEqual([
        { ran: false, result: 'done' },
        { ran: false, result: 'done' },
      ]);
      expect(runs).toBe(1);
    });

    it('releases the claim when once() work fails, so a redelivery runs it again', async () => {
      const clock: Clock = { now: () => T0 };
      let runs = 0;
      const flaky = async () => {
        runs += 1;
        if (runs === 1) throw new Error('transient');
        return runs;
      };
      await expect(once(h.store, 'k', flaky, { ttlMs: 60_000, clock })).rejects.toThrow('transient');
      expect(await once(h.store, 'k', flaky, { ttlMs: 60_000, clock })).toEqual({ ran: true, result: 2 });
      expect(await once(h.store, 'k', flaky, { ttlMs: 60_000, clock })).toEqual({ ran: false, result: 2 });
    });
  });
}

import { createHash } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../functions/core/errors.js';
import { FirestoreRateLimiter } from '../../functions/adapters/gcp/firestore-rate-limiter.js';

/**
 * The limiter's handling of contention, which the emulator contract meets only under load (a loaded emulator
 * aborts contended transactions; a quiet one queues them). The Firestore stand-in keeps shard counts in a map
 * and aborts the transactions on the shards it is told to, like a burst from one identity would.
 */
function fakeFirestore(counts: Map<string, number>, abort: (shard: string) => boolean): Firestore {
  const collection = () => ({ doc: (id: string) => ({ id }) });
  const runTransaction = async <T>(update: (tx: unknown) => Promise<T>): Promise<T> => {
    let write: { id: string; count: number } | undefined;
    const tx = {
      get: async (ref: { id: string }) => {
        if (abort(ref.id)) throw Object.assign(new Error('10 ABORTED: too much contention on these documents'), { code: 10 });
        return { get: (field: string) => (field === 'count' ? counts.get(ref.id) : undefined) };
      },
      set: (ref: { id: string }, data: { count: number }) => { write = { id: ref.id, count: data.count }; },
    };
    const result = await update(tx);
    if (write) counts.set(write.id, write.count);
    return result;
  };
  return { collection, runTransaction } as unknown as Firestore;
}

const NOW = new Date('2025-01-01T00:00:10.000Z');
/** The limiter's document key of an identity in NOW's window, without the shard number. */
const shardKey = (identity: string) => `${createHash('sha256').update(identity).digest('hex').slice(0, 32)}-${Math.floor(NOW.getTime() / 60_000)}`;

describe('FirestoreRateLimiter under contention', () => {
  it('tries a contended shard again rather than refusing because the other shards are full', async () => {
    // Two shards of one request each: shard 1 is full, shard 0 is free but contended on the first try.
    const counts = new Map([[`${shardKey('key:a')}-1`, 1]]);
    let aborts = 1;
    const limiter = new FirestoreRateLimiter(fakeFirestore(counts, (id) => id.endsWith('-0') && aborts-- > 0), { perShard: 1, random: () => 0 });
    expect((await limiter.take('key:a', 2, NOW)).allowed).toBe(true);
    expect(counts.get(`${shardKey('key:a')}-0`)).toBe(1);
    // Both full now: refused.
    expect((await limiter.take('key:a', 2, NOW)).allowed).toBe(false);
  });

  it('fails as retryable when a shard stays contended, and does not remember the window as full', async () => {
    const counts = new Map<string, number>();
    let contended = true;
    const db = fakeFirestore(counts, () => contended);
    const limiter = new FirestoreRateLimiter(db, { perShard: 1, random: () => 0 });
    await expect(limiter.take('key:a', 2, NOW)).rejects.toBeInstanceOf(RetryableError);
    contended = false;
    expect((await limiter.take('key:a', 2, NOW)).allowed).toBe(true);
  });
});

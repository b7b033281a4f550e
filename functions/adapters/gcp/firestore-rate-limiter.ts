import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Timestamp, type CollectionReference, type Firestore } from '@google-cloud/firestore';
import type { RateDecision, RateLimiter } from '../../core/api/ports.js';
import { GrpcCode, grpcCodeOf, rethrowClassified, runTransaction } from './firestore-data.js';

const WINDOW_MS = 60_000;
/** Rounds over the contended shards before a request fails as retryable rather than be refused wrongly. */
const CONTENDED_ROUNDS = 4;

export interface FirestoreRateLimiterOptions {
  /** Collection of the counters; default `rateLimits` (TTL policy on `expiresAt` in infra/modules/pipeline/firestore.tf). */
  collection?: string;
  /**
   * Counted requests per shard and window at most. Firestore sustains about one write per second on one
   * document; 50 per minute keeps each shard under that, so a limit L uses ceil(L / 50) shards.
   */
  perShard?: number;
  /** Uniform [0, 1) source for the first shard tried (tests pass a fixed one). */
  random?: () => number;
}

/**
 * {@link RateLimiter} shared by every instance of the API: a fixed one-minute window per identity, counted in
 * Firestore. The window's limit L is split over K = ceil(L / perShard) shard documents
 * (`<hash(identity)>-<window>-<k>`), shard k allowing cap_k requests (the caps sum to L exactly). A request
 * takes one unit from a random shard in a transaction that reads the shard's count and increments it only below
 * its cap; a full shard sends it on to the next, so the request is refused only when all K shards are full.
 * Every instance counts against the same documents, so N instances let through L requests a minute, not N x L.
 * Documents carry `expiresAt` (a Timestamp) for the TTL policy to delete old windows.
 *
 * An instance also remembers windows it has seen full: until the window ends it refuses at once, without a
 * Firestore round trip (a client hammering past its limit costs no writes).
 */
export class FirestoreRateLimiter implements RateLimiter {
  private readonly counters: CollectionReference;
  private readonly perShard: number;
  private readonly random: () => number;
  private readonly exhausted = new Map<string, number>();

  constructor(private readonly db: Firestore, options: FirestoreRateLimiterOptions = {}) {
    this.counters = db.collection(options.collection ?? 'rateLimits');
    this.perShard = options.perShard ?? 50;
    this.random = options.random ?? Math.random;
  }

  async take(identity: string, limit: number, now: Date): Promise<RateDecision> {
    const window = Math.floor(now.getTime() / WINDOW_MS);
    const resetAt = new Date((window + 1) * WINDOW_MS);
    const key = `${createHash('sha256').update(identity).digest('hex').slice(0, 32)}-${window}`;
    const refused: RateDecision = { allowed: false, limit, remaining: 0, resetAt: resetAt.toISOString() };
    if (this.exhausted.get(key) === window) return refused;
    const shards = Math.max(1, Math.ceil(limit / this.perShard));
    const cap = (k: number) => Math.floor(limit / shards) + (k < limit % shards ? 1 : 0);
    const first = Math.floor(this.random() * shards);
    // Shards still to try: a contended one is tried again after the others, never taken for full. Refusing
    // (and remembering the window as full) is only right once every shard has been seen full.
    let pending = Array.from({ length: shards }, (_, i) => (first + i) % shards);
    for (let round = 1; pending.length > 0; round++) {
      const contended: number[] = [];
      let contention: unknown;
      for (const k of pending) {
        const ref = this.counters.doc(`${key}-${k}`);
        let taken: number | null;
        try {
          taken = await runTransaction(
            this.db,
            async (tx) => {
              const count = Number((await tx.get(ref)).get('count') ?? 0);
              if (count >= cap(k)) return null;
              tx.set(ref, { count: count + 1, window, expiresAt: Timestamp.fromMillis(resetAt.getTime() + WINDOW_MS) });
              return count + 1;
            },
            { maxAttempts: 3 },
          );
        } catch (err) {
          if (grpcCodeOf(err) !== GrpcCode.ABORTED) return rethrowClassified(err, 'rate limit');
          contended.push(k);
          contention = err;
          continue;
        }
        if (taken !== null) {
          // Remaining is exact for this shard and an estimate for the others (not read, to keep one round trip).
          const others = limit - cap(k);
          return { allowed: true, limit, remaining: Math.max(0, cap(k) - taken + others), resetAt: resetAt.toISOString() };
        }
      }
      // A burst from one identity keeps some shards contended: after a few rounds the error goes up (retryable).
      if (contended.length > 0 && round >= CONTENDED_ROUNDS) return rethrowClassified(contention, 'rate limit');
      if (contended.length > 0) await delay(10 + Math.random() * 40 * round);
      pending = contended;
    }
    this.exhausted.set(key, window);
    if (this.exhausted.size > 10_000) for (const [k, w] of this.exhausted) if (w < window) this.exhausted.delete(k);
    return refused;
  }
}

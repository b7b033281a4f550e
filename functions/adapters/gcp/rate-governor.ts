/**
 * A token-bucket rate governor: callers wait for a token, in arrival order; nothing is ever dropped.
 * Document AI allows 600 online requests per minute per project; throttled calls that are retried blindly
 * turn into lost documents, so each instance paces its own calls below the quota instead.
 */

export interface RateGovernor {
  /** Resolves when the caller may send one request. */
  acquire(): Promise<void>;
}

export interface RateGovernorOptions {
  /** Sustained rate; default 600 requests per minute. */
  requestsPerMinute?: number;
  /** Requests that may go at once after an idle period; default 10 (at least 1). */
  burst?: number;
  /** Injectable time source and timer (tests). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Creates a governor shared by everything that holds it (one per instance: share it between engines).
 * @throws RangeError for a non-positive rate or burst.
 */
export function createRateGovernor(options: RateGovernorOptions = {}): RateGovernor {
  const perMinute = options.requestsPerMinute ?? 600;
  const burst = Math.max(1, Math.floor(options.burst ?? 10));
  if (!(perMinute > 0) || !Number.isFinite(perMinute)) throw new RangeError('requestsPerMinute must be a positive number');
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const perMs = perMinute / 60_000;
  let tokens = burst;
  let last = now();
  let tail: Promise<void> = Promise.resolve();

  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + (t - last) * perMs);
    last = t;
  };

  const take = async () => {
    refill();
    while (tokens < 1) {
      await sleep(Math.ceil((1 - tokens) / perMs));
      refill();
    }
    tokens -= 1;
  };

  return {
    acquire() {
      // Chained so that waiters are served first come, first served.
      const turn = tail.then(take);
      tail = turn.catch(() => undefined);
      return turn;
    },
  };
}

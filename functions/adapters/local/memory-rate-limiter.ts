import type { RateDecision, RateLimiter } from '../../core/api/ports.js';

const WINDOW_MS = 60_000;

/**
 * {@link RateLimiter} for one process (the local server is one process per data folder, so in-process is
 * shared by construction): a fixed one-minute window per identity. Old windows are dropped as time moves on.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, { window: number; count: number }>();

  async take(identity: string, limit: number, now: Date): Promise<RateDecision> {
    const window = Math.floor(now.getTime() / WINDOW_MS);
    const resetAt = new Date((window + 1) * WINDOW_MS).toISOString();
    if (this.counts.size > 10_000) for (const [k, v] of this.counts) if (v.window < window) this.counts.delete(k);
    const entry = this.counts.get(identity);
    const current = entry && entry.window === window ? entry : { window, count: 0 };
    if (current.count >= limit) {
      this.counts.set(identity, current);
      return { allowed: false, limit, remaining: 0, resetAt };
    }
    current.count += 1;
    this.counts.set(identity, current);
    return { allowed: true, limit, remaining: limit - current.count, resetAt };
  }
}

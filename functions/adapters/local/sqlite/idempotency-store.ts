import type { ClaimResult, IdempotencyStore } from '../../../core/ports.js';
import type { SqliteDatabase } from './database.js';

interface ClaimRow {
  status: 'IN_PROGRESS' | 'COMPLETED';
  expires_at: number;
  result: string | null;
}

/** A claim lost between our failed write and the read (a release in between) is simply tried again. */
const CLAIM_ATTEMPTS = 3;

/**
 * {@link IdempotencyStore} on the embedded database. A claim is ONE conditional upsert: it inserts a new
 * IN_PROGRESS row, or takes over an IN_PROGRESS row whose claim has expired; a COMPLETED row or a live claim
 * leaves `changes` at 0, and only then is the row read to say why.
 */
export class SqliteIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: SqliteDatabase) {}

  async claim(key: string, ttlMs: number, now: Date): Promise<ClaimResult> {
    const nowMs = now.getTime();
    for (let i = 0; i < CLAIM_ATTEMPTS; i++) {
      const info = this.db
        .statement(
          `INSERT INTO idempotency (key, status, expires_at, result, updated_at) VALUES (?, 'IN_PROGRESS', ?, NULL, ?)
           ON CONFLICT (key) DO UPDATE SET status = 'IN_PROGRESS', expires_at = excluded.expires_at, result = NULL,
             updated_at = excluded.updated_at
           WHERE idempotency.status = 'IN_PROGRESS' AND idempotency.expires_at <= excluded.updated_at`,
        )
        .run(key, nowMs + ttlMs, nowMs);
      if (info.changes === 1) return { state: 'claimed' };
      const row = this.db.statement('SELECT status, expires_at, result FROM idempotency WHERE key = ?').get(key) as
        | ClaimRow
        | undefined;
      if (!row) continue;
      if (row.status === 'COMPLETED') return { state: 'completed', result: row.result === null ? null : JSON.parse(row.result) };
      return { state: 'in-progress', expiresAt: new Date(row.expires_at).toISOString() };
    }
    throw new Error(`idempotency claim for a key kept changing under us (${CLAIM_ATTEMPTS} attempts)`);
  }

  /**
   * Stores `result` (JSON-serializable) as COMPLETED. An upsert, so a completion is kept even when the claim
   * row was meanwhile released or taken over. Throws when `result` cannot be serialized.
   */
  async complete(key: string, result: unknown, now: Date): Promise<void> {
    const json = JSON.stringify(result ?? null);
    this.db
      .statement(
        `INSERT INTO idempotency (key, status, expires_at, result, updated_at) VALUES (?, 'COMPLETED', ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET status = 'COMPLETED', result = excluded.result, updated_at = excluded.updated_at,
           expires_at = excluded.expires_at`,
      )
      .run(key, now.getTime(), json, now.getTime());
  }

  /** Frees an IN_PROGRESS claim; a COMPLETED key is never released. */
  async release(key: string): Promise<void> {
    this.db.statement(`DELETE FROM idempotency WHERE key = ? AND status = 'IN_PROGRESS'`).run(key);
  }
}

import { randomUUID } from 'node:crypto';
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
 * IN_PROGRESS row with a fresh owner token, or takes over an IN_PROGRESS row whose claim has expired (new
 * token); a COMPLETED row or a live claim leaves `changes` at 0, and only then is the row read to say why.
 * Complete and release are conditional on the owner token.
 */
export class SqliteIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: SqliteDatabase) {}

  async claim(key: string, ttlMs: number, now: Date): Promise<ClaimResult> {
    const nowMs = now.getTime();
    for (let i = 0; i < CLAIM_ATTEMPTS; i++) {
      const token = randomUUID();
      const info = this.db
        .statement(
          `INSERT INTO idempotency (key, status, expires_at, result, updated_at, token) VALUES (?, 'IN_PROGRESS', ?, NULL, ?, ?)
           ON CONFLICT (key) DO UPDATE SET status = 'IN_PROGRESS', expires_at = excluded.expires_at, result = NULL,
             updated_at = excluded.updated_at, token = excluded.token
           WHERE idempotency.status = 'IN_PROGRESS' AND idempotency.expires_at <= excluded.updated_at`,
        )
        .run(key, nowMs + ttlMs, nowMs, token);
      if (info.changes === 1) return { state: 'claimed', token };
      const row = this.db.statement('SELECT status, expires_at, result FROM idempotency WHERE key = ?').get(key) as
        | ClaimRow
        | undefined;
      if (!row) continue;
      if (row.status === 'COMPLETED') return { state: 'completed', result: row.result === null ? null : JSON.parse(row.result) };
      return { state: 'in-progress', expiresAt: new Date(row.expires_at).toISOString() };
    }
    throw new Error(`idempotency claim for a key kept changing under us (${CLAIM_ATTEMPTS} attempts)`);
  }

  /** Stores `result` (JSON-serializable) as COMPLETED iff `token` still owns the claim. Throws when `result` cannot be serialized. */
  async complete(key: string, token: string, result: unknown, now: Date): Promise<boolean> {
    const json = JSON.stringify(result ?? null);
    const info = this.db
      .statement(
        `UPDATE idempotency SET status = 'COMPLETED', result = ?, updated_at = ?, expires_at = ?
         WHERE key = ? AND status = 'IN_PROGRESS' AND token = ?`,
      )
      .run(json, now.getTime(), now.getTime(), key, token);
    return info.changes === 1;
  }

  /** Frees the IN_PROGRESS claim iff `token` still owns it; a COMPLETED key is never released. */
  async release(key: string, token: string): Promise<boolean> {
    return this.db.statement(`DELETE FROM idempotency WHERE key = ? AND status = 'IN_PROGRESS' AND token = ?`).run(key, token).changes === 1;
  }

  /**
   * Frees every IN_PROGRESS claim. Only for the single process that owns the local data folder, at start-up:
   * any claim still open then belongs to a run that died (its work is redelivered by the durable bus).
   * Returns how many were freed.
   */
  releaseAbandoned(): number {
    return this.db.statement(`DELETE FROM idempotency WHERE status = 'IN_PROGRESS'`).run().changes;
  }
}

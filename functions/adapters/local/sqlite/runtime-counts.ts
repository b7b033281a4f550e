import type { SqliteDatabase } from './database.js';

/** Counts of the local database for the local server's `/metrics` (read-only, one query each). */
export function invoiceCounts(db: SqliteDatabase): Array<{ status: string; decision: string; count: number }> {
  return db
    .statement(`SELECT status, COALESCE(decision, '') AS decision, COUNT(*) AS count FROM invoices GROUP BY status, decision`)
    .all() as Array<{ status: string; decision: string; count: number }>;
}

/** Messages accepted by the local bus and not yet acked, per subscription. */
export function queueDepths(db: SqliteDatabase): Array<{ subscription: string; count: number }> {
  return db.statement('SELECT subscription, COUNT(*) AS count FROM bus_messages GROUP BY subscription').all() as Array<{ subscription: string; count: number }>;
}

/** Dead letters not replayed yet. */
export function pendingDeadLetters(db: SqliteDatabase): number {
  return (db.statement('SELECT COUNT(*) AS n FROM dead_letters WHERE replayed_at IS NULL').get() as { n: number }).n;
}

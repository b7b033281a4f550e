import { DeadLetterSchema, type DeadLetter } from '../../../core/messages.js';
import type { DeadLetterFilter, DeadLetterStore, StoredDeadLetter } from '../dead-letter-store.js';
import type { SqliteDatabase } from './database.js';

interface DeadLetterRow {
  id: number;
  replayed_at: string | null;
  entry: string;
}

function whereOf(filter: DeadLetterFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (!filter.includeReplayed) clauses.push('replayed_at IS NULL');
  if (filter.topic !== undefined) {
    clauses.push('topic = ?');
    params.push(filter.topic);
  }
  if (filter.subscription !== undefined) {
    clauses.push('subscription = ?');
    params.push(filter.subscription);
  }
  if (filter.invoiceId !== undefined) {
    clauses.push('invoice_id = ?');
    params.push(filter.invoiceId);
  }
  if (filter.ids !== undefined) {
    // One bound JSON array keeps the statement text (and so the statement cache) independent of the count.
    clauses.push('id IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.ids.map(Number).filter(Number.isSafeInteger)));
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

function toStored(row: DeadLetterRow): StoredDeadLetter {
  return { ...DeadLetterSchema.parse(JSON.parse(row.entry)), id: String(row.id), replayedAt: row.replayed_at ?? undefined };
}

/** {@link DeadLetterStore} on the embedded database (table `dead_letters`). */
export class SqliteDeadLetterStore implements DeadLetterStore {
  constructor(private readonly db: SqliteDatabase) {}

  /** Throws a ZodError when `entry` does not match {@link DeadLetterSchema}. */
  async record(entry: DeadLetter): Promise<string> {
    const valid = DeadLetterSchema.parse(entry);
    const info = this.db
      .statement(
        `INSERT INTO dead_letters (topic, subscription, invoice_id, code, attempts, dead_lettered_at, entry)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(valid.topic, valid.subscription, valid.invoiceId ?? null, valid.code, valid.attempts, valid.deadLetteredAt, JSON.stringify(valid));
    return String(info.lastInsertRowid);
  }

  async get(id: string): Promise<StoredDeadLetter | null> {
    const row = this.db.statement('SELECT id, replayed_at, entry FROM dead_letters WHERE id = ?').get(Number(id)) as
      | DeadLetterRow
      | undefined;
    return row ? toStored(row) : null;
  }

  async list(filter: DeadLetterFilter = {}): Promise<StoredDeadLetter[]> {
    const { sql, params } = whereOf(filter);
    const limit = filter.limit ?? -1;
    const rows = this.db
      .statement(`SELECT id, replayed_at, entry FROM dead_letters ${sql} ORDER BY id LIMIT ?`)
      .all(...params, limit) as DeadLetterRow[];
    return rows.map(toStored);
  }

  async count(filter: DeadLetterFilter = {}): Promise<number> {
    const { sql, params } = whereOf(filter);
    const row = this.db.statement(`SELECT COUNT(*) AS n FROM dead_letters ${sql}`).get(...params) as { n: number };
    return row.n;
  }

  async markReplayed(id: string, at: Date): Promise<boolean> {
    const info = this.db
      .statement('UPDATE dead_letters SET replayed_at = ? WHERE id = ? AND replayed_at IS NULL')
      .run(at.toISOString(), Number(id));
    return info.changes === 1;
  }
}

import { RunRecordSchema, type RunRecord, type RunRecordInput, type RunStore } from '../../../core/learning/runs.js';
import { decodeCursor, encodeCursor } from '../../page-cursor.js';
import type { SqliteDatabase } from './database.js';

/** {@link RunStore} on the embedded database: one row per run, listed newest first. */
export class SqliteRunStore implements RunStore {
  constructor(private readonly db: SqliteDatabase) {}

  async put(input: RunRecordInput): Promise<RunRecord> {
    const run = RunRecordSchema.parse(input);
    const startedAt = new Date(run.startedAt).toISOString();
    const stored = { ...run, startedAt };
    this.db
      .statement('INSERT INTO runs (id, started_at, run) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, run = excluded.run')
      .run(run.id, startedAt, JSON.stringify(stored));
    return stored;
  }

  async get(id: string): Promise<RunRecord | null> {
    const row = this.db.statement('SELECT run FROM runs WHERE id = ?').get(id) as { run: string } | undefined;
    return row ? RunRecordSchema.parse(JSON.parse(row.run)) : null;
  }

  async list(query: { limit: number; cursor?: string | undefined }): Promise<{ items: RunRecord[]; nextCursor?: string | undefined }> {
    const rows = (query.cursor
      ? this.db.statement('SELECT id, started_at, run FROM runs WHERE (started_at, id) < (?, ?) ORDER BY started_at DESC, id DESC LIMIT ?').all(...decodeCursor(query.cursor, 2), query.limit + 1)
      : this.db.statement('SELECT id, started_at, run FROM runs ORDER BY started_at DESC, id DESC LIMIT ?').all(query.limit + 1)) as Array<{ id: string; started_at: string; run: string }>;
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: page.map((r) => RunRecordSchema.parse(JSON.parse(r.run))), nextCursor: rows.length > query.limit && last ? encodeCursor([last.started_at, last.id]) : undefined };
  }
}

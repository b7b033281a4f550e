import {
  modelVersionsKey, predictionKey, PredictionLogEntrySchema, PredictionQuerySchema,
  type PredictionLog, type PredictionLogEntry, type PredictionLogEntryInput, type PredictionPage, type PredictionQuery,
} from '../../../core/learning/prediction-log.js';
import { decodeCursor, encodeCursor } from '../../page-cursor.js';
import type { SqliteDatabase } from './database.js';

export interface SqlitePredictionLogOptions {
  /** How long an entry is kept after it was scored (default 180 days). */
  retentionMs?: number;
}

const DAY_MS = 86_400_000;

/**
 * {@link PredictionLog} on the embedded database: one row per scoring (key = invoice, revision, model
 * versions) plus one index row per model version, so that "everything scored by failure@v3 last week" is an
 * index range. {@link SqlitePredictionLog.prune} deletes expired rows (run daily by the local scheduler).
 */
export class SqlitePredictionLog implements PredictionLog {
  private readonly retentionMs: number;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqlitePredictionLogOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? 180 * DAY_MS;
  }

  async record(input: PredictionLogEntryInput): Promise<void> {
    const entry = PredictionLogEntrySchema.parse(input);
    const scoredAt = new Date(entry.scoredAt).toISOString();
    const normalized: PredictionLogEntry = { ...entry, scoredAt };
    const key = predictionKey(entry);
    const expiresAt = new Date(Date.parse(scoredAt) + this.retentionMs).toISOString();
    this.db.immediate(() => {
      this.db.statement('DELETE FROM predictions WHERE pkey = ?').run(key);
      this.db
        .statement('INSERT INTO predictions (pkey, invoice_id, revision, scored_at, expires_at, versions_key, entry) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(key, entry.invoiceId, entry.revision, scoredAt, expiresAt, modelVersionsKey(entry.modelVersions), JSON.stringify(normalized));
      for (const [model, version] of Object.entries(entry.modelVersions)) {
        this.db.statement('INSERT INTO prediction_models (pkey, model, version, scored_at) VALUES (?, ?, ?, ?)').run(key, model, version, scoredAt);
      }
    });
  }

  async query(q: PredictionQuery): Promise<PredictionPage> {
    const query = PredictionQuerySchema.parse(q);
    const where: string[] = [];
    const args: unknown[] = [];
    const col = query.model ? 'm' : 'p';
    if (query.model) {
      where.push('m.model = ? AND m.version = ?');
      args.push(query.model.name, query.model.version);
    }
    if (query.from) {
      where.push(`${col}.scored_at >= ?`);
      args.push(new Date(query.from).toISOString());
    }
    if (query.to) {
      where.push(`${col}.scored_at < ?`);
      args.push(new Date(query.to).toISOString());
    }
    if (query.invoiceId) {
      where.push('p.invoice_id = ?');
      args.push(query.invoiceId);
    }
    if (query.cursor) {
      const [at, key] = decodeCursor(query.cursor, 2);
      where.push(`(${col}.scored_at, ${col}.pkey) > (?, ?)`);
      args.push(at, key);
    }
    const from = query.model ? 'prediction_models m JOIN predictions p ON p.pkey = m.pkey' : 'predictions p';
    const sql = `SELECT p.pkey, p.scored_at, p.entry FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${col}.scored_at, ${col}.pkey LIMIT ?`;
    const rows = this.db.statement(sql).all(...args, query.limit + 1) as Array<{ pkey: string; scored_at: string; entry: string }>;
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => PredictionLogEntrySchema.parse(JSON.parse(r.entry))),
      nextCursor: rows.length > query.limit && last ? encodeCursor([last.scored_at, last.pkey]) : undefined,
    };
  }

  async forInvoice(invoiceId: string): Promise<PredictionLogEntry[]> {
    const rows = this.db.statement('SELECT entry FROM predictions WHERE invoice_id = ? ORDER BY scored_at, pkey').all(invoiceId) as Array<{ entry: string }>;
    return rows.map((r) => PredictionLogEntrySchema.parse(JSON.parse(r.entry)));
  }

  async prune(now: Date): Promise<number> {
    return this.db.immediate(() => this.db.statement('DELETE FROM predictions WHERE expires_at <= ?').run(now.toISOString()).changes);
  }
}

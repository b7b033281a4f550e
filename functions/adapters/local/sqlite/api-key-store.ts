import { ApiKeyRecordSchema, type ApiKeyRecord, type ApiKeyStore } from '../../../core/api/ports.js';
import type { SqliteDatabase } from './database.js';

/** {@link ApiKeyStore} on the embedded database (migration 41): the record as JSON, by id. */
export class SqliteApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(record: ApiKeyRecord): Promise<void> {
    const valid = ApiKeyRecordSchema.parse(record);
    const info = this.db
      .statement('INSERT OR IGNORE INTO api_keys (id, created_at, revoked_at, record) VALUES (?, ?, ?, ?)')
      .run(valid.id, valid.createdAt, valid.revokedAt ?? null, JSON.stringify(valid));
    if (info.changes !== 1) throw new Error(`api key ${valid.id} already exists`);
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const row = this.db.statement('SELECT record FROM api_keys WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? ApiKeyRecordSchema.parse(JSON.parse(row.record)) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = this.db.statement('SELECT record FROM api_keys ORDER BY created_at DESC, id DESC').all() as Array<{ record: string }>;
    return rows.map((r) => ApiKeyRecordSchema.parse(JSON.parse(r.record)));
  }

  async revoke(id: string, at: string): Promise<boolean> {
    return this.db.immediate(() => {
      const row = this.db.statement('SELECT record FROM api_keys WHERE id = ?').get(id) as { record: string } | undefined;
      if (!row) return false;
      const record = ApiKeyRecordSchema.parse(JSON.parse(row.record));
      if (record.revokedAt) return true;
      const next = { ...record, revokedAt: at };
      this.db.statement('UPDATE api_keys SET revoked_at = ?, record = ? WHERE id = ?').run(at, JSON.stringify(next), id);
      return true;
    });
  }
}

/** Small named secrets of the local server (migration 43): created once, then read back on every start. */
export function localSecret(db: SqliteDatabase, name: string, create: () => string): string {
  return db.immediate(() => {
    db.statement('INSERT OR IGNORE INTO api_secrets (name, value) VALUES (?, ?)').run(name, create());
    return (db.statement('SELECT value FROM api_secrets WHERE name = ?').get(name) as { value: string }).value;
  });
}

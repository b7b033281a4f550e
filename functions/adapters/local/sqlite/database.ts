import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** One schema change. Versions are global, strictly increasing and never edited once shipped. */
export interface Migration {
  version: number;
  name: string;
  /** SQL run inside the migration's transaction. */
  sql: string;
  /** A backfill SQL alone cannot express, run after `sql` in the same transaction. */
  run?(db: SqliteDatabase): void;
}

export interface OpenDatabaseOptions {
  /** How long a writer waits for another connection's lock before SQLITE_BUSY (default 5 s). */
  busyTimeoutMs?: number;
  migrations?: readonly Migration[];
  /**
   * MiB of the file read through a memory map (0, the default: off). For a process that scans many records (a batch
   * job): the pages come from the OS page cache without a copy into SQLite's 2 MiB cache, which a 10,000-invoice
   * reprocess (~130 MiB of records) kept dropping and re-reading (134 -> 172 invoices/s). Mapped pages count in the
   * resident memory (+17 MiB over a 1,000-invoice pipeline batch), so the pipeline's own commands leave it off.
   */
  mmapMb?: number;
}

/**
 * A better-sqlite3 connection with WAL, a busy timeout, versioned migrations and a prepared-statement
 * cache. better-sqlite3 is synchronous: a transaction body runs without interleaving within this process,
 * and IMMEDIATE transactions serialize writers across connections and processes.
 */
export class SqliteDatabase {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(readonly connection: Database.Database) {}

  /**
   * Opens (creating if needed) the database at `path` (':memory:' for a private in-memory one) and
   * applies every pending migration. Throws when a migration fails (the failing one is rolled back) or
   * when the file holds a newer schema than this code knows.
   */
  static open(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const connection = new Database(path, { timeout: options.busyTimeoutMs ?? 5_000 });
    // WAL lets readers proceed during a write; NORMAL sync is durable across process crashes in WAL mode.
    if (path !== ':memory:') connection.pragma('journal_mode = WAL');
    connection.pragma('synchronous = NORMAL');
    // An invoice's record (~13 KiB of JSON) is rewritten at each stage: at the default checkpoint every 1,000
    // pages, the WAL was copied into the file (and the file synced) every few dozen invoices, the same pages again
    // and again. 16,000 pages (64 MiB) copies each page once per several hundred invoices (a 2,000-invoice
    // reprocess used about a tenth less CPU); journal_size_limit truncates the WAL back after a checkpoint.
    if (path !== ':memory:') {
      connection.pragma('wal_autocheckpoint = 16000');
      connection.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      if (options.mmapMb) connection.pragma(`mmap_size = ${options.mmapMb * 1024 * 1024}`);
    }
    connection.pragma('foreign_keys = ON');
    const db = new SqliteDatabase(connection);
    db.migrate(options.migrations ?? []);
    return db;
  }

  /** A cached prepared statement for `sql` (compiled once per connection). */
  statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.connection.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction (takes the write lock up front: no upgrade deadlocks). */
  immediate<T>(fn: () => T): T {
    return this.connection.transaction(fn).immediate();
  }

  /** The highest applied migration version (0 for a fresh database). */
  schemaVersion(): number {
    const row = this.statement('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    return row.v ?? 0;
  }

  close(): void {
    this.statements.clear();
    if (this.connection.open) this.connection.close();
  }

  private migrate(migrations: readonly Migration[]): void {
    this.connection.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const sorted = [...migrations].sort((a, b) => a.version - b.version);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.version === sorted[i - 1]!.version) throw new Error(`duplicate migration version ${sorted[i]!.version}`);
    }
    const known = sorted.at(-1)?.version ?? 0;
    // Migrating inside one IMMEDIATE transaction per step makes two processes opening a fresh file safe.
    for (const migration of sorted) {
      this.immediate(() => {
        const applied = this.statement('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
        if (applied) return;
        this.connection.exec(migration.sql);
        migration.run?.(this);
        this.statement('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          migration.version,
          migration.name,
          new Date().toISOString(),
        );
      });
    }
    if (this.schemaVersion() > known && sorted.length > 0) {
      throw new Error(`database schema version ${this.schemaVersion()} is newer than this code (${known})`);
    }
  }
}

import type { Migration } from './database.js';
import { SqliteDatabase, type OpenDatabaseOptions } from './database.js';
import { LEARNING_MIGRATIONS } from './learning-migrations.js';

/**
 * The schema of the local LedgerX database: invoices (with the duplicate/supplier indexes), idempotency
 * claims and dead letters live in one file so that one transaction can span them if ever needed.
 */
export const LEDGER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'invoices',
    sql: `
      CREATE TABLE invoices (
        invoice_id     TEXT PRIMARY KEY,
        status         TEXT NOT NULL,
        file_name      TEXT NOT NULL,
        content_sha256 TEXT,
        supplier_key   TEXT,
        business_key   TEXT,
        supplier_iban  TEXT,
        total_amount   REAL,
        currency       TEXT,
        invoice_date   TEXT,
        decision       TEXT,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        record         TEXT NOT NULL
      );
      CREATE INDEX invoices_by_created ON invoices (created_at, invoice_id);
      CREATE INDEX invoices_by_status ON invoices (status, created_at, invoice_id);
      CREATE INDEX invoices_by_decision ON invoices (decision, created_at, invoice_id);
      CREATE INDEX invoices_by_content ON invoices (content_sha256, created_at, invoice_id);
      CREATE INDEX invoices_by_business_key ON invoices (business_key, created_at, invoice_id);
      CREATE INDEX invoices_by_supplier ON invoices (supplier_key, created_at, invoice_id);
    `,
  },
  {
    version: 2,
    name: 'idempotency',
    sql: `
      CREATE TABLE idempotency (
        key        TEXT PRIMARY KEY,
        status     TEXT NOT NULL CHECK (status IN ('IN_PROGRESS', 'COMPLETED')),
        expires_at INTEGER NOT NULL,
        result     TEXT,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'dead_letters',
    sql: `
      CREATE TABLE dead_letters (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        topic            TEXT NOT NULL,
        subscription     TEXT NOT NULL,
        invoice_id       TEXT,
        code             TEXT NOT NULL,
        attempts         INTEGER NOT NULL,
        dead_lettered_at TEXT NOT NULL,
        replayed_at      TEXT,
        entry            TEXT NOT NULL
      );
      CREATE INDEX dead_letters_pending ON dead_letters (replayed_at, id);
      CREATE INDEX dead_letters_by_invoice ON dead_letters (invoice_id);
    `,
  },
  // 20-39: the learning loop (prediction log, review labels, model registry, jobs, runs).
  ...LEARNING_MIGRATIONS,
];

/** Opens the local LedgerX database (file path or ':memory:') with every migration applied. */
export function openLedgerDatabase(path: string, options: Omit<OpenDatabaseOptions, 'migrations'> = {}): SqliteDatabase {
  return SqliteDatabase.open(path, { ...options, migrations: LEDGER_MIGRATIONS });
}

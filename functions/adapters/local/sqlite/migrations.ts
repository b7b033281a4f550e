import type { Migration } from './database.js';
import { SqliteDatabase, type OpenDatabaseOptions } from './database.js';
import { LEARNING_MIGRATIONS } from './learning-migrations.js';
import { MONITORING_MIGRATIONS } from './monitoring-store.js';
import { DEFAULT_AUDIT_SAMPLE_RATE, inAuditSample } from '../../../core/api/audit-sample.js';
import { reviewQueueOf } from '../../../core/invoice/review-queue.js';
import type { InvoiceRecord } from '../../../core/invoice/record.js';

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
  // 4-19: invoices, claims and the bus (records, revisions, duplicate reservations, durable delivery).
  {
    version: 4,
    name: 'claim owners, duplicate reservations, supplier stats, record history',
    sql: `
      ALTER TABLE idempotency ADD COLUMN token TEXT;
      CREATE TABLE duplicate_keys (
        kind        TEXT NOT NULL CHECK (kind IN ('content', 'business')),
        key         TEXT NOT NULL,
        invoice_id  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        reserved_at TEXT NOT NULL,
        PRIMARY KEY (kind, key)
      );
      CREATE TABLE supplier_stats (
        supplier_key TEXT PRIMARY KEY,
        stats        TEXT NOT NULL
      );
      CREATE TABLE invoice_history (
        invoice_id TEXT NOT NULL,
        revision   INTEGER NOT NULL,
        entry      TEXT NOT NULL,
        PRIMARY KEY (invoice_id, revision)
      );
      -- Earlier records were scored before duplicate reservations existed: reserve their keys for them, the
      -- oldest invoice first, so that a new copy of an old invoice is still a duplicate.
      INSERT OR IGNORE INTO duplicate_keys (kind, key, invoice_id, created_at, reserved_at)
        SELECT 'content', content_sha256, invoice_id, created_at, created_at FROM invoices
        WHERE content_sha256 IS NOT NULL AND status NOT IN ('REJECTED', 'FAILED', 'RECEIVED', 'OCR_DONE') ORDER BY created_at, invoice_id;
      INSERT OR IGNORE INTO duplicate_keys (kind, key, invoice_id, created_at, reserved_at)
        SELECT 'business', business_key, invoice_id, created_at, created_at FROM invoices
        WHERE business_key IS NOT NULL AND status NOT IN ('REJECTED', 'FAILED') ORDER BY created_at, invoice_id;
      -- Running stats of the suppliers seen so far (mean and sum of squared deviations of ln(1 + total)).
      INSERT INTO supplier_stats (supplier_key, stats)
        SELECT supplier_key, json_object(
            'count', COUNT(*),
            'amounts', COUNT(total_amount),
            'meanLogAmount', COALESCE(AVG(ln(1 + max(total_amount, 0))), 0),
            'm2LogAmount', max(0, COALESCE(SUM(ln(1 + max(total_amount, 0)) * ln(1 + max(total_amount, 0)))
              - COUNT(total_amount) * AVG(ln(1 + max(total_amount, 0))) * AVG(ln(1 + max(total_amount, 0))), 0)),
            'lastInvoiceDate', MAX(invoice_date),
            'ibans', (SELECT json_group_array(DISTINCT i.supplier_iban) FROM invoices i
                      WHERE i.supplier_key = o.supplier_key AND i.supplier_iban IS NOT NULL))
        FROM invoices o WHERE supplier_key IS NOT NULL AND status IN ('FEATURES_DONE', 'SCORED') GROUP BY supplier_key;
      UPDATE invoices SET record = json_set(record, '$.supplierStatsApplied', json('true'))
        WHERE supplier_key IS NOT NULL AND status IN ('FEATURES_DONE', 'SCORED');
    `,
  },
  {
    version: 5,
    name: 'durable bus messages',
    sql: `
      CREATE TABLE bus_messages (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription     TEXT NOT NULL,
        topic            TEXT NOT NULL,
        message_id       TEXT NOT NULL,
        data             TEXT NOT NULL,
        attributes       TEXT NOT NULL,
        ordering_key     TEXT,
        publish_time     TEXT NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        first_attempt_at TEXT
      );
      CREATE INDEX bus_messages_by_subscription ON bus_messages (subscription, seq);
    `,
  },
  // 20-39: the learning loop (prediction log, review labels, model registry, jobs, runs).
  ...LEARNING_MIGRATIONS,
  // 40-49: the API (invoice listing filters, API keys, webhooks).
  {
    version: 40,
    name: 'invoice listing tags (reason codes, model versions)',
    // Tags are derived from the stored record by triggers, so the store's writes stay as they are and a tag can
    // never disagree with the record: every write of `record` replaces the invoice's tags. The rule is the one
    // of core/invoice/list-tags.ts: `reason:<code>`, `model:<name>@<version>` and `model:<version>`. The primary
    // key orders a tag's invoices by (created_at, invoice_id), the listing order, so a filtered page is a range
    // scan of one tag and never a sort.
    sql: `
      CREATE TABLE invoice_list_tags (
        tag        TEXT NOT NULL,
        created_at TEXT NOT NULL,
        invoice_id TEXT NOT NULL,
        PRIMARY KEY (tag, created_at, invoice_id)
      ) WITHOUT ROWID;
      CREATE INDEX invoice_list_tags_by_invoice ON invoice_list_tags (invoice_id);
      CREATE TRIGGER invoice_list_tags_on_insert AFTER INSERT ON invoices BEGIN
        INSERT OR IGNORE INTO invoice_list_tags (tag, created_at, invoice_id)
          SELECT 'reason:' || json_extract(r.value, '$.code'), NEW.created_at, NEW.invoice_id
            FROM json_each(NEW.record, '$.decision.reasons') r WHERE json_extract(r.value, '$.code') IS NOT NULL
          UNION SELECT 'model:' || m.key || '@' || m.value, NEW.created_at, NEW.invoice_id FROM json_each(NEW.record, '$.decision.modelVersions') m
          UNION SELECT 'model:' || m.value, NEW.created_at, NEW.invoice_id FROM json_each(NEW.record, '$.decision.modelVersions') m;
      END;
      CREATE TRIGGER invoice_list_tags_on_update AFTER UPDATE OF record ON invoices BEGIN
        DELETE FROM invoice_list_tags WHERE invoice_id = NEW.invoice_id;
        INSERT OR IGNORE INTO invoice_list_tags (tag, created_at, invoice_id)
          SELECT 'reason:' || json_extract(r.value, '$.code'), NEW.created_at, NEW.invoice_id
            FROM json_each(NEW.record, '$.decision.reasons') r WHERE json_extract(r.value, '$.code') IS NOT NULL
          UNION SELECT 'model:' || m.key || '@' || m.value, NEW.created_at, NEW.invoice_id FROM json_each(NEW.record, '$.decision.modelVersions') m
          UNION SELECT 'model:' || m.value, NEW.created_at, NEW.invoice_id FROM json_each(NEW.record, '$.decision.modelVersions') m;
      END;
      INSERT OR IGNORE INTO invoice_list_tags (tag, created_at, invoice_id)
        SELECT 'reason:' || json_extract(r.value, '$.code'), i.created_at, i.invoice_id
          FROM invoices i, json_each(i.record, '$.decision.reasons') r WHERE json_extract(r.value, '$.code') IS NOT NULL
        UNION SELECT 'model:' || m.key || '@' || m.value, i.created_at, i.invoice_id FROM invoices i, json_each(i.record, '$.decision.modelVersions') m
        UNION SELECT 'model:' || m.value, i.created_at, i.invoice_id FROM invoices i, json_each(i.record, '$.decision.modelVersions') m;
    `,
  },
  {
    version: 41,
    name: 'api keys',
    sql: `
      CREATE TABLE api_keys (
        id            TEXT PRIMARY KEY,
        created_at    TEXT NOT NULL,
        revoked_at    TEXT,
        record        TEXT NOT NULL
      );
      CREATE INDEX api_keys_by_created ON api_keys (created_at, id);
    `,
  },
  {
    version: 42,
    name: 'webhooks and their delivery log',
    sql: `
      CREATE TABLE webhooks (
        id         TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        record     TEXT NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        id          TEXT PRIMARY KEY,
        webhook_id  TEXT NOT NULL,
        invoice_id  TEXT NOT NULL,
        status      TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        record      TEXT NOT NULL
      );
      CREATE INDEX webhook_deliveries_by_created ON webhook_deliveries (created_at, id);
      CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at, id);
      CREATE INDEX webhook_deliveries_by_invoice ON webhook_deliveries (invoice_id, created_at, id);
      CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (status, created_at, id);
    `,
  },
  {
    version: 43,
    name: 'local api secrets',
    // Secrets of the local server that must survive a restart (the HMAC key of local signed upload URLs).
    sql: `
      CREATE TABLE api_secrets (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  // 50-59: monitoring (drift reports, operations log).
  ...MONITORING_MIGRATIONS,
  // 60-69: the review queue.
  {
    version: 60,
    name: 'review queue index (audit sample decided at scoring, reviewed revision)',
    // The queue (core/invoice/review-queue.ts) becomes one column, written with the record by the store, and a
    // partial index over the open ones in listing order: a queue page is a range of it, never a scan of the
    // auto-approved invoices for the audit sample.
    sql: `
      ALTER TABLE invoices ADD COLUMN review_queue TEXT CHECK (review_queue IN ('review', 'audit'));
      CREATE INDEX invoices_review_queue ON invoices (created_at, invoice_id) WHERE review_queue IS NOT NULL;
    `,
    run: backfillReviewQueue,
  },
  // 70-79: batch jobs.
  {
    version: 70,
    name: 'invoices by status and update time (the sweep)',
    // The sweep reads the records of a status changed within its window (FAILED ones that failed in the last
    // hours, records stuck since before a deadline) and counts a status: one range / one index count each,
    // never the whole status.
    sql: `CREATE INDEX invoices_by_status_updated ON invoices (status, updated_at, invoice_id);`,
  },
  {
    version: 71,
    name: 'near-duplicate index (supplier, total amount)',
    // A near-duplicate lookup is one supplier's invoices in a +-1 % band of the total. Through the supplier's
    // (supplier_key, created_at) index it read every earlier invoice of the supplier, so each lookup grew with the
    // store (a reprocess of 10,000 invoices slowed down as it went); the band of this index holds only the few
    // candidates (as Firestore's (supplierKey, totalAmount) index does).
    sql: 'CREATE INDEX invoices_by_supplier_amount ON invoices (supplier_key, total_amount);',
  },
];

/**
 * Records scored before migration 60: an APPROVE decision gets the audit draw the queue made for it at read time
 * (the hash of its id at the default rate: a server run with another `--audit-rate` applies it to invoices scored
 * from now on), a record with review labels gets `reviewedRevision` from them, and every record its queue column.
 */
function backfillReviewQueue(db: SqliteDatabase): void {
  const rows = db
    .statement(
      `SELECT i.invoice_id, i.decision, json_extract(i.record, '$.revision') AS revision,
         json_type(i.record, '$.decision.auditSample') AS drawn,
         (SELECT MAX(l.revision) FROM review_labels l WHERE l.invoice_id = i.invoice_id) AS reviewed
       FROM invoices i WHERE i.decision IN ('REVIEW', 'APPROVE')`,
    )
    .all() as Array<{ invoice_id: string; decision: string; revision: number | null; drawn: string | null; reviewed: number | null }>;
  const setDraw = db.statement(`UPDATE invoices SET record = json_set(record, '$.decision.auditSample', json(?)) WHERE invoice_id = ?`);
  const setReviewed = db.statement(`UPDATE invoices SET record = json_set(record, '$.reviewedRevision', ?) WHERE invoice_id = ?`);
  const setQueue = db.statement('UPDATE invoices SET review_queue = ? WHERE invoice_id = ?');
  for (const row of rows) {
    let auditSample = row.drawn === 'true';
    if (row.decision === 'APPROVE' && row.drawn === null) {
      auditSample = inAuditSample(row.invoice_id, DEFAULT_AUDIT_SAMPLE_RATE);
      setDraw.run(String(auditSample), row.invoice_id);
    }
    if (row.reviewed !== null) setReviewed.run(row.reviewed, row.invoice_id);
    const queue = reviewQueueOf({
      decision: { decision: row.decision, auditSample } as InvoiceRecord['decision'], revision: row.revision ?? 1, reviewedRevision: row.reviewed ?? undefined,
    });
    if (queue) setQueue.run(queue, row.invoice_id);
  }
}

/** Opens the local LedgerX database (file path or ':memory:') with every migration applied. */
export function openLedgerDatabase(path: string, options: Omit<OpenDatabaseOptions, 'migrations'> = {}): SqliteDatabase {
  return SqliteDatabase.open(path, { ...options, migrations: LEDGER_MIGRATIONS });
}

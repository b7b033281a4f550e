import type { Migration } from './database.js';

/**
 * The learning loop's tables (migration versions 20-39): prediction log, review labels and their history,
 * the model registry (versions, pointers, audit, promotion requests), jobs and experiment runs.
 */
export const LEARNING_MIGRATIONS: readonly Migration[] = [
  {
    version: 20,
    name: 'prediction_log',
    sql: `
      CREATE TABLE predictions (
        pkey         TEXT PRIMARY KEY,
        invoice_id   TEXT NOT NULL,
        revision     INTEGER NOT NULL,
        scored_at    TEXT NOT NULL,
        expires_at   TEXT NOT NULL,
        versions_key TEXT NOT NULL,
        entry        TEXT NOT NULL
      );
      CREATE INDEX predictions_by_time ON predictions (scored_at, pkey);
      CREATE INDEX predictions_by_invoice ON predictions (invoice_id, scored_at, pkey);
      CREATE INDEX predictions_by_expiry ON predictions (expires_at);
      CREATE TABLE prediction_models (
        pkey      TEXT NOT NULL REFERENCES predictions (pkey) ON DELETE CASCADE,
        model     TEXT NOT NULL,
        version   TEXT NOT NULL,
        scored_at TEXT NOT NULL,
        PRIMARY KEY (model, version, scored_at, pkey)
      );
      CREATE INDEX prediction_models_by_pkey ON prediction_models (pkey);
    `,
  },
  {
    version: 21,
    name: 'review_labels',
    sql: `
      CREATE TABLE review_labels (
        invoice_id  TEXT NOT NULL,
        revision    INTEGER NOT NULL,
        reviewer    TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        label       TEXT NOT NULL,
        PRIMARY KEY (invoice_id, revision, reviewer)
      );
      CREATE TABLE review_history (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        invoice_id  TEXT NOT NULL,
        revision    INTEGER NOT NULL,
        reviewer    TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        label       TEXT NOT NULL
      );
      CREATE INDEX review_history_by_invoice ON review_history (invoice_id, seq);
    `,
  },
  {
    version: 22,
    name: 'model_registry',
    sql: `
      CREATE TABLE model_versions (
        name         TEXT NOT NULL,
        version      TEXT NOT NULL,
        stage        TEXT NOT NULL CHECK (stage IN ('staging', 'production', 'archived')),
        created_at   TEXT NOT NULL,
        model_sha256 TEXT NOT NULL,
        record       TEXT NOT NULL,
        PRIMARY KEY (name, version)
      );
      CREATE TABLE model_pointers (
        name       TEXT PRIMARY KEY,
        production TEXT,
        history    TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE model_audit (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        name    TEXT NOT NULL,
        version TEXT,
        at      TEXT NOT NULL,
        entry   TEXT NOT NULL
      );
      CREATE INDEX model_audit_by_model ON model_audit (name, version, id);
      CREATE TABLE promotion_requests (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        version      TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        requested_at TEXT NOT NULL,
        request      TEXT NOT NULL
      );
      CREATE UNIQUE INDEX promotion_requests_one_pending ON promotion_requests (name, version) WHERE status = 'pending';
    `,
  },
  {
    version: 23,
    name: 'jobs',
    sql: `
      CREATE TABLE jobs (
        id         TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        key        TEXT NOT NULL UNIQUE,
        status     TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        created_at TEXT NOT NULL,
        job        TEXT NOT NULL
      );
      CREATE INDEX jobs_by_kind_status ON jobs (kind, status, created_at);
      CREATE INDEX jobs_by_status ON jobs (status, created_at);
    `,
  },
  {
    version: 24,
    name: 'experiment_runs',
    sql: `
      CREATE TABLE runs (
        id         TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        run        TEXT NOT NULL
      );
      CREATE INDEX runs_by_start ON runs (started_at, id);
    `,
  },
];

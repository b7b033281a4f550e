/**
 * Monitoring on the embedded database (migration 50): drift reports, and the operations log (findings and
 * actions). Every state change is one IMMEDIATE transaction: a conditional insert on the key, or a read and
 * write of one action under the write lock, so two processes on one data dir never both claim an action.
 */
import { DriftReportSchema, summaryOf, type DriftReport, type DriftReportStore, type DriftReportSummary } from '../../../core/monitoring/report.js';
import {
  claimable, claimed, finished, FindingSchema, mergedProposal, OpsActionSchema, OpsConflictError, planDecision,
  type ActionStatus, type Finding, type OpsAction, type OpsStore,
} from '../../../core/monitoring/ops.js';
import { decodeCursor, encodeCursor } from '../../page-cursor.js';
import type { Migration, SqliteDatabase } from './database.js';

export const MONITORING_MIGRATIONS: readonly Migration[] = [
  {
    version: 50,
    name: 'monitoring: drift reports and the operations log',
    sql: `
      CREATE TABLE drift_reports (
        id         TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        report     TEXT NOT NULL
      );
      CREATE INDEX drift_reports_by_time ON drift_reports (created_at, id);
      CREATE TABLE ops_findings (
        id         TEXT PRIMARY KEY,
        key        TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        finding    TEXT NOT NULL
      );
      CREATE INDEX ops_findings_by_time ON ops_findings (created_at, id);
      CREATE TABLE ops_actions (
        id         TEXT PRIMARY KEY,
        key        TEXT NOT NULL UNIQUE,
        status     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        action     TEXT NOT NULL
      );
      CREATE INDEX ops_actions_by_status ON ops_actions (status, created_at, id);
      CREATE INDEX ops_actions_by_time ON ops_actions (created_at, id);
    `,
  },
];

export class SqliteDriftReportStore implements DriftReportStore {
  constructor(private readonly db: SqliteDatabase) {}

  async put(input: DriftReport): Promise<void> {
    const report = DriftReportSchema.parse(input);
    this.db
      .statement('INSERT INTO drift_reports (id, created_at, report) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, report = excluded.report')
      .run(report.id, new Date(report.createdAt).toISOString(), JSON.stringify(report));
  }

  async get(id: string): Promise<DriftReport | null> {
    const row = this.db.statement('SELECT report FROM drift_reports WHERE id = ?').get(id) as { report: string } | undefined;
    return row ? DriftReportSchema.parse(JSON.parse(row.report)) : null;
  }

  async list(query: { limit: number; cursor?: string | undefined }): Promise<{ items: DriftReportSummary[]; nextCursor?: string | undefined }> {
    const rows = (query.cursor
      ? this.db.statement('SELECT id, created_at, report FROM drift_reports WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?').all(...decodeCursor(query.cursor, 2), query.limit + 1)
      : this.db.statement('SELECT id, created_at, report FROM drift_reports ORDER BY created_at DESC, id DESC LIMIT ?').all(query.limit + 1)) as Array<{ id: string; created_at: string; report: string }>;
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: page.map((r) => summaryOf(DriftReportSchema.parse(JSON.parse(r.report)))), nextCursor: rows.length > query.limit && last ? encodeCursor([last.created_at, last.id]) : undefined };
  }
}

export class SqliteOpsStore implements OpsStore {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly options: { admins?: readonly string[] } = {},
  ) {}

  async recordFinding(input: Finding): Promise<{ created: boolean; finding: Finding }> {
    const finding = FindingSchema.parse(input);
    return this.db.immediate(() => {
      const r = this.db.statement('INSERT INTO ops_findings (id, key, created_at, finding) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(finding.id, finding.key, new Date(finding.createdAt).toISOString(), JSON.stringify(finding));
      if (r.changes === 1) return { created: true, finding };
      const row = this.db.statement('SELECT finding FROM ops_findings WHERE key = ?').get(finding.key) as { finding: string };
      return { created: false, finding: FindingSchema.parse(JSON.parse(row.finding)) };
    });
  }

  async findings(filter: { limit: number }): Promise<Finding[]> {
    const rows = this.db.statement('SELECT finding FROM ops_findings ORDER BY created_at DESC, id DESC LIMIT ?').all(filter.limit) as Array<{ finding: string }>;
    return rows.map((r) => FindingSchema.parse(JSON.parse(r.finding)));
  }

  async proposeAction(input: OpsAction): Promise<{ created: boolean; action: OpsAction }> {
    const action = OpsActionSchema.parse(input);
    return this.db.immediate(() => {
      const r = this.db.statement('INSERT INTO ops_actions (id, key, status, created_at, action) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(action.id, action.key, action.status, new Date(action.createdAt).toISOString(), JSON.stringify(action));
      if (r.changes === 1) return { created: true, action };
      const stored = this.read(action.id, action.key)!;
      const merged = mergedProposal(stored, action);
      if (merged !== stored) this.write(merged);
      return { created: false, action: merged };
    });
  }

  async action(id: string): Promise<OpsAction | null> {
    return this.read(id);
  }

  async actions(filter: { status?: ActionStatus; limit: number }): Promise<OpsAction[]> {
    const rows = (filter.status
      ? this.db.statement('SELECT action FROM ops_actions WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(filter.status, filter.limit)
      : this.db.statement('SELECT action FROM ops_actions ORDER BY created_at DESC, id DESC LIMIT ?').all(filter.limit)) as Array<{ action: string }>;
    return rows.map((r) => OpsActionSchema.parse(JSON.parse(r.action)));
  }

  async decide(id: string, decision: 'approve' | 'reject', by: string, comment: string, now: Date): Promise<OpsAction> {
    return this.db.immediate(() => {
      const stored = this.read(id);
      if (!stored) throw new OpsConflictError('UNKNOWN_ACTION', `no action ${id}`);
      const next = planDecision(stored, decision, by, comment, now, this.options.admins);
      this.write(next);
      return next;
    });
  }

  async claim(id: string, owner: string, leaseMs: number, now: Date): Promise<OpsAction | null> {
    return this.db.immediate(() => {
      const stored = this.read(id);
      if (!stored || !claimable(stored, now)) return null;
      const next = claimed(stored, owner, leaseMs, now);
      this.write(next);
      return next;
    });
  }

  async finish(id: string, owner: string, outcome: { status: 'executed' | 'failed'; result?: unknown; error?: string }, now: Date): Promise<boolean> {
    return this.db.immediate(() => {
      const stored = this.read(id);
      if (!stored || stored.status !== 'running' || stored.owner !== owner) return false;
      this.write(finished(stored, outcome, now));
      return true;
    });
  }

  private read(id: string, key?: string): OpsAction | null {
    const row = (key
      ? this.db.statement('SELECT action FROM ops_actions WHERE key = ?').get(key)
      : this.db.statement('SELECT action FROM ops_actions WHERE id = ?').get(id)) as { action: string } | undefined;
    return row ? OpsActionSchema.parse(JSON.parse(row.action)) : null;
  }

  private write(action: OpsAction): void {
    this.db.statement('UPDATE ops_actions SET status = ?, action = ? WHERE id = ?').run(action.status, JSON.stringify(action), action.id);
  }
}

/** FAILED invoices and all invoices created in [from, to) (the failed-share finding). */
export function sqliteFailedCounts(db: SqliteDatabase): (from: Date, to: Date) => Promise<{ failed: number; total: number }> {
  return async (from, to) => {
    const row = db
      .statement("SELECT COUNT(*) AS total, COALESCE(SUM(status = 'FAILED'), 0) AS failed FROM invoices WHERE created_at >= ? AND created_at < ?")
      .get(from.toISOString(), to.toISOString()) as { total: number; failed: number };
    return { failed: Number(row.failed), total: Number(row.total) };
  };
}

import { JobRecordSchema, TERMINAL_STATUSES, type JobRecord, type JobStatus, type JobStore } from '../../../core/learning/jobs.js';
import type { SqliteDatabase } from './database.js';

/**
 * {@link JobStore} on the embedded database. `create` is one INSERT that the UNIQUE key refuses for a second
 * job of the same window; every state change is one IMMEDIATE transaction that checks the owner and lease.
 */
export class SqliteJobStore implements JobStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(input: { id: string; kind: string; key: string; params: Record<string, unknown>; now: Date }): Promise<{ created: boolean; job: JobRecord }> {
    const at = input.now.toISOString();
    const job = JobRecordSchema.parse({ id: input.id, kind: input.kind, key: input.key, params: input.params, status: 'queued', createdAt: at, updatedAt: at });
    const info = this.db
      .statement('INSERT INTO jobs (id, kind, key, status, created_at, job) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(job.id, job.kind, job.key, job.status, job.createdAt, JSON.stringify(job));
    if (info.changes === 1) return { created: true, job };
    const existing = await this.byKey(input.key);
    if (!existing) throw new Error(`job id ${input.id} already exists under another key`);
    return { created: false, job: existing };
  }

  async get(id: string): Promise<JobRecord | null> {
    const row = this.db.statement('SELECT job FROM jobs WHERE id = ?').get(id) as { job: string } | undefined;
    return row ? JobRecordSchema.parse(JSON.parse(row.job)) : null;
  }

  async byKey(key: string): Promise<JobRecord | null> {
    const row = this.db.statement('SELECT job FROM jobs WHERE key = ?').get(key) as { job: string } | undefined;
    return row ? JobRecordSchema.parse(JSON.parse(row.job)) : null;
  }

  async list(filter: { kind?: string; status?: JobStatus; limit: number }): Promise<JobRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.kind) {
      where.push('kind = ?');
      args.push(filter.kind);
    }
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    const rows = this.db
      .statement(`SELECT job FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(...args, filter.limit) as Array<{ job: string }>;
    return rows.map((r) => JobRecordSchema.parse(JSON.parse(r.job)));
  }

  async claim(id: string, owner: string, leaseMs: number, now: Date, options: { takeOverFrom?: string } = {}): Promise<JobRecord | null> {
    return this.db.immediate(() => {
      const job = this.read(id);
      if (!job || TERMINAL_STATUSES.has(job.status)) return null;
      const live = job.status === 'running' && job.leaseUntil !== null && Date.parse(job.leaseUntil) > now.getTime();
      if (live && job.owner !== owner && (options.takeOverFrom === undefined || job.owner !== options.takeOverFrom)) return null;
      if (job.cancelRequested) {
        this.write({ ...job, status: 'cancelled', owner: null, leaseUntil: null, updatedAt: now.toISOString(), finishedAt: now.toISOString() });
        return null;
      }
      const claimed: JobRecord = {
        ...job,
        status: 'running',
        owner,
        attempts: job.attempts + 1,
        leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
        startedAt: job.startedAt ?? now.toISOString(),
        updatedAt: now.toISOString(),
      };
      this.write(claimed);
      return claimed;
    });
  }

  async heartbeat(id: string, owner: string, patch: { checkpoint?: unknown; counts?: Record<string, number>; leaseMs: number; now: Date }): Promise<{ held: boolean; cancelRequested: boolean }> {
    return this.db.immediate(() => {
      const job = this.read(id);
      if (!job || job.status !== 'running' || job.owner !== owner) return { held: false, cancelRequested: false };
      this.write({
        ...job,
        ...(patch.checkpoint !== undefined ? { checkpoint: patch.checkpoint } : {}),
        counts: { ...job.counts, ...patch.counts },
        leaseUntil: new Date(patch.now.getTime() + patch.leaseMs).toISOString(),
        updatedAt: patch.now.toISOString(),
      });
      return { held: true, cancelRequested: job.cancelRequested };
    });
  }

  async finish(id: string, owner: string, outcome: { status: 'succeeded' | 'failed' | 'cancelled'; error?: { code: string; reason: string }; result?: unknown; now: Date }): Promise<boolean> {
    return this.db.immediate(() => {
      const job = this.read(id);
      if (!job || job.status !== 'running' || job.owner !== owner) return false;
      const at = outcome.now.toISOString();
      this.write({
        ...job,
        status: outcome.status,
        owner: null,
        leaseUntil: null,
        updatedAt: at,
        finishedAt: at,
        ...(outcome.result !== undefined ? { result: outcome.result } : {}),
        errors: outcome.error ? [...job.errors, { at, ...outcome.error, attempt: job.attempts }] : job.errors,
      });
      return true;
    });
  }

  async release(id: string, owner: string, error: { code: string; reason: string }, now: Date): Promise<boolean> {
    return this.db.immediate(() => {
      const job = this.read(id);
      if (!job || job.status !== 'running' || job.owner !== owner) return false;
      const at = now.toISOString();
      this.write({ ...job, status: 'queued', owner: null, leaseUntil: null, updatedAt: at, errors: [...job.errors, { at, ...error, attempt: job.attempts }] });
      return true;
    });
  }

  async cancel(id: string, now: Date): Promise<JobRecord | null> {
    return this.db.immediate(() => {
      const job = this.read(id);
      if (!job) return null;
      if (TERMINAL_STATUSES.has(job.status)) return job;
      const at = now.toISOString();
      const next: JobRecord = job.status === 'queued'
        ? { ...job, status: 'cancelled', cancelRequested: true, updatedAt: at, finishedAt: at }
        : { ...job, cancelRequested: true, updatedAt: at };
      this.write(next);
      return next;
    });
  }

  private read(id: string): JobRecord | null {
    const row = this.db.statement('SELECT job FROM jobs WHERE id = ?').get(id) as { job: string } | undefined;
    return row ? JobRecordSchema.parse(JSON.parse(row.job)) : null;
  }

  private write(job: JobRecord): void {
    const parsed = JobRecordSchema.parse(job);
    this.db.statement('UPDATE jobs SET status = ?, job = ? WHERE id = ?').run(parsed.status, JSON.stringify(parsed), parsed.id);
  }
}

/**
 * {@link JobStore} on Firestore: `jobs/{id}` (the record as JSON plus `kind`, `status`, `createdAt` for
 * listings) and `jobKeys/{hash(key)}` (the uniqueness of a window). `create` is one transaction that creates
 * both or finds the existing key; every state change is a transaction that checks owner and lease.
 * Composite indexes: (kind, createdAt desc), (status, createdAt desc), (kind, status, createdAt desc).
 */
import { createHash } from 'node:crypto';
import type { CollectionReference, Firestore, Query, Transaction } from '@google-cloud/firestore';
import { JobRecordSchema, TERMINAL_STATUSES, type JobRecord, type JobStatus, type JobStore } from '../../core/learning/jobs.js';
import { rethrowClassified, runTransaction } from './firestore-data.js';

const keyId = (key: string) => `k-${createHash('sha256').update(key).digest('hex')}`;

export interface FirestoreJobStoreOptions {
  prefix?: string;
  maxTransactionAttempts?: number;
}

export class FirestoreJobStore implements JobStore {
  private readonly jobs: CollectionReference;
  private readonly keys: CollectionReference;
  private readonly attempts: number;

  constructor(
    private readonly db: Firestore,
    options: FirestoreJobStoreOptions = {},
  ) {
    const p = options.prefix ?? '';
    this.jobs = db.collection(`${p}jobs`);
    this.keys = db.collection(`${p}jobKeys`);
    this.attempts = options.maxTransactionAttempts ?? 30;
  }

  private tx<T>(what: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return runTransaction(this.db, fn, { maxAttempts: this.attempts }).catch((err: unknown) => rethrowClassified(err, what));
  }

  private doc(job: JobRecord) {
    const parsed = JobRecordSchema.parse(job);
    return { kind: parsed.kind, key: parsed.key, status: parsed.status, createdAt: parsed.createdAt, json: JSON.stringify(parsed) };
  }

  private async read(tx: Transaction, id: string): Promise<JobRecord | null> {
    const snap = await tx.get(this.jobs.doc(id));
    return snap.exists ? JobRecordSchema.parse(JSON.parse(String(snap.get('json')))) : null;
  }

  async create(input: { id: string; kind: string; key: string; params: Record<string, unknown>; now: Date }): Promise<{ created: boolean; job: JobRecord }> {
    const at = input.now.toISOString();
    const job = JobRecordSchema.parse({ id: input.id, kind: input.kind, key: input.key, params: input.params, status: 'queued', createdAt: at, updatedAt: at });
    return this.tx('job create', async (tx) => {
      const keySnap = await tx.get(this.keys.doc(keyId(input.key)));
      if (keySnap.exists) {
        const existing = await this.read(tx, String(keySnap.get('jobId')));
        if (existing) return { created: false, job: existing };
      }
      tx.set(this.keys.doc(keyId(input.key)), { key: input.key, jobId: job.id });
      tx.create(this.jobs.doc(job.id), this.doc(job));
      return { created: true, job };
    });
  }

  async get(id: string): Promise<JobRecord | null> {
    const snap = await this.jobs.doc(id).get();
    return snap.exists ? JobRecordSchema.parse(JSON.parse(String(snap.get('json')))) : null;
  }

  async byKey(key: string): Promise<JobRecord | null> {
    const snap = await this.keys.doc(keyId(key)).get();
    return snap.exists ? this.get(String(snap.get('jobId'))) : null;
  }

  async list(filter: { kind?: string; status?: JobStatus; limit: number }): Promise<JobRecord[]> {
    let ref: Query = this.jobs;
    if (filter.kind) ref = ref.where('kind', '==', filter.kind);
    if (filter.status) ref = ref.where('status', '==', filter.status);
    const snap = await ref.orderBy('createdAt', 'desc').limit(filter.limit).get();
    return snap.docs.map((d) => JobRecordSchema.parse(JSON.parse(String(d.get('json')))));
  }

  async claim(id: string, owner: string, leaseMs: number, now: Date, options: { takeOverFrom?: string } = {}): Promise<JobRecord | null> {
    return this.tx('job claim', async (tx) => {
      const job = await this.read(tx, id);
      if (!job || TERMINAL_STATUSES.has(job.status)) return null;
      const live = job.status === 'running' && job.leaseUntil !== null && Date.parse(job.leaseUntil) > now.getTime();
      if (live && job.owner !== owner && (options.takeOverFrom === undefined || job.owner !== options.takeOverFrom)) return null;
      if (job.cancelRequested) {
        tx.set(this.jobs.doc(id), this.doc({ ...job, status: 'cancelled', owner: null, leaseUntil: null, updatedAt: now.toISOString(), finishedAt: now.toISOString() }));
        return null;
      }
      const claimed: JobRecord = { ...job, status: 'running', owner, attempts: job.attempts + 1, leaseUntil: new Date(now.getTime() + leaseMs).toISOString(), startedAt: job.startedAt ?? now.toISOString(), updatedAt: now.toISOString() };
      tx.set(this.jobs.doc(id), this.doc(claimed));
      return claimed;
    });
  }

  async heartbeat(id: string, owner: string, patch: { checkpoint?: unknown; counts?: Record<string, number>; leaseMs: number; now: Date }): Promise<{ held: boolean; cancelRequested: boolean }> {
    return this.tx('job heartbeat', async (tx) => {
      const job = await this.read(tx, id);
      if (!job || job.status !== 'running' || job.owner !== owner) return { held: false, cancelRequested: false };
      tx.set(this.jobs.doc(id), this.doc({
        ...job, ...(patch.checkpoint !== undefined ? { checkpoint: patch.checkpoint } : {}), counts: { ...job.counts, ...patch.counts },
        leaseUntil: new Date(patch.now.getTime() + patch.leaseMs).toISOString(), updatedAt: patch.now.toISOString(),
      }));
      return { held: true, cancelRequested: job.cancelRequested };
    });
  }

  async finish(id: string, owner: string, outcome: { status: 'succeeded' | 'failed' | 'cancelled'; error?: { code: string; reason: string }; result?: unknown; now: Date }): Promise<boolean> {
    return this.tx('job finish', async (tx) => {
      const job = await this.read(tx, id);
      if (!job || job.status !== 'running' || job.owner !== owner) return false;
      const at = outcome.now.toISOString();
      tx.set(this.jobs.doc(id), this.doc({
        ...job, status: outcome.status, owner: null, leaseUntil: null, updatedAt: at, finishedAt: at, ...(outcome.result !== undefined ? { result: outcome.result } : {}),
        errors: outcome.error ? [...job.errors, { at, ...outcome.error, attempt: job.attempts }] : job.errors,
      }));
      return true;
    });
  }

  async release(id: string, owner: string, error: { code: string; reason: string }, now: Date): Promise<boolean> {
    return this.tx('job release', async (tx) => {
      const job = await this.read(tx, id);
      if (!job || job.status !== 'running' || job.owner !== owner) return false;
      const at = now.toISOString();
      tx.set(this.jobs.doc(id), this.doc({ ...job, status: 'queued', owner: null, leaseUntil: null, updatedAt: at, errors: [...job.errors, { at, ...error, attempt: job.attempts }] }));
      return true;
    });
  }

  async cancel(id: string, now: Date): Promise<JobRecord | null> {
    return this.tx('job cancel', async (tx) => {
      const job = await this.read(tx, id);
      if (!job) return null;
      if (TERMINAL_STATUSES.has(job.status)) return job;
      const at = now.toISOString();
      const next: JobRecord = job.status === 'queued' ? { ...job, status: 'cancelled', cancelRequested: true, updatedAt: at, finishedAt: at } : { ...job, cancelRequested: true, updatedAt: at };
      tx.set(this.jobs.doc(id), this.doc(next));
      return next;
    });
  }
}

/**
 * Jobs: long-running work (retraining today; sweeps, reprocessing and exports later) as records with a
 * status, a checkpoint, counts and errors, run by a generic runner (kind -> handler) that any process can
 * resume after a crash. A job key makes "this kind for this window" unique: creating a job is an atomic
 * conditional create on the key, so two schedulers never start the same window twice.
 *
 * Leases: a running job carries `leaseUntil`, renewed by every progress call. A job whose owner died keeps
 * status `running` with an expired lease; the next runner claims it (attempt + 1) and its handler starts from
 * the last checkpoint.
 */
import { z } from 'zod';
import type { Logger } from '../ports.js';

const IsoTime = z.iso.datetime({ offset: true });

export const JobStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const JobErrorSchema = z.object({ at: IsoTime, code: z.string().max(100), reason: z.string().max(2000), attempt: z.number().int() });

export const JobRecordSchema = z.object({
  id: z.string().min(1).max(200),
  kind: z.string().min(1).max(60).regex(/^[a-z][a-z0-9-]*$/),
  /** Unique among jobs: `<kind>:<window or request>`. */
  key: z.string().min(1).max(300),
  params: z.record(z.string(), z.unknown()).default({}),
  status: JobStatusSchema,
  checkpoint: z.unknown().optional(),
  counts: z.record(z.string(), z.number()).default({}),
  errors: z.array(JobErrorSchema).default([]),
  attempts: z.number().int().nonnegative().default(0),
  owner: z.string().nullable().default(null),
  leaseUntil: IsoTime.nullable().default(null),
  cancelRequested: z.boolean().default(false),
  result: z.unknown().optional(),
  createdAt: IsoTime,
  startedAt: IsoTime.nullable().default(null),
  updatedAt: IsoTime,
  finishedAt: IsoTime.nullable().default(null),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Job records. `create` is an atomic conditional create on `key` (never read-then-write); `claim` moves a
 * queued job, or a running one whose lease expired, to running under `owner` in one transaction; `heartbeat`
 * and `finish` only act while `owner` holds the lease (they return false otherwise: the job was taken over).
 */
export interface JobStore {
  create(input: { id: string; kind: string; key: string; params: Record<string, unknown>; now: Date }): Promise<{ created: boolean; job: JobRecord }>;
  get(id: string): Promise<JobRecord | null>;
  byKey(key: string): Promise<JobRecord | null>;
  list(filter: { kind?: string; status?: JobStatus; limit: number }): Promise<JobRecord[]>;
  /** `takeOverFrom`: also claim a running job with a live lease when that owner holds it (the caller knows it is dead). */
  claim(id: string, owner: string, leaseMs: number, now: Date, options?: { takeOverFrom?: string }): Promise<JobRecord | null>;
  heartbeat(id: string, owner: string, patch: { checkpoint?: unknown; counts?: Record<string, number>; leaseMs: number; now: Date }): Promise<{ held: boolean; cancelRequested: boolean }>;
  finish(id: string, owner: string, outcome: { status: 'succeeded' | 'failed' | 'cancelled'; error?: { code: string; reason: string }; result?: unknown; now: Date }): Promise<boolean>;
  /** Records a failed attempt and releases the lease (status back to queued) so that a later claim retries it. */
  release(id: string, owner: string, error: { code: string; reason: string }, now: Date): Promise<boolean>;
  /** Cancels a queued job at once; asks a running one to stop (its handler sees it at the next progress call). */
  cancel(id: string, now: Date): Promise<JobRecord | null>;
}

/** What a handler gets: its parameters, where it left off, and how to report. */
export interface JobContext<C = unknown> {
  job: JobRecord;
  params: Record<string, unknown>;
  /** The checkpoint saved by the last attempt (undefined on the first). */
  checkpoint: C | undefined;
  attempt: number;
  log: Logger;
  /** Saves a checkpoint and counts and renews the lease; throws JobCancelledError when cancellation was asked, JobLostError when the lease was lost. */
  progress(update: { checkpoint?: C; counts?: Record<string, number> }): Promise<void>;
}

export type JobHandler = (ctx: JobContext<never>) => Promise<unknown>;

export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
}
export class JobLostError extends Error {
  override readonly name = 'JobLostError';
}
/** A failure that a retry will not fix (bad parameters): the job fails at once instead of being retried. */
export class JobPermanentError extends Error {
  override readonly name = 'JobPermanentError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RunJobOptions {
  store: JobStore;
  handlers: Readonly<Record<string, JobHandler>>;
  owner: string;
  log: Logger;
  now: () => Date;
  /** Lease length; a progress call renews it (default 10 minutes). */
  leaseMs?: number;
  /** Attempts before a failing job is marked failed (default 3). */
  maxAttempts?: number;
  /** Whether a running job's owner is known to be gone (a crashed local process): then it is taken over at once. */
  ownerIsGone?: (job: JobRecord) => boolean;
}

export type RunOutcome = { status: JobStatus; job: JobRecord | null; claimed: boolean };

/**
 * Claims job `id` and runs its kind's handler to the end. Resolves with the final status; never throws for a
 * handler failure (recorded on the job with its reason). Not claimed (`claimed: false`) when another runner
 * holds a live lease or the job is already finished.
 */
export async function runJob(id: string, options: RunJobOptions): Promise<RunOutcome> {
  const leaseMs = options.leaseMs ?? 10 * 60_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const { store, owner } = options;
  const before = options.ownerIsGone ? await store.get(id) : null;
  const takeOverFrom = before?.status === 'running' && before.owner && options.ownerIsGone?.(before) ? before.owner : undefined;
  const job = await store.claim(id, owner, leaseMs, options.now(), takeOverFrom ? { takeOverFrom } : undefined);
  if (!job) return { status: (await store.get(id))?.status ?? 'failed', job: await store.get(id), claimed: false };
  const log = options.log.child({ jobId: job.id, jobKind: job.kind, attempt: job.attempts });
  const handler = options.handlers[job.kind];
  if (!handler) {
    await store.finish(id, owner, { status: 'failed', error: { code: 'UNKNOWN_KIND', reason: `no handler for job kind ${job.kind}` }, now: options.now() });
    return { status: 'failed', job: await store.get(id), claimed: true };
  }
  const ctx: JobContext<unknown> = {
    job,
    params: job.params,
    checkpoint: job.checkpoint,
    attempt: job.attempts,
    log,
    async progress(update) {
      const r = await store.heartbeat(id, owner, { ...update, leaseMs, now: options.now() });
      if (!r.held) throw new JobLostError(`job ${id} was taken over by another runner`);
      if (r.cancelRequested) throw new JobCancelledError(`job ${id} was cancelled`);
    },
  };
  log.info('job started', { checkpointed: job.checkpoint !== undefined });
  const started = Date.now();
  try {
    const result = await (handler as (c: JobContext<unknown>) => Promise<unknown>)(ctx);
    await store.finish(id, owner, { status: 'succeeded', result: result ?? null, now: options.now() });
    log.info('job succeeded', { ms: Date.now() - started });
    return { status: 'succeeded', job: await store.get(id), claimed: true };
  } catch (err) {
    if (err instanceof JobLostError) {
      log.warn('job lost its lease', { ms: Date.now() - started });
      return { status: 'running', job: await store.get(id), claimed: true };
    }
    if (err instanceof JobCancelledError) {
      await store.finish(id, owner, { status: 'cancelled', now: options.now() });
      log.info('job cancelled');
      return { status: 'cancelled', job: await store.get(id), claimed: true };
    }
    const code = err instanceof JobPermanentError ? err.code : ((err as { code?: unknown }).code && typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : 'HANDLER_ERROR');
    const reason = err instanceof Error ? err.message.slice(0, 2000) : String(err).slice(0, 2000);
    const permanent = err instanceof JobPermanentError || job.attempts >= maxAttempts;
    log.error('job attempt failed', { code, permanent, errorName: err instanceof Error ? err.name : typeof err });
    if (permanent) await store.finish(id, owner, { status: 'failed', error: { code, reason }, now: options.now() });
    else await store.release(id, owner, { code, reason }, options.now());
    return { status: permanent ? 'failed' : 'queued', job: await store.get(id), claimed: true };
  }
}

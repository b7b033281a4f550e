/**
 * Running a batch job from the command line: the local runtime (the pipeline itself for the kinds that start
 * work in it: sweep, reprocess, backfill; read-only for export and summary), the job store of the data folder,
 * and the generic job runner with a progress bar. Shared by `ledgerx batch` and `ledgerx summary`.
 */
import { randomUUID } from 'node:crypto';
import { BatchParamsError, type BatchKind } from '../core/batch/params.js';
import { startBatchJob } from '../core/batch/start.js';
import { runJob, type JobRecord } from '../core/learning/jobs.js';
import type { Logger } from '../core/ports.js';
import { createJobProgress } from '../platform/job-progress.js';
import { BATCH_SQLITE_MAP_MB } from '../platform/local-batch-jobs.js';
import type { LocalRuntime } from '../platform/local-runtime.js';
import type { LocalLearning } from '../platform/local-learning.js';
import { SystemFailure, UsageError } from './errors.js';
import { cliLogger, openLearning } from './learning.js';
import { openRuntime, type CommonOptions } from './runtime-options.js';

/** Kinds that put work on the pipeline's bus need the pipeline running in this process (and its data-folder lock). */
export const needsPipeline = (kind: string): boolean => kind === 'sweep' || kind === 'reprocess' || kind === 'backfill';

/** A running job's lease: renewed at every checkpoint (each chunk), taken over at once when this process is gone. */
const LEASE_MS = 10 * 60_000;

export interface BatchSession {
  runtime: LocalRuntime;
  learning: LocalLearning;
  logger: Logger;
  close(): Promise<void>;
}

export async function openBatchSession(common: CommonOptions, kind: string, command: string): Promise<BatchSession> {
  const logger = cliLogger(common, command);
  const runtime = await openRuntime({ ...common, pipeline: needsPipeline(kind), sqliteMapMb: BATCH_SQLITE_MAP_MB });
  try {
    const learning = await openLearning(common, logger);
    return {
      runtime, learning, logger,
      async close() {
        learning.close();
        await runtime.close();
      },
    };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}

/** Records a new job of `kind`, or throws UsageError naming the job already queued or running for that window. */
export async function createBatchJob(session: BatchSession, kind: BatchKind, params: Record<string, unknown>): Promise<JobRecord> {
  const productionVersions = kind === 'backfill' ? (await session.runtime.deps.models.loadProduction())?.versions ?? {} : undefined;
  try {
    const outcome = await startBatchJob(session.learning.jobs, { id: `job-${randomUUID()}`, kind, params, now: new Date(), ...(productionVersions ? { productionVersions } : {}) });
    if (!outcome.started) {
      const j = outcome.job;
      throw new UsageError(`a ${kind} job for this window is already ${j.status}: ${j.id} (started ${j.createdAt}); wait for it, \`ledgerx batch resume ${j.id}\` if its process is gone, or \`ledgerx batch cancel ${j.id}\``);
    }
    return outcome.job;
  } catch (err) {
    if (err instanceof BatchParamsError) throw new UsageError(err.message);
    throw err;
  }
}

/** Runs (or resumes) job `id` to its end in this process, with a progress bar; returns the final record. */
export async function executeBatchJob(session: BatchSession, id: string, options: { progress?: boolean } = {}): Promise<JobRecord> {
  const { localBatchHandlers, localMonitoringReaders } = await import('../platform/local-batch-jobs.js');
  const { localOwner, localOwnerIsGone } = await import('../platform/local-scheduler.js');
  const job = await session.learning.jobs.get(id);
  if (!job) throw new UsageError(`unknown job ${id.slice(0, 100)}`);
  const bar = createJobProgress(`${job.kind} ${job.id.slice(0, 12)}`, options.progress);
  const handlers = localBatchHandlers(session.runtime, {
    monitoring: localMonitoringReaders(session.learning),
    onProgress: (counts, total) => {
      const done = counts.listed ?? counts.objects ?? counts.rows ?? counts.records ?? 0;
      const detail = Object.entries(counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
      bar.update(done, total, detail);
    },
  });
  try {
    const outcome = await runJob(id, {
      store: session.learning.jobs, handlers, owner: localOwner(), log: session.logger, now: () => new Date(), leaseMs: LEASE_MS, ownerIsGone: localOwnerIsGone,
    });
    if (!outcome.claimed) {
      const current = outcome.job;
      if (current && current.status === 'running') throw new UsageError(`job ${id} is running in another process (${current.owner ?? 'unknown'}, lease until ${current.leaseUntil ?? '?'})`);
      if (current) return current;
      throw new UsageError(`unknown job ${id.slice(0, 100)}`);
    }
    // Work a sweep re-triggered runs in this process's pipeline: let it finish before the command ends.
    if (needsPipeline(job.kind)) await session.runtime.drain();
  } finally {
    bar.stop();
  }
  const final = await session.learning.jobs.get(id);
  if (!final) throw new SystemFailure(`job ${id} disappeared`);
  return final;
}

/** One line about a job for the terminal. */
export function jobLine(j: JobRecord): string {
  const counts = Object.entries(j.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${j.id}\t${j.kind}\t${j.status}\t${j.key}\t${counts}${j.errors.length ? `\t${j.errors.at(-1)!.code}: ${j.errors.at(-1)!.reason.slice(0, 200)}` : ''}`;
}

/** Exit status of a finished job: a failed one is a system failure (exit 1), with its reason. */
export function assertJobSucceeded(j: JobRecord): void {
  if (j.status === 'failed') throw new SystemFailure(`job ${j.id} failed: ${j.errors.at(-1)?.code ?? ''} ${j.errors.at(-1)?.reason ?? ''}`.trim());
  if (j.status !== 'succeeded' && j.status !== 'cancelled') throw new SystemFailure(`job ${j.id} ended ${j.status}; \`ledgerx batch resume ${j.id}\` continues it`);
}

/**
 * `batch` (HTTP): the scheduled and on-demand batch jobs on GCP. Cloud Scheduler calls it with a JSON body
 * naming the job kind (`{"job":"sweep"}` hourly, `{"job":"export"}` and `{"job":"summary"}` nightly); an
 * operator can also start `reprocess` / `backfill` / `docai-backlog` with params, or `{"job":"resume","jobId":"..."}`.
 *
 * Each call records the job (an atomic conditional create on `<kind>:<window>#<n>`: a Scheduler retry or a
 * second call for the same window while one runs starts nothing twice) and runs it through the generic job
 * runner, checkpointing as it goes. Work that outlasts one invocation (a reprocess of a very large prefix)
 * is not lost: the function is stopped at its timeout, the job's lease runs out, and the next call of this
 * function (at the latest the next hourly sweep) resumes it from its checkpoint before it returns.
 *
 * 200 `{ jobId, kind, status, counts, started }`; 400 invalid body or params; 405 other methods; 500 when a job
 * attempt failed and will be retried (Cloud Scheduler retries), or the function is misconfigured.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { createBatchHandlers } from './core/batch/handlers.js';
import { BATCH_KINDS, BatchParamsError, type BatchKind } from './core/batch/params.js';
import { startBatchJob } from './core/batch/start.js';
import { lazy } from './core/lazy.js';
import { runJob, type JobHandler, type JobRecord } from './core/learning/jobs.js';
import { errorFields } from './platform/logger.js';
import { createBatchRuntime, type BatchFunctionRuntime } from './platform/gcp/runtimes/batch.js';

/** Names Cloud Scheduler bodies may use for a kind (`nightly-export` is the name the first schedule used). */
const ALIASES: Record<string, BatchKind> = { 'nightly-export': 'export', 'daily-summary': 'summary' };

export const BatchRequestSchema = z
  .strictObject({
    job: z.enum([...BATCH_KINDS, ...Object.keys(ALIASES), 'resume'] as [string, ...string[]]),
    params: z.record(z.string(), z.unknown()).optional(),
    jobId: z.string().regex(/^[\w.:-]{1,200}$/).optional(),
  })
  .refine((b) => (b.job === 'resume') === (b.jobId !== undefined), 'jobId is required with "resume" and only with it');

/** How long a running job's lease lasts without a checkpoint: after it, the next call takes the job over. */
const LEASE_MS = 5 * 60_000;
/** Abandoned jobs a call resumes after its own, at most. */
const RESUME_AT_MOST = 2;

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** The scheduled time Cloud Scheduler sends with each call (the window of scheduled jobs), if valid. */
function scheduleTime(req: Request): string | undefined {
  const raw = req.get('x-cloudscheduler-scheduletime');
  return raw && z.iso.datetime({ offset: true }).safeParse(raw).success ? new Date(raw).toISOString() : undefined;
}

const isExpired = (j: JobRecord, now: Date) => j.status === 'queued' || (j.status === 'running' && (j.leaseUntil === null || Date.parse(j.leaseUntil) <= now.getTime()));

export function makeBatchHandler(getRuntime: () => Promise<BatchFunctionRuntime>): (req: Request, res: Response) => Promise<void> {
  const owner = `batch:${randomUUID().slice(0, 8)}`;
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.set('Allow', 'POST');
      return fail(res, 405, 'METHOD_NOT_ALLOWED', 'use POST');
    }
    const body = BatchRequestSchema.safeParse(req.body);
    if (!body.success) return fail(res, 400, 'INVALID_REQUEST', body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    let runtime: BatchFunctionRuntime;
    try {
      runtime = await getRuntime();
    } catch (err) {
      console.error(JSON.stringify({ severity: 'ERROR', message: 'batch is misconfigured', ...errorFields(err) }));
      return fail(res, 500, 'MISCONFIGURED', 'the function is misconfigured');
    }
    const handlers: Record<string, JobHandler> = createBatchHandlers(runtime.deps, runtime.docai);
    const run = (id: string) => runJob(id, { store: runtime.jobs, handlers, owner, log: runtime.log, now: runtime.now, leaseMs: LEASE_MS });
    const now = runtime.now();
    let job: JobRecord;
    let started = false;
    try {
      if (body.data.job === 'resume') {
        const existing = await runtime.jobs.get(body.data.jobId!);
        if (!existing || !(BATCH_KINDS as readonly string[]).includes(existing.kind)) return fail(res, 404, 'NOT_FOUND', 'no such batch job');
        job = existing;
      } else {
        const kind = (ALIASES[body.data.job] ?? body.data.job) as BatchKind;
        const window = scheduleTime(req);
        const params = { ...body.data.params, trigger: window ? 'schedule' : 'http', ...(window ? { window } : {}) };
        const productionVersions = kind === 'backfill' ? (await runtime.deps.pipeline.models.loadProduction())?.versions ?? {} : undefined;
        const outcome = await startBatchJob(runtime.jobs, { id: `job-${randomUUID()}`, kind, params, now, ...(productionVersions ? { productionVersions } : {}) });
        job = outcome.job;
        started = outcome.started;
        if (!started && !isExpired(job, now)) {
          runtime.log.info('batch job already running for this window', { jobId: job.id, jobKind: job.kind });
          res.status(200).json({ jobId: job.id, kind: job.kind, status: job.status, counts: job.counts, started: false });
          return;
        }
      }
    } catch (err) {
      if (err instanceof BatchParamsError) return fail(res, 400, 'INVALID_PARAMS', err.message);
      runtime.log.error('batch job could not be recorded', errorFields(err));
      return fail(res, 500, 'JOB_STORE_FAILED', 'could not record the job');
    }
    const outcome = await run(job.id);
    const final = outcome.job ?? job;
    // Jobs a stopped invocation left behind (their lease ran out): continued from their checkpoints.
    try {
      const candidates = [...(await runtime.jobs.list({ status: 'queued', limit: 20 })), ...(await runtime.jobs.list({ status: 'running', limit: 20 }))]
        .filter((j) => j.id !== job.id && (BATCH_KINDS as readonly string[]).includes(j.kind) && isExpired(j, runtime.now()))
        .slice(0, RESUME_AT_MOST);
      for (const j of candidates) {
        const resumed = await run(j.id);
        runtime.log.info('abandoned batch job resumed', { jobId: j.id, jobKind: j.kind, status: resumed.status });
      }
    } catch (err) {
      runtime.log.warn('resuming abandoned batch jobs failed', errorFields(err));
    }
    const status = outcome.status === 'queued' ? 500 : 200;
    res.status(status).json({ jobId: final.id, kind: final.kind, status: outcome.status, counts: final.counts, started, ...(final.errors.length ? { error: final.errors.at(-1) } : {}) });
  };
}

export const handler = makeBatchHandler(lazy(() => createBatchRuntime()));

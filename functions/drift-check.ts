/**
 * `drift-check` (HTTP): called by Cloud Scheduler every few hours (`{"trigger":"schedule"}`), or by hand with
 * `{"windowEnd": "<ISO time>"}`. Records the check as a `drift-check` job keyed by its window (the scheduled
 * time, truncated to the minute, so Scheduler's retries of one run are one job) and runs it here: the report,
 * its HTML page, the findings and the operations policy's actions (core/monitoring/drift-check.ts).
 *
 * 200 `{ jobId, status, reportId?, reportStatus?, findings?, executed? }` (also when the window was already checked);
 * 400 invalid body; 405 other methods; 500 retry (config, Firestore, bucket or Pub/Sub errors; the job is
 * released and the next call resumes it).
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { lazy } from './core/lazy.js';
import { runJob } from './core/learning/jobs.js';
import { errorFields } from './platform/logger.js';
import { createDriftCheckHandler } from './platform/monitoring.js';
import { createDriftCheckRuntime, type DriftCheckRuntime } from './platform/gcp/runtimes/drift-check.js';

export const DriftCheckBodySchema = z.object({
  trigger: z.enum(['schedule', 'manual']).default('manual'),
  windowEnd: z.iso.datetime({ offset: true }).optional(),
}).strict();

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** The window a call checks: the given end, else now truncated to the minute (Scheduler's retries land in the same minute's job only if they come at once; the job key dedupes them anyway per window). */
export function windowEndOf(body: z.infer<typeof DriftCheckBodySchema>, now: Date): Date {
  if (body.windowEnd) return new Date(body.windowEnd);
  return new Date(Math.floor(now.getTime() / 60_000) * 60_000);
}

export function makeDriftCheckHandler(getRuntime: () => Promise<DriftCheckRuntime>): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.set('Allow', 'POST');
      return fail(res, 405, 'METHOD_NOT_ALLOWED', 'use POST');
    }
    const parsed = DriftCheckBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, 'INVALID_REQUEST', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    let runtime: DriftCheckRuntime;
    try {
      runtime = await getRuntime();
    } catch (err) {
      console.error(JSON.stringify({ severity: 'ERROR', message: 'drift-check is misconfigured', ...errorFields(err) }));
      return fail(res, 500, 'MISCONFIGURED', 'the function is misconfigured');
    }
    const end = windowEndOf(parsed.data, runtime.now());
    const log = runtime.log.child({ window: end.toISOString(), trigger: parsed.data.trigger });
    try {
      const { job } = await runtime.jobs.create({ id: `job-${randomUUID()}`, kind: 'drift-check', key: `drift-check:${end.toISOString()}`, params: { window: end.toISOString(), trigger: parsed.data.trigger }, now: runtime.now() });
      if (job.status === 'succeeded') {
        res.status(200).json({ ...(job.result as object), jobId: job.id, status: job.status });
        return;
      }
      const handler = createDriftCheckHandler(runtime.driftCheckDeps(log));
      const outcome = await runJob(job.id, { store: runtime.jobs, handlers: { 'drift-check': handler }, owner: `drift-check:${randomUUID().slice(0, 8)}`, log, now: runtime.now, leaseMs: 30 * 60_000 });
      if (outcome.status === 'succeeded' || outcome.status === 'failed' || !outcome.claimed) {
        res.status(200).json({ ...((outcome.job?.result as object | undefined) ?? {}), jobId: job.id, status: outcome.status });
        return;
      }
      fail(res, 500, 'CHECK_FAILED', `drift check ${outcome.status}; it is resumed on the next call`);
    } catch (err) {
      log.error('drift check failed', errorFields(err));
      fail(res, 500, 'CHECK_FAILED', 'could not run the drift check');
    }
  };
}

export const handler = makeDriftCheckHandler(lazy(() => createDriftCheckRuntime()));

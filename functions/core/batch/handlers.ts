/**
 * The batch job kinds as job handlers for the generic runner (core/learning/jobs.ts): each parses its
 * parameters (a bad one fails the job at once, JobPermanentError), resumes from its checkpoint and reports
 * counts through the job's progress (which also renews its lease and sees a cancellation).
 */
import { JobPermanentError, type JobContext, type JobHandler } from '../learning/jobs.js';
import type { BatchDeps } from './deps.js';
import { runExport } from './export.js';
import { BatchParamsError, dayOf, parseBatchParams, type BatchKind } from './params.js';
import { runBackfill, runReprocess, type RevisionCheckpoint } from './revisions.js';
import { runSummary } from './summary.js';
import { runReviewQueueBackfill, type ReviewQueueCheckpoint } from './review-queue.js';
import { runSweep, type SweepCheckpoint } from './sweep.js';

function parsed<K extends BatchKind>(kind: K, params: unknown) {
  try {
    return parseBatchParams(kind, params);
  } catch (err) {
    if (err instanceof BatchParamsError) throw new JobPermanentError('INVALID_PARAMS', err.message);
    throw err;
  }
}

/** Job kind -> handler for every batch kind, over `deps`. */
export function createBatchHandlers(deps: BatchDeps): Record<BatchKind, JobHandler> {
  const now = () => deps.pipeline.clock.now();
  return {
    sweep: (ctx) => runSweep(deps, ctx as JobContext<SweepCheckpoint>, parsed('sweep', ctx.params)),
    reprocess: (ctx) => runReprocess(deps, ctx as JobContext<RevisionCheckpoint>, parsed('reprocess', ctx.params)),
    backfill: (ctx) => runBackfill(deps, ctx as JobContext<RevisionCheckpoint>, parsed('backfill', ctx.params)),
    export: (ctx) => {
      const p = parsed('export', ctx.params);
      return runExport(deps, ctx as JobContext<unknown>, dayOf(p, now()));
    },
    summary: (ctx) => {
      const p = parsed('summary', ctx.params);
      return runSummary(deps, ctx as JobContext<unknown>, dayOf(p, now()), { pageBudget: p.pageBudget, topSuppliers: p.topSuppliers });
    },
    'review-queue': (ctx) => runReviewQueueBackfill(deps, ctx as JobContext<ReviewQueueCheckpoint>, parsed('review-queue', ctx.params).chunk),
  };
}

/** Default schedules (cron, UTC) of the batch kinds that run on their own: hourly sweep, nightly export, daily summary. */
export const BATCH_SCHEDULES: Readonly<Record<string, string>> = { sweep: '15 * * * *', export: '30 1 * * *', summary: '45 1 * * *' };

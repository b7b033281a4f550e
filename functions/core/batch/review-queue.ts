import type { JobContext } from '../learning/jobs.js';
import type { BatchDeps } from './deps.js';

export interface ReviewQueueCheckpoint {
  cursor?: string | undefined;
  scanned: number;
  updated: number;
}

/**
 * The `review-queue` job: gives records written before the review-queue index existed their place in it
 * (InvoiceStore.backfillReviewQueue, with the pipeline's audit sample rate), `chunk` records per page, with a
 * checkpoint after each page so that a retried job goes on where it stopped. Idempotent: a second run updates
 * nothing. A store without the method indexed its old records itself (SQLite: migration 60): nothing to do.
 */
export async function runReviewQueueBackfill(deps: BatchDeps, ctx: JobContext<ReviewQueueCheckpoint>, chunk: number): Promise<ReviewQueueCheckpoint> {
  const store = deps.pipeline.store;
  let state: ReviewQueueCheckpoint = ctx.checkpoint ?? { scanned: 0, updated: 0 };
  if (!store.backfillReviewQueue) return state;
  do {
    const page = await store.backfillReviewQueue({ auditSampleRate: deps.pipeline.config.auditSampleRate, limit: chunk, ...(state.cursor ? { cursor: state.cursor } : {}) });
    state = { cursor: page.nextCursor, scanned: state.scanned + page.scanned, updated: state.updated + page.updated };
    await ctx.progress({ checkpoint: state, counts: { scanned: state.scanned, updated: state.updated } });
  } while (state.cursor);
  ctx.log.info('review queue indexed', { scanned: state.scanned, updated: state.updated });
  return state;
}

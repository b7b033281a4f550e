/**
 * Reprocessing and backfills: a new revision of each selected invoice through the pipeline's own path
 * (startRevisions: the current result goes to the record's history, the record restarts at OCR_DONE or
 * FEATURES_DONE and the message the normal path would publish is published, or, locally, the job runs the two
 * stages itself: BatchDeps.inlineStages). No second OCR: the features stage reads the stored OCR document.
 *
 * Exactly once per invoice and job, across crashes: the checkpoint is the last page (or object name) whose
 * revisions were all started, and each revision's reason carries the job id, so an invoice of a page that was
 * started but not yet checkpointed when the process died is recognised in its history and not started twice
 * (its message is sent again if it is still waiting at its restart status: the publish may not have happened).
 */
import type { RevisionStart } from '../invoice/history.js';
import type { InvoiceRecord } from '../invoice/record.js';
import { SETTLED_STATUSES } from '../invoice/status.js';
import type { JobContext } from '../learning/jobs.js';
import { runPageInline } from '../pipeline/inline-stages.js';
import { invoiceIdFor } from '../pipeline/invoice-id.js';
import { publishStart, startRevisions } from '../pipeline/revise.js';
import type { BatchDeps } from './deps.js';
import type { BackfillParams, ReprocessParams } from './params.js';

/** Where a revision job left off: the keyset cursor of the next page, or the last object name handled. */
export interface RevisionCheckpoint {
  cursor?: string | undefined;
  afterName?: string | undefined;
  counts: Record<string, number>;
}

/** The marker a job leaves in the reason of each revision it starts. */
export const jobMarker = (jobId: string): string => `[job ${jobId}]`;

type Decide = (record: InvoiceRecord) => { from: RevisionStart } | { skip: string };

/** Runs `decide` over pages of invoice ids and starts the revisions it asks for. */
async function reviseAll(
  deps: BatchDeps,
  ctx: JobContext<RevisionCheckpoint>,
  pages: AsyncIterable<{ ids: string[]; checkpoint: Omit<RevisionCheckpoint, 'counts'> }>,
  reason: string,
  decide: Decide,
  total?: number,
): Promise<Record<string, number>> {
  const marker = jobMarker(ctx.job.id);
  const counts: Record<string, number> = { listed: 0, started: 0, alreadyStarted: 0, inFlight: 0, skipped: 0, ...ctx.checkpoint?.counts };
  const { store } = deps.pipeline;
  for await (const page of pages) {
    const started: Array<{ invoiceId: string; revision: number }> = [];
    const toStart: Array<{ record: InvoiceRecord; from: RevisionStart; reason: string }> = [];
    for (const invoiceId of page.ids) {
      counts.listed! += 1;
      const record = await store.get(invoiceId);
      if (!record) {
        counts.skipped! += 1;
        continue;
      }
      if (record.revision > 1 && (await store.history(invoiceId)).some((h) => h.reason.includes(marker))) {
        counts.alreadyStarted! += 1;
        if (!SETTLED_STATUSES.has(record.status)) {
          // Started before a crash, maybe without its message (the revision is committed before the publish):
          // send it again from the record; the stages are idempotent per revision, a second copy changes nothing.
          await publishStart(deps.pipeline, record);
          started.push({ invoiceId, revision: record.revision });
        }
        continue;
      }
      if (!SETTLED_STATUSES.has(record.status)) {
        counts.inFlight! += 1;
        continue;
      }
      const choice = decide(record);
      if ('skip' in choice) {
        counts.skipped! += 1;
        continue;
      }
      toStart.push({ record, from: choice.from, reason: `${reason} ${marker}` });
    }
    // The page's revisions start together (one store transaction locally); each invoice is still refused on its own.
    const inline: InvoiceRecord[] = [];
    for (const outcome of await startRevisions(deps.pipeline, toStart, { publish: !deps.inlineStages })) {
      if (!outcome.started) {
        counts.skipped! += 1;
        continue;
      }
      counts.started! += 1;
      if (deps.inlineStages) inline.push(outcome.record);
      else started.push({ invoiceId: outcome.invoiceId, revision: outcome.revision });
    }
    if (deps.inlineStages) {
      for await (const run of runPageInline(deps.pipeline, inline, ctx.log, { extractor: deps.inlineStages.extractor })) {
        if ('outcome' in run) {
          if ('invoiceId' in run.outcome) deps.inlineStages.settled(run.outcome.invoiceId);
          continue;
        }
        // Not a permanent error (those end REJECTED): the stage functions take the revision, with their retries
        // and dead letters, and the job waits for it like a published one.
        const { record, error } = run;
        ctx.log.warn('inline stages failed: the revision goes to the stage functions', {
          invoiceId: record.invoiceId, revision: record.revision,
          errorName: error instanceof Error ? error.name : typeof error, errorMessage: error instanceof Error ? error.message : String(error),
        });
        await publishStart(deps.pipeline, record);
        started.push({ invoiceId: record.invoiceId, revision: record.revision });
      }
    }
    if (deps.settled && started.length > 0) await deps.settled(started);
    await ctx.progress({ checkpoint: { ...page.checkpoint, counts: { ...counts } }, counts: { ...counts } });
    deps.onProgress?.({ ...counts }, total);
  }
  return counts;
}

/** Ids of invoices received in [from, to] (UTC days), oldest first, one page per chunk, resumable by cursor. */
async function* byDateRange(deps: BatchDeps, range: { from?: string | undefined; to?: string | undefined; status?: 'SCORED' }, chunk: number, checkpoint: RevisionCheckpoint | undefined) {
  // A checkpoint without a cursor was saved after the last page: nothing is left.
  if (checkpoint && !checkpoint.cursor) return;
  const cursor = checkpoint?.cursor;
  const createdFrom = range.from ? `${range.from}T00:00:00.000Z` : undefined;
  const createdTo = range.to ? new Date(Date.parse(`${range.to}T00:00:00.000Z`) + 86_400_000).toISOString() : undefined;
  let next = cursor;
  let first = true;
  while (first || next) {
    first = false;
    const page = await deps.pipeline.store.list({
      order: 'oldest', limit: chunk,
      ...(range.status ? { status: range.status } : {}),
      ...(createdFrom ? { createdFrom } : {}),
      ...(createdTo ? { createdTo } : {}),
      ...(next ? { cursor: next } : {}),
    });
    next = page.nextCursor;
    yield { ids: page.items.map((i) => i.invoiceId), checkpoint: { cursor: next } };
    if (!next) return;
  }
}

/** Invoice ids of the inbox objects under `prefix`, by name, after `afterName`, one page per chunk. */
async function inboxPages(deps: BatchDeps, prefix: string, chunk: number, afterName: string | undefined) {
  const { config, blobs } = deps.pipeline;
  const objects = (await blobs.list(config.buckets.inbox, config.inboxPrefix + prefix))
    .filter((o) => !o.name.endsWith('/'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const remaining = afterName === undefined ? objects : objects.filter((o) => o.name > afterName);
  async function* pages() {
    for (let i = 0; i < remaining.length; i += chunk) {
      const part = remaining.slice(i, i + chunk);
      yield { ids: part.map((o) => invoiceIdFor(o.bucket, o.name, o.generation)), checkpoint: { afterName: part.at(-1)!.name } };
    }
  }
  return { pages: pages(), total: objects.length };
}

const inRange = (record: InvoiceRecord, from?: string, to?: string) =>
  (!from || record.createdAt.slice(0, 10) >= from) && (!to || record.createdAt.slice(0, 10) <= to);

/**
 * Reprocess: every settled invoice of a prefix (its uploads' current generations) or received in a date range
 * runs features and inference again from its stored OCR document, as a new revision. Invoices without a
 * stored OCR document (rejected before OCR) are skipped; invoices still in flight are left to finish.
 */
export async function runReprocess(deps: BatchDeps, ctx: JobContext<RevisionCheckpoint>, params: ReprocessParams): Promise<Record<string, number>> {
  const reason = `reprocess: ${params.reason}`;
  const decide: Decide = (r) => (!r.ocrUri ? { skip: 'no OCR document' } : !inRange(r, params.from, params.to) ? { skip: 'outside the date range' } : { from: 'OCR_DONE' });
  if (params.prefix !== undefined) {
    const { pages, total } = await inboxPages(deps, params.prefix, params.chunk, ctx.checkpoint?.afterName);
    return reviseAll(deps, ctx, pages, reason, decide, total);
  }
  return reviseAll(deps, ctx, byDateRange(deps, params, params.chunk, ctx.checkpoint), reason, decide);
}

/** Whether a decision was made with other versions than production (a model missing on either side counts). */
export function scoredByOtherModels(record: InvoiceRecord, production: Record<string, string>): boolean {
  const used = record.decision?.modelVersions ?? {};
  const names = new Set([...Object.keys(used), ...Object.keys(production)]);
  for (const name of names) if (used[name] !== production[name]) return true;
  return false;
}

/**
 * Backfill: every SCORED invoice whose decision was made with other model versions than the production ones
 * is scored again as a new revision: from its stored features when their schema is what the models expect,
 * else from its OCR document. Both decisions (with scores and versions) stay on record.
 */
export async function runBackfill(deps: BatchDeps, ctx: JobContext<RevisionCheckpoint>, params: BackfillParams): Promise<Record<string, number>> {
  const models = await deps.pipeline.models.loadProduction();
  if (!models) return { listed: 0, started: 0, noProductionModels: 1 };
  const production = models.versions;
  const label = Object.entries(production).map(([n, v]) => `${n}@${v}`).sort().join(',');
  const decide: Decide = (r) => {
    if (r.status !== 'SCORED' || !scoredByOtherModels(r, production)) return { skip: 'already scored by production' };
    if (r.features && r.featureSchemaVersion === models.featureSchemaVersion) return { from: 'FEATURES_DONE' };
    return r.ocrUri ? { from: 'OCR_DONE' } : { skip: 'nothing stored to re-score from' };
  };
  return reviseAll(deps, ctx, byDateRange(deps, { from: params.from, status: 'SCORED' }, params.chunk, ctx.checkpoint), `backfill: ${label}`, decide);
}

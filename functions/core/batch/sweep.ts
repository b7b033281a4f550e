/**
 * The sweep, the pipeline's safety net: finds work the normal path dropped and re-triggers it through that
 * path, with the message the normal path would have published.
 *
 * - an inbox object with no invoice record (its finalize event was lost): `object-finalized` again;
 * - a record stuck in RECEIVED, OCR_DONE or FEATURES_DONE past a deadline: the message of its next stage,
 *   rebuilt from the record (`object-finalized`, `ocr-completed`, `features-computed`);
 * - FAILED invoices are listed with their reasons, never re-triggered (a dead-letter replay does that): an hourly
 *   sweep lists the ones that failed within its lookback, a full sweep all of them; both report the total count.
 *
 * Idempotent: every stage is idempotent per invoice and revision, so a message sent twice (two sweeps, or a
 * sweep racing a slow delivery) changes nothing. The checkpoint is the phase and the last object name.
 *
 * Cost: an hourly sweep checks only the inbox objects updated within `lookbackHours` (default 48) for a record,
 * so its reads follow the new uploads; a full sweep (`full`, or the first hour of each week) checks them all.
 * Records are read by (status, updatedAt) ranges (InvoiceStore.listUpdated): the stuck ones only (updated before
 * the deadline), the FAILED ones of the window, and the FAILED total is an index count, not a read per record.
 */
import type { InvoiceRecord } from '../invoice/record.js';
import type { InvoiceStatus } from '../invoice/status.js';
import type { JobContext } from '../learning/jobs.js';
import type { UpdatedQuery } from '../ports.js';
import { Topics } from '../messages.js';
import { featuresComputedOf } from '../pipeline/features-stage.js';
import { invoiceIdFor } from '../pipeline/invoice-id.js';
import { ocrCompletedOf } from '../pipeline/ocr-stage.js';
import type { BatchDeps } from './deps.js';
import { isFullSweep, type SweepParams } from './params.js';

export interface SweepCheckpoint {
  phase: 'objects' | 'stuck' | 'failed';
  afterName?: string | undefined;
  counts: Record<string, number>;
}

export interface SweepResult {
  counts: Record<string, number>;
  /**
   * FAILED invoices with their reasons (up to failedListLimit), oldest failure first: those that failed within the
   * lookback (an hourly sweep) or all (a full sweep). `counts.failed` counts them all, `counts.failedTotal` every
   * FAILED invoice of the store (whatever the prefix).
   */
  failed: Array<{ invoiceId: string; fileName: string; code: string; reason: string }>;
  /** Invoices re-triggered, with the stage they were sent to (up to 1000). */
  retriggered: Array<{ invoiceId: string; status: InvoiceStatus | 'NO_RECORD'; topic: string }>;
}

const STUCK: readonly InvoiceStatus[] = ['RECEIVED', 'OCR_DONE', 'FEATURES_DONE'];
const MAX_LISTED = 1000;

export async function runSweep(deps: BatchDeps, ctx: JobContext<SweepCheckpoint>, params: SweepParams): Promise<SweepResult> {
  const { store, blobs, bus, config, clock } = deps.pipeline;
  const now = clock.now().getTime();
  const counts: Record<string, number> = { objects: 0, lostUploads: 0, young: 0, backlog: 0, stuck: 0, failed: 0, failedTotal: 0, ...ctx.checkpoint?.counts };
  // Start of the sweep's window (undefined: a full sweep, no window).
  const windowStart = isFullSweep(params) ? undefined : now - params.lookbackHours * 3_600_000;
  const retriggered: SweepResult['retriggered'] = [];
  const note = (entry: SweepResult['retriggered'][number]) => {
    if (retriggered.length < MAX_LISTED) retriggered.push(entry);
  };
  let phase = ctx.checkpoint?.phase ?? 'objects';
  const save = (checkpoint: Omit<SweepCheckpoint, 'counts'>) =>
    ctx.progress({ checkpoint: { ...checkpoint, counts: { ...counts } }, counts: { ...counts } }).then(() => deps.onProgress?.({ ...counts }, undefined));

  if (phase === 'objects') {
    const after = ctx.checkpoint?.afterName;
    // The listing itself is cheap (names and times, a thousand per call); the record reads are what cost, so
    // objects older than the lookback are left out before any read (the weekly full sweep covers them).
    const since = windowStart ?? -Infinity;
    const objects = (await blobs.list(config.buckets.inbox, config.inboxPrefix + params.prefix))
      .filter((o) => !o.name.endsWith('/') && (after === undefined || o.name > after) && Date.parse(o.updatedAt) >= since)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (let i = 0; i < objects.length; i += params.chunk) {
      const part = objects.slice(i, i + params.chunk);
      const records = await Promise.all(part.map((o) => store.get(invoiceIdFor(o.bucket, o.name, o.generation))));
      for (const [j, o] of part.entries()) {
        counts.objects! += 1;
        if (records[j]) continue;
        // A young object's event may still be on its way: the normal path gets it first.
        if (now - Date.parse(o.updatedAt) < params.graceMinutes * 60_000) {
          counts.young! += 1;
          continue;
        }
        if (deps.backlogPrefix && o.name.startsWith(config.inboxPrefix + deps.backlogPrefix)) {
          counts.backlog! += 1;
          continue;
        }
        const invoiceId = invoiceIdFor(o.bucket, o.name, o.generation);
        await bus.publish(Topics.objectFinalized, { bucket: o.bucket, name: o.name, generation: o.generation, size: o.size, contentType: o.contentType, timeCreated: o.updatedAt });
        counts.lostUploads! += 1;
        note({ invoiceId, status: 'NO_RECORD', topic: Topics.objectFinalized });
        ctx.log.info('sweep re-triggered an upload without a record', { invoiceId });
      }
      await save({ phase: 'objects', afterName: part.at(-1)!.name });
    }
    phase = 'stuck';
    await save({ phase });
  }

  if (phase === 'stuck') {
    // Only the records not updated since the deadline are read (an invoice moving through the pipeline is not).
    const deadline = new Date(now - params.stuckAfterMinutes * 60_000).toISOString();
    for (const status of STUCK) {
      for await (const record of recordsUpdated(deps, { status, updatedTo: deadline }, params.chunk)) {
        if (params.prefix && !record.source.name.startsWith(config.inboxPrefix + params.prefix)) continue;
        const topic = await retrigger(deps, record);
        counts.stuck! += 1;
        note({ invoiceId: record.invoiceId, status, topic });
        ctx.log.info('sweep re-triggered a stuck invoice', { invoiceId: record.invoiceId, status, revision: record.revision });
      }
    }
    phase = 'failed';
    await save({ phase });
  }

  const failed: SweepResult['failed'] = [];
  // A FAILED record's updatedAt is when it failed: an hourly sweep reports the failures of its window (older ones
  // were reported by the sweeps of their hours, and every week by the full sweep), with the total as a count.
  const failedSince = windowStart === undefined ? undefined : new Date(windowStart).toISOString();
  counts.failed = 0;
  counts.failedTotal = await store.countByStatus('FAILED');
  for await (const record of recordsUpdated(deps, { status: 'FAILED', updatedFrom: failedSince }, params.chunk)) {
    if (params.prefix && !record.source.name.startsWith(config.inboxPrefix + params.prefix)) continue;
    counts.failed! += 1;
    if (failed.length < params.failedListLimit) {
      failed.push({ invoiceId: record.invoiceId, fileName: record.fileName, code: record.rejection?.code ?? 'UNKNOWN', reason: (record.rejection?.message ?? '').slice(0, 500) });
    }
  }
  await save({ phase: 'failed' });
  return { counts, failed, retriggered };
}

/** Full records of one status updated in a range, oldest change first (the store's keyset pages). */
async function* recordsUpdated(deps: BatchDeps, query: Omit<UpdatedQuery, 'limit' | 'cursor'>, chunk: number): AsyncIterable<InvoiceRecord> {
  let cursor: string | undefined;
  do {
    const page = await deps.pipeline.store.listUpdated({ ...query, limit: chunk, cursor });
    cursor = page.nextCursor;
    yield* page.items;
  } while (cursor);
}

/** Publishes the message the normal path publishes to move `record` on from its status. */
async function retrigger(deps: BatchDeps, record: InvoiceRecord): Promise<string> {
  const { bus } = deps.pipeline;
  const orderingKey = record.invoiceId;
  switch (record.status) {
    case 'RECEIVED':
      await bus.publish(Topics.objectFinalized, { ...record.source, size: record.sizeBytes ?? 0, contentType: record.mimeType, timeCreated: record.createdAt });
      return Topics.objectFinalized;
    case 'OCR_DONE':
      await bus.publish(Topics.ocrCompleted, ocrCompletedOf(record), { orderingKey });
      return Topics.ocrCompleted;
    default:
      await bus.publish(Topics.featuresComputed, featuresComputedOf(record), { orderingKey });
      return Topics.featuresComputed;
  }
}

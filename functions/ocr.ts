/**
 * `ocr`: Cloud Storage notification of a new inbox object (Pub/Sub `object-finalized`, pushed) -> stage 1
 * (OCR, `ocr-completed`). The file name, the registered name, the bundle (dist/functions/ocr) and the
 * Terraform key are the same.
 */
import { Topics } from './core/messages.js';
import { lazy } from './core/lazy.js';
import type { ObjectFinalized } from './core/messages.js';
import type { PipelineDeps, StageContext, StageOutcome } from './core/pipeline/deps.js';
import { invoiceIdFor } from './core/pipeline/invoice-id.js';
import { runOcrStage } from './core/pipeline/ocr-stage.js';
import { ObjectFinalizedFromStorageSchema } from './platform/gcp/envelopes.js';
import { createOcrRuntime } from './platform/gcp/runtimes/ocr.js';
import { makeStageHandler, type HttpHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The OCR stage, except for a new object under the backlog prefix (inside the inbox prefix): that one is left
 * to the `docai-backlog` job, which reads such files through Document AI batch requests of many files; its
 * finalize event is acked without a record (the job lists the prefix, so nothing is lost). An object that
 * already has a record (a dead-letter replay of a file the job failed, a redelivery) goes through as usual.
 */
export async function runOcrStageOutsideBacklog(backlogPrefix: string | undefined, deps: PipelineDeps, event: ObjectFinalized, ctx: StageContext): Promise<StageOutcome> {
  if (
    backlogPrefix &&
    event.bucket === deps.config.buckets.inbox &&
    event.name.startsWith(deps.config.inboxPrefix + backlogPrefix) &&
    !(await deps.store.get(invoiceIdFor(event.bucket, event.name, event.generation)))
  ) {
    return { outcome: 'ignored', reason: 'under the backlog prefix: left to the docai-backlog job' };
  }
  return runOcrStage(deps, event, ctx);
}

/**
 * The `ocr` function over the runtime `getRuntime` returns (the GCP wiring in production, fakes in tests).
 * Answers 204 (ack) when the upload was processed, rejected, ignored or dead-lettered; 500 (redelivery) on
 * transient failures before the subscription's last delivery attempt. `backlogPrefix()` (default
 * LEDGERX_BACKLOG_PREFIX, read per event like the rest of the configuration, never at load): see
 * {@link runOcrStageOutsideBacklog}.
 */
export function makeOcrHandler(getRuntime: () => Promise<StageRuntime>, backlogPrefix: () => string | undefined = () => process.env.LEDGERX_BACKLOG_PREFIX): HttpHandler {
  const run = (deps: PipelineDeps, event: ObjectFinalized, ctx: StageContext) => runOcrStageOutsideBacklog(backlogPrefix(), deps, event, ctx);
  return makeStageHandler({ name: 'ocr', source: Topics.objectFinalized, schema: ObjectFinalizedFromStorageSchema, run }, getRuntime);
}

// The runtime (config, clients) is built on the first event, never at load; one that fails to build is not
// cached: that event fails (500, redelivered) and the next one builds it again.
export const handler = makeOcrHandler(lazy(() => createOcrRuntime()));

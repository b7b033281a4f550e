/**
 * `ocr`: Cloud Storage `object.v1.finalized` on the inbox bucket -> stage 1 (OCR, `ocr-completed`).
 * The file name, the registered name, the bundle (dist/functions/ocr) and the Terraform key are the same.
 */
import { cloudEvent } from '@google-cloud/functions-framework';
import { lazy } from './core/lazy.js';
import { runOcrStage } from './core/pipeline/ocr-stage.js';
import { ObjectFinalizedFromStorageSchema } from './platform/gcp/envelopes.js';
import { createOcrRuntime } from './platform/gcp/runtimes/ocr.js';
import { makeStageHandler, type CloudEventHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The `ocr` CloudEvent function over the runtime `getRuntime` returns (the GCP wiring in production, fakes in
 * tests). Resolves (204, ack) when the upload was processed, rejected, ignored or dead-lettered; rejects
 * (500, redelivery) on transient failures.
 */
export function makeOcrHandler(getRuntime: () => Promise<StageRuntime>): CloudEventHandler {
  return makeStageHandler({ name: 'ocr', trigger: 'storage', schema: ObjectFinalizedFromStorageSchema, run: runOcrStage }, getRuntime);
}

// The runtime (config, clients) is built on the first event, never at load; one that fails to build is not
// cached: that event fails (500, redelivered) and the next one builds it again.
cloudEvent('ocr', makeOcrHandler(lazy(() => createOcrRuntime())));

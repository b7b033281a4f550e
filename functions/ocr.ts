/**
 * `ocr`: Cloud Storage notification of a new inbox object (Pub/Sub `object-finalized`, pushed) -> stage 1
 * (OCR, `ocr-completed`). The file name, the registered name, the bundle (dist/functions/ocr) and the
 * Terraform key are the same.
 */
import { http } from '@google-cloud/functions-framework';
import { Topics } from './core/messages.js';
import { lazy } from './core/lazy.js';
import { runOcrStage } from './core/pipeline/ocr-stage.js';
import { ObjectFinalizedFromStorageSchema } from './platform/gcp/envelopes.js';
import { createOcrRuntime } from './platform/gcp/runtimes/ocr.js';
import { makeStageHandler, type HttpHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The `ocr` function over the runtime `getRuntime` returns (the GCP wiring in production, fakes in tests).
 * Answers 204 (ack) when the upload was processed, rejected, ignored or dead-lettered; 500 (redelivery) on
 * transient failures before the subscription's last delivery attempt.
 */
export function makeOcrHandler(getRuntime: () => Promise<StageRuntime>): HttpHandler {
  return makeStageHandler({ name: 'ocr', source: Topics.objectFinalized, schema: ObjectFinalizedFromStorageSchema, run: runOcrStage }, getRuntime);
}

// The runtime (config, clients) is built on the first event, never at load; one that fails to build is not
// cached: that event fails (500, redelivered) and the next one builds it again.
http('ocr', makeOcrHandler(lazy(() => createOcrRuntime())));

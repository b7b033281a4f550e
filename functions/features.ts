/**
 * `features`: Pub/Sub `ocr-completed` (pushed) -> stage 2 (extraction, validations, feature vector,
 * `features-computed`). The file name, the registered name, the bundle and the Terraform key are the same.
 */
import { lazy } from './core/lazy.js';
import { OcrCompletedSchema, Topics } from './core/messages.js';
import { runFeaturesStage } from './core/pipeline/features-stage.js';
import { createFeaturesRuntime } from './platform/gcp/runtimes/features.js';
import { makeStageHandler, type HttpHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The `features` function over the runtime `getRuntime` returns. Answers 204 (ack) when the message was
 * processed, was a duplicate or was dead-lettered; 500 (redelivery) on transient failures.
 */
export function makeFeaturesHandler(getRuntime: () => Promise<StageRuntime>): HttpHandler {
  return makeStageHandler({ name: 'features', source: Topics.ocrCompleted, schema: OcrCompletedSchema, run: runFeaturesStage }, getRuntime);
}

export const handler = makeFeaturesHandler(lazy(() => createFeaturesRuntime()));

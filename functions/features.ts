/**
 * `features`: Pub/Sub `ocr-completed` (through Eventarc) -> stage 2 (extraction, validations, feature vector,
 * `features-computed`). The file name, the registered name, the bundle and the Terraform key are the same.
 */
import { cloudEvent } from '@google-cloud/functions-framework';
import { lazy } from './core/lazy.js';
import { OcrCompletedSchema } from './core/messages.js';
import { runFeaturesStage } from './core/pipeline/features-stage.js';
import { createFeaturesRuntime } from './platform/gcp/runtimes/features.js';
import { makeStageHandler, type CloudEventHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The `features` CloudEvent function over the runtime `getRuntime` returns. Resolves (204, ack) when the
 * message was processed, was a duplicate or was dead-lettered; rejects (500, redelivery) on transient failures.
 */
export function makeFeaturesHandler(getRuntime: () => Promise<StageRuntime>): CloudEventHandler {
  return makeStageHandler({ name: 'features', trigger: 'pubsub', schema: OcrCompletedSchema, run: runFeaturesStage }, getRuntime);
}

cloudEvent('features', makeFeaturesHandler(lazy(() => createFeaturesRuntime())));

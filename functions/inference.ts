/**
 * `inference`: Pub/Sub `features-computed` (through Eventarc) -> stage 3 (scores, decision, `invoice-scored`).
 * The file name, the registered name, the bundle and the Terraform key are the same.
 */
import { cloudEvent } from '@google-cloud/functions-framework';
import { lazy } from './core/lazy.js';
import { FeaturesComputedSchema } from './core/messages.js';
import { runInferenceStage } from './core/pipeline/inference-stage.js';
import { createInferenceRuntime } from './platform/gcp/runtimes/inference.js';
import { makeStageHandler, type CloudEventHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The `inference` CloudEvent function over the runtime `getRuntime` returns. Resolves (204, ack) when the
 * message was scored, was a duplicate or was dead-lettered; rejects (500, redelivery) on transient failures.
 */
export function makeInferenceHandler(getRuntime: () => Promise<StageRuntime>): CloudEventHandler {
  return makeStageHandler({ name: 'inference', trigger: 'pubsub', schema: FeaturesComputedSchema, run: runInferenceStage }, getRuntime);
}

cloudEvent('inference', makeInferenceHandler(lazy(() => createInferenceRuntime())));

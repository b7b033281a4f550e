/**
 * `inference`: Pub/Sub `features-computed` (pushed) -> stage 3 (scores, decision, `invoice-scored`).
 * The file name, the registered name, the bundle and the Terraform key are the same.
 */
import { lazy } from './core/lazy.js';
import { FeaturesComputedSchema, Topics } from './core/messages.js';
import { runInferenceStage } from './core/pipeline/inference-stage.js';
import { createInferenceRuntime } from './platform/gcp/runtimes/inference.js';
import { makeStageHandler, type HttpHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The `inference` function over the runtime `getRuntime` returns. Answers 204 (ack) when the message was
 * scored, was a duplicate or was dead-lettered; 500 (redelivery) on transient failures.
 */
export function makeInferenceHandler(getRuntime: () => Promise<StageRuntime>): HttpHandler {
  return makeStageHandler({ name: 'inference', source: Topics.featuresComputed, schema: FeaturesComputedSchema, run: runInferenceStage }, getRuntime);
}

export const handler = makeInferenceHandler(lazy(() => createInferenceRuntime()));

/**
 * `inference`: Pub/Sub `features-computed` (through Eventarc) -> stage 3 (scores, decision, `invoice-scored`).
 * Entry point registered in functions/index.ts.
 */
import { FeaturesComputedSchema } from './core/messages.js';
import { makeStageHandler, type CloudEventHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The `inference` CloudEvent function over the runtime `getRuntime` returns. Resolves (204, ack) when the
 * message was scored, was a duplicate or was dead-lettered; rejects (500, redelivery) on transient failures.
 */
export function makeInferenceHandler(getRuntime: () => Promise<StageRuntime>): CloudEventHandler {
  return makeStageHandler(
    {
      name: 'inference',
      trigger: 'pubsub',
      schema: FeaturesComputedSchema,
      // Imported on the first event, so that each function loads only its own stage (shorter cold start).
      run: async (deps, message, ctx) => (await import('./core/pipeline/inference-stage.js')).runInferenceStage(deps, message, ctx),
    },
    getRuntime,
  );
}

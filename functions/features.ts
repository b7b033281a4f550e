/**
 * `features`: Pub/Sub `ocr-completed` (through Eventarc) -> stage 2 (extraction, validations, feature vector,
 * `features-computed`). Entry point registered in functions/index.ts.
 */
import { OcrCompletedSchema } from './core/messages.js';
import { makeStageHandler, type CloudEventHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The `features` CloudEvent function over the runtime `getRuntime` returns. Resolves (204, ack) when the
 * message was processed, was a duplicate or was dead-lettered; rejects (500, redelivery) on transient failures.
 */
export function makeFeaturesHandler(getRuntime: () => Promise<StageRuntime>): CloudEventHandler {
  return makeStageHandler(
    {
      name: 'features',
      trigger: 'pubsub',
      schema: OcrCompletedSchema,
      // Imported on the first event, so that each function loads only its own stage (shorter cold start).
      run: async (deps, message, ctx) => (await import('./core/pipeline/features-stage.js')).runFeaturesStage(deps, message, ctx),
    },
    getRuntime,
  );
}

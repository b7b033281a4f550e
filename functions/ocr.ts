/**
 * `ocr`: Cloud Storage `object.v1.finalized` on the inbox bucket -> stage 1 (OCR, `ocr-completed`).
 * Entry point registered in functions/index.ts; the Terraform key and the file name are the same.
 */
import { ObjectFinalizedFromStorageSchema } from './platform/gcp/envelopes.js';
import { makeStageHandler, type CloudEventHandler } from './platform/gcp/stage-handler.js';
import type { StageRuntime } from './platform/gcp/wiring.js';

/**
 * The `ocr` CloudEvent function over the runtime `getRuntime` returns (the GCP wiring in production, fakes in
 * tests). Resolves (204, ack) when the upload was processed, rejected, ignored or dead-lettered; rejects
 * (500, redelivery) on transient failures.
 */
export function makeOcrHandler(getRuntime: () => Promise<StageRuntime>): CloudEventHandler {
  return makeStageHandler(
    {
      name: 'ocr',
      trigger: 'storage',
      schema: ObjectFinalizedFromStorageSchema,
      // Imported on the first event, so that each function loads only its own stage (shorter cold start).
      run: async (deps, message, ctx) => (await import('./core/pipeline/ocr-stage.js')).runOcrStage(deps, message, ctx),
    },
    getRuntime,
  );
}

/**
 * Registers every deployed function with functions-framework. The registered name is the Terraform map key,
 * the build's entry point and the file name under functions/.
 *
 * Importing this module is cheap and does no I/O: each runtime (config from the environment, clients,
 * adapters) is built lazily on the function's first invocation, once per instance (see
 * platform/gcp/wiring.ts). A misconfigured function therefore fails its invocations (retried), not the import.
 */
import { cloudEvent, http } from '@google-cloud/functions-framework';
import { makeOcrHandler } from './ocr.js';
import { makeFeaturesHandler } from './features.js';
import { makeInferenceHandler } from './inference.js';
import { makeUploadUrlHandler } from './upload-url.js';
import { lazy } from './core/lazy.js';
import { createFeaturesRuntime, createInferenceRuntime, createOcrRuntime, createUploadUrlRuntime } from './platform/gcp/wiring.js';

// Event-driven pipeline stages (Eventarc triggers with retries on). A runtime that fails to build is not
// cached: that invocation fails (500, the event is redelivered) and the next one builds it again.
cloudEvent('ocr', makeOcrHandler(lazy(() => createOcrRuntime())));
cloudEvent('features', makeFeaturesHandler(lazy(() => createFeaturesRuntime())));
cloudEvent('inference', makeInferenceHandler(lazy(() => createInferenceRuntime())));

// HTTP functions.
http('upload-url', makeUploadUrlHandler(lazy(() => createUploadUrlRuntime())));

// Not registered yet (each comes with its own file and make*Handler factory, registered here):
// http('api', ...)          review API and web page            -> functions/api.ts
// http('drift-check', ...)  scheduled drift report             -> functions/drift-check.ts
// http('retrain', ...)      scheduled / requested retraining   -> functions/retrain.ts
// http('batch', ...)        reprocessing, backfills, exports   -> functions/batch.ts

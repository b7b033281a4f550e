/**
 * Every deployed function, registered with functions-framework under its name (= entry file name = Terraform
 * key). Each entry file exports its `handler`; this module registers all of them in one process (tests, the
 * emulated topology), and scripts/build.mjs gives each function's own bundle (dist/functions/<name>, what
 * Terraform deploys) an entry that registers that one handler under the same name. Importing it reads no
 * configuration, builds no client and does no I/O.
 */
import { http } from '@google-cloud/functions-framework';
import { handler as api } from './api.js';
import { handler as batch } from './batch.js';
import { handler as driftCheck } from './drift-check.js';
import { handler as features } from './features.js';
import { handler as inference } from './inference.js';
import { handler as ocr } from './ocr.js';
import { handler as retrain } from './retrain.js';
import { handler as uploadUrl } from './upload-url.js';
import { handler as webhooks } from './webhooks.js';

http('ocr', ocr);
http('features', features);
http('inference', inference);
http('upload-url', uploadUrl);
http('retrain', retrain);
http('api', api);
http('webhooks', webhooks);
http('drift-check', driftCheck);
http('batch', batch);

/**
 * Every deployed function, registered with functions-framework: each entry file registers itself under its
 * own name (= file name = Terraform key), and is also the entry point of its own bundle (dist/functions/<name>,
 * built by scripts/build.mjs), which is what Terraform deploys. This module serves them all from one process
 * (tests; the emulated topology runs the bundles). Importing it reads no configuration, builds no client and does
 * no I/O.
 */
import './ocr.js';
import './features.js';
import './inference.js';
import './upload-url.js';
import './retrain.js';
import './api.js';
import './webhooks.js';
import './drift-check.js';
import './batch.js';

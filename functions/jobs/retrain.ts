/**
 * Entry of the retraining Cloud Run job (bundled to dist/jobs/retrain/ by scripts/build.mjs and run with
 * `node index.js` in its image): runs one retraining job record and exits with its outcome.
 */
import { runRetrainJob } from '../training/gcp-retrain-job.js';

process.exitCode = await runRetrainJob();

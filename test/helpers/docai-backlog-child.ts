/**
 * A docai-backlog job run in a process of its own (`node --import tsx`), so that a test can kill it with a real
 * signal while its batch request is in flight. Environment: FIRESTORE_EMULATOR_HOST, LEDGERX_TEST_GCS_URL,
 * LEDGERX_TEST_PROJECT, LEDGERX_TEST_JOB_ID, LEDGERX_TEST_FAKE_STATE (the fake Document AI's state, shared
 * with the test through the bucket). Every input is answered with a one-page document, after many polls.
 */
import { runJob } from '../../functions/core/learning/jobs.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { backlogHandlers, backlogWorld, BUCKETS, gcsStore } from './docai-backlog-world.js';
import { createFakeDocumentAiBatch, ONE_PAGE_DOCUMENT } from './fake-documentai-batch.js';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const blobs = gcsStore(env('LEDGERX_TEST_GCS_URL'));
const w = backlogWorld(env('LEDGERX_TEST_PROJECT'), blobs);
const fake = createFakeDocumentAiBatch(blobs, BUCKETS.artifacts, () => ({ document: ONE_PAGE_DOCUMENT }), 1_000_000, env('LEDGERX_TEST_FAKE_STATE'));
const outcome = await runJob(env('LEDGERX_TEST_JOB_ID'), { store: w.jobs, handlers: backlogHandlers(w, fake, { pollMs: 100 }), owner: `child-${process.pid}`, log: silentLogger, now: () => new Date(), leaseMs: 2_000 });
process.stdout.write(`${outcome.status}\n`);
process.exit(0);

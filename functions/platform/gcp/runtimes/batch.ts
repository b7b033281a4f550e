/**
 * The `batch` function's runtime: the pipeline's ports (Firestore invoices, Cloud Storage, Pub/Sub: the batch
 * jobs re-enter the pipeline by publishing its own messages), the production models (backfills), the
 * Firestore job store, the Document AI page counters and, where monitoring is deployed, its drift reports and
 * ops log (the daily summary reads them). Nothing waits for the pipeline here: the pipeline
 * functions do the work behind Pub/Sub, the job only starts it and checkpoints.
 */
import { z } from 'zod';
import type { BatchDeps } from '../../../core/batch/deps.js';
import type { DocaiBacklogOptions, OcrBatchService } from '../../../core/batch/docai-backlog.js';
import type { JobStore } from '../../../core/learning/jobs.js';
import type { Logger } from '../../../core/ports.js';
import { ConfigError, loadFeaturesConfig, type Env } from '../config.js';
import { loadLearningConfig } from '../learning-config.js';
import { stageRuntime } from '../wiring.js';

const BatchEnv = z.object({
  LEDGERX_EXPORTS_BUCKET: z.string({ error: 'is required' }).min(1, 'is required'),
  LEDGERX_COLLECTION_USAGE: z.string().min(1).default('usage'),
  /** Document AI pages budgeted per month (the daily summary compares usage with it); 0 = none. */
  LEDGERX_DOCAI_MONTHLY_PAGE_BUDGET: z.string().regex(/^\d{1,9}$/, 'must be a whole number').transform(Number).default(0),
  /**
   * The docai-backlog job's Document AI (batch requests of many files): unset = that job kind fails at once,
   * saying so. Same names and forms as the ocr function's.
   */
  LEDGERX_DOCAI_LOCATION: z.string().min(1).optional(),
  LEDGERX_DOCAI_PROCESSOR_VERSION: z.string().regex(/^projects\/[^/]+\/locations\/[^/]+\/processors\/[^/]+\/processorVersions\/[^/]+$/, 'must be a full processor version resource name').optional(),
  LEDGERX_DOCAI_ENDPOINT: z.string().regex(/^[\w.-]+:\d{1,5}$/, 'must be host:port').optional(),
  /** Batch submissions and operation polls per minute (few: one request carries up to 5,000 files). */
  LEDGERX_DOCAI_REQUESTS_PER_MINUTE: z.string().regex(/^[1-9]\d{0,4}$/, 'must be a positive integer').transform(Number).default(60),
  /** The inbox prefix the ocr function leaves to the docai-backlog job (its default prefix). */
  LEDGERX_BACKLOG_PREFIX: z.string().regex(/^([^/]+\/)*$/, 'must be empty or end with /').default(''),
  /** Working prefix of the artifacts bucket for batch input, manifests and output (the Document AI agent reads and writes there). */
  LEDGERX_DOCAI_BACKLOG_WORK_PREFIX: z.string().regex(/^([^/]+\/)+$/, 'must end with /').default('docai-backlog/'),
  /** Whether the drift-check function is deployed (its reports and the ops log are in Firestore): the summary reads them. */
  LEDGERX_MONITORING_ENABLED: z.enum(['true', 'false']).default('false'),
});

export interface BatchFunctionRuntime {
  deps: BatchDeps;
  /** Document AI batch processing for the docai-backlog job, when configured, and its default prefix. */
  docai?: DocaiBacklogOptions & { service?: OcrBatchService | undefined };
  jobs: JobStore;
  log: Logger;
  now: () => Date;
}

/** Builds the runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createBatchRuntime(env: Env = process.env): Promise<BatchFunctionRuntime> {
  const problems: string[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
      return undefined;
    }
  };
  const stage = collect(() => loadFeaturesConfig(env));
  const learning = collect(() => loadLearningConfig('batch', env));
  const own = BatchEnv.safeParse(env);
  if (!own.success) problems.push(...own.error.issues.map((i) => `${i.path.join('.')} ${i.message}`));
  if (own.success && !own.data.LEDGERX_DOCAI_PROCESSOR_VERSION !== !own.data.LEDGERX_DOCAI_LOCATION) {
    problems.push('LEDGERX_DOCAI_LOCATION and LEDGERX_DOCAI_PROCESSOR_VERSION are set together or not at all');
  }
  if (problems.length > 0 || !stage || !learning || !own.success) throw new ConfigError('batch', [...new Set(problems)]);

  let jobs: JobStore | undefined;
  let usage: BatchDeps['usage'];
  let monitoring: BatchDeps['monitoring'];
  const runtime = await stageRuntime({ ...stage, functionName: 'batch' }, {
    // The models builder is handed the instance's Firestore client: the job store and counters share it.
    models: async ({ blobs, log, db }) => {
      const [{ createFirestoreServingRegistry }, { FirestoreJobStore }, { createFirestoreUsageCounter }, { FirestoreDriftReportStore, FirestoreOpsStore }] = await Promise.all([
        import('../learning-wiring.js'),
        import('../../../adapters/gcp/firestore-job-store.js'),
        import('../../../adapters/gcp/usage-counter.js'),
        import('../../../adapters/gcp/firestore-monitoring-store.js'),
      ]);
      jobs = new FirestoreJobStore(db, { prefix: learning.prefix });
      usage = createFirestoreUsageCounter(db, { collection: own.data.LEDGERX_COLLECTION_USAGE });
      if (own.data.LEDGERX_MONITORING_ENABLED === 'true') {
        monitoring = {
          reports: new FirestoreDriftReportStore(db, { prefix: learning.prefix }),
          ops: new FirestoreOpsStore(db, { prefix: learning.prefix }),
          // The Cloud Console's authenticated object URL: readable by whoever may read the artifacts bucket.
          reportHref: (ref) => `https://storage.cloud.google.com/${encodeURIComponent(ref.bucket)}/${ref.name.split('/').map(encodeURIComponent).join('/')}`,
        };
      }
      return createFirestoreServingRegistry({ db, blobs, config: learning, log });
    },
  });
  if (!jobs) throw new Error('batch: the job store was not built');
  const { LEDGERX_DOCAI_LOCATION: location, LEDGERX_DOCAI_PROCESSOR_VERSION: processorVersion } = own.data;
  let service: OcrBatchService | undefined;
  if (location && processorVersion) {
    const [{ createDocumentAiClient }, { createDocumentAiBatchService }, { createRateGovernor }] = await Promise.all([
      import('../../../adapters/gcp/documentai-client.js'),
      import('../../../adapters/gcp/documentai-batch.js'),
      import('../../../adapters/gcp/rate-governor.js'),
    ]);
    service = createDocumentAiBatchService(createDocumentAiClient(location, own.data.LEDGERX_DOCAI_ENDPOINT), {
      processorVersion,
      store: runtime.deps.blobs,
      bucket: stage.pipeline.buckets.artifacts,
      prefix: own.data.LEDGERX_DOCAI_BACKLOG_WORK_PREFIX,
      governor: createRateGovernor({ requestsPerMinute: own.data.LEDGERX_DOCAI_REQUESTS_PER_MINUTE, burst: 1 }),
      logger: runtime.log,
    });
  }
  return {
    docai: { service, backlogPrefix: own.data.LEDGERX_BACKLOG_PREFIX || undefined },
    deps: {
      pipeline: runtime.deps,
      exportsBucket: own.data.LEDGERX_EXPORTS_BUCKET,
      ...(usage ? { usage } : {}),
      ...(monitoring ? { monitoring } : {}),
      ...(own.data.LEDGERX_BACKLOG_PREFIX ? { backlogPrefix: own.data.LEDGERX_BACKLOG_PREFIX } : {}),
      ...(own.data.LEDGERX_DOCAI_MONTHLY_PAGE_BUDGET > 0 ? { pageBudget: own.data.LEDGERX_DOCAI_MONTHLY_PAGE_BUDGET } : {}),
    },
    jobs,
    log: runtime.log,
    now: () => new Date(),
  };
}

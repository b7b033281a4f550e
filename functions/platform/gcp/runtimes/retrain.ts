/** The `retrain` trigger function's runtime: the Firestore job store and the Cloud Run job launcher. */
import type { JobStore } from '../../../core/learning/jobs.js';
import type { Logger } from '../../../core/ports.js';
import { createLogger } from '../../logger.js';
import { cloudRunJobLauncher, metadataToken, type JobLauncher } from '../cloud-run-launcher.js';
import { loadRetrainTriggerConfig, type RetrainTriggerConfig } from '../learning-config.js';
import type { Env } from '../config.js';

export interface RetrainTriggerRuntime {
  config: RetrainTriggerConfig;
  jobs: JobStore;
  launcher: JobLauncher;
  log: Logger;
  now: () => Date;
}

/** Builds the runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createRetrainTriggerRuntime(env: Env = process.env): Promise<RetrainTriggerRuntime> {
  const config = loadRetrainTriggerConfig(env);
  const [{ Firestore }, { FirestoreJobStore }] = await Promise.all([import('@google-cloud/firestore'), import('../../../adapters/gcp/firestore-job-store.js')]);
  const db = new Firestore({ projectId: config.projectId, databaseId: config.databaseId, ignoreUndefinedProperties: true });
  return {
    config,
    jobs: new FirestoreJobStore(db, { prefix: config.prefix }),
    launcher: cloudRunJobLauncher({ projectId: config.projectId, region: config.region, jobName: config.jobName, token: metadataToken() }),
    log: createLogger({ level: config.logLevel, base: { function: 'retrain', environment: config.environment } }),
    now: () => new Date(),
  };
}

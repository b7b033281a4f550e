/**
 * The `drift-check` function's runtime (and the api's monitoring ports): Firestore stores (prediction log,
 * labels, registry, jobs, drift reports, operations log), the models bucket (baselines), the artifacts bucket
 * (HTML reports), and the `retrain-requested` topic the policy's retraining requests go to.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { JobStore } from '../../../core/learning/jobs.js';
import type { DriftCheckDeps } from '../../../core/monitoring/drift-check.js';
import type { OpsExecutors, PolicyDeps } from '../../../core/monitoring/ops-policy.js';
import type { OpsStore } from '../../../core/monitoring/ops.js';
import type { DriftReportStore } from '../../../core/monitoring/report.js';
import type { BlobStore, Logger } from '../../../core/ports.js';
import { createLogger } from '../../logger.js';
import { loadMonitoredModel, registryEffects } from '../../monitoring.js';
import type { Env } from '../config.js';
import { loadMonitoringConfig, type GcpMonitoringConfig } from '../monitoring-config.js';
import { FEATURE_SCHEMA_VERSION } from '../../../core/features/schema.js';

export interface GcpMonitoring {
  config: GcpMonitoringConfig;
  reports: DriftReportStore;
  ops: OpsStore;
  blobs: BlobStore;
  jobs: JobStore;
  policy(log: Logger): PolicyDeps;
  driftCheckDeps(log: Logger): Omit<DriftCheckDeps, 'progress'>;
}

export interface DriftCheckRuntime extends GcpMonitoring {
  log: Logger;
  now: () => Date;
}

/** The monitoring ports on an existing Firestore client and blob store (shared with the api's runtime). */
export async function gcpMonitoring(options: { config: GcpMonitoringConfig; db: Firestore; blobs: BlobStore; log: Logger; publishRetrain: (data: Buffer) => Promise<string> }): Promise<GcpMonitoring> {
  const { config, db, blobs } = options;
  const [fsMon, fsJobs, fsLabels, fsPred, fsReg, bucketArt] = await Promise.all([
    import('../../../adapters/gcp/firestore-monitoring-store.js'), import('../../../adapters/gcp/firestore-job-store.js'),
    import('../../../adapters/gcp/firestore-label-store.js'), import('../../../adapters/gcp/firestore-prediction-log.js'),
    import('../../../adapters/gcp/firestore-model-registry.js'), import('../../../adapters/gcp/bucket-model-artifacts.js'),
  ]);
  const prefix = config.prefix;
  const registry = new fsReg.FirestoreModelRegistryStore(db, { prefix, admins: config.learning.promotion.admins, servingSchema: FEATURE_SCHEMA_VERSION });
  const artifacts = bucketArt.createBucketArtifactStore(blobs, config.modelsBucket);
  const reports = new fsMon.FirestoreDriftReportStore(db, { prefix });
  const ops = new fsMon.FirestoreOpsStore(db, { prefix, admins: config.monitoring.policy.admins });
  const jobs = new fsJobs.FirestoreJobStore(db, { prefix });
  const now = () => new Date();
  const owner = `${config.environment}:${randomUUID().slice(0, 8)}`;
  const executors = (log: Logger): OpsExecutors => ({
    ...registryEffects(registry, log, now),
    async requestRetraining({ requestId, reason, trials, promote }) {
      // The retrain function dedupes on requestId (the job key), so a republished request starts nothing twice.
      const messageId = await options.publishRetrain(Buffer.from(JSON.stringify({ schemaVersion: 1, reason, requestId, promote, ...(trials !== undefined ? { trials } : {}) })));
      return { published: true, messageId, topic: config.retrainTopic };
    },
  });
  const policy = (log: Logger): PolicyDeps => ({ store: ops, executors: executors(log), config: config.monitoring, owner, log, now });
  const failedCounts = async (from: Date, to: Date) => {
    const col = db.collection(config.invoicesCollection);
    const range = col.where('createdAt', '>=', from.toISOString()).where('createdAt', '<', to.toISOString());
    const [total, failed] = await Promise.all([range.count().get(), range.where('status', '==', 'FAILED').count().get()]);
    return { total: total.data().count, failed: failed.data().count };
  };
  return {
    config, reports, ops, blobs, jobs, policy,
    driftCheckDeps: (log) => ({
      predictions: new fsPred.FirestorePredictionLog(db, { collection: `${prefix}predictions` }),
      labels: new fsLabels.FirestoreLabelStore(db, { prefix }),
      registry, loadModel: (name, version) => loadMonitoredModel(artifacts, name, version), failedCounts,
      reports, blobs, reportsBucket: config.artifactsBucket, policy: { store: ops, executors: executors(log), owner }, config: config.monitoring, log, now,
    }),
  };
}

/** Builds the runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createDriftCheckRuntime(env: Env = process.env): Promise<DriftCheckRuntime> {
  const config = loadMonitoringConfig('drift-check', env);
  const [{ Firestore }, { Storage }, { PubSub }, { createGcsBlobStore }] = await Promise.all([
    import('@google-cloud/firestore'), import('@google-cloud/storage'), import('@google-cloud/pubsub'), import('../../../adapters/gcp/gcs-blob-store.js'),
  ]);
  const db = new Firestore({ projectId: config.projectId, databaseId: config.databaseId, ignoreUndefinedProperties: true });
  const blobs = createGcsBlobStore(new Storage({ projectId: config.projectId }));
  const topic = new PubSub({ projectId: config.projectId }).topic(config.retrainTopic);
  const log = createLogger({ level: config.logLevel, base: { function: 'drift-check', environment: config.environment } });
  const monitoring = await gcpMonitoring({ config, db, blobs, log, publishRetrain: (data) => topic.publishMessage({ data }) });
  return { ...monitoring, log, now: () => new Date() };
}

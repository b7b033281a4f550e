/**
 * Monitoring on the embedded defaults: drift reports and the operations log in the local database, HTML
 * reports in the local artifacts bucket (`<data-dir>/buckets/artifacts/reports/drift/`), settings in
 * `<data-dir>/monitoring.json`. A retraining request is a `retrain` job record (the same key as the
 * `retrain-requested` message would make), which the local scheduler of `ledgerx serve` runs.
 */
import { join } from 'node:path';
import { retrainJobKey } from '../core/learning/retrain-request.js';
import type { MonitoringConfig, MonitoringConfigInput } from '../core/monitoring/config.js';
import type { DriftCheckDeps } from '../core/monitoring/drift-check.js';
import type { OpsExecutors, PolicyDeps } from '../core/monitoring/ops-policy.js';
import type { BlobStore, Logger } from '../core/ports.js';
import { createFsBlobStore } from '../adapters/local/fs-blob-store.js';
import { SqliteDriftReportStore, SqliteOpsStore, sqliteFailedCounts } from '../adapters/local/sqlite/monitoring-store.js';
import type { LocalLearning } from './local-learning.js';
import { localOwner } from './local-scheduler.js';
import { loadMonitoredModel, loadMonitoringConfigFile, registryEffects } from './monitoring.js';

export const MONITORING_CONFIG_FILE = 'monitoring.json';
export const REPORTS_BUCKET = 'artifacts';
/** How often `ledgerx serve` runs the drift check unless `schedules["drift-check"]` says otherwise. */
export const DEFAULT_DRIFT_SCHEDULE = '0 */6 * * *';

export interface LocalMonitoring {
  config: MonitoringConfig;
  reports: SqliteDriftReportStore;
  ops: SqliteOpsStore;
  blobs: BlobStore;
  executors: OpsExecutors;
  /** Policy dependencies for `ops approve` and the drift check. */
  policy(log: Logger): PolicyDeps;
  /** Everything the drift check needs (without progress). */
  driftCheckDeps(log: Logger): Omit<DriftCheckDeps, 'progress'>;
}

export function openLocalMonitoring(learning: LocalLearning, options: { dataDir: string; config?: MonitoringConfigInput; logger: Logger; now?: () => Date }): LocalMonitoring {
  const now = options.now ?? (() => new Date());
  const config = loadMonitoringConfigFile(join(options.dataDir, MONITORING_CONFIG_FILE), options.config);
  const reports = new SqliteDriftReportStore(learning.db);
  const ops = new SqliteOpsStore(learning.db, { admins: config.policy.admins });
  const blobs = createFsBlobStore(join(options.dataDir, 'buckets'));
  const owner = localOwner();
  const executors: OpsExecutors = {
    ...registryEffects(learning.registry, options.logger, now),
    async requestRetraining({ requestId, reason, trials, promote }) {
      const request = { schemaVersion: 1 as const, reason, requestId };
      const { created, job } = await learning.jobs.create({
        id: `job-${requestId}`, kind: 'retrain', key: retrainJobKey(request, now()),
        params: { reason, trigger: 'ops', promote, ...(trials !== undefined ? { trials } : {}) }, now: now(),
      });
      return { jobId: job.id, created, status: job.status };
    },
  };
  const policy = (log: Logger): PolicyDeps => ({ store: ops, executors, config, owner, log, now });
  return {
    config, reports, ops, blobs, executors, policy,
    driftCheckDeps: (log) => ({
      predictions: learning.predictions, labels: learning.labels, registry: learning.registry,
      loadModel: (name, version) => loadMonitoredModel(learning.artifacts, name, version),
      failedCounts: sqliteFailedCounts(learning.db),
      reports, blobs, reportsBucket: REPORTS_BUCKET, policy: { store: ops, executors, owner }, config, log, now,
    }),
  };
}

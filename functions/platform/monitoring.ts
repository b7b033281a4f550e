/**
 * What both runtimes share for monitoring: reading a model version's baseline and facts from its files,
 * the rollback and alert effects of the operations policy, and the `drift-check` job handler.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_SCHEMA } from '../core/features/schema.js';
import type { JobHandler } from '../core/learning/jobs.js';
import { RegistryConflictError, type ModelArtifactStore, type ModelRegistryStore } from '../core/learning/model-registry.js';
import { BASELINE_FILE, baselineFromSummary, DriftBaselineSchema, type DriftBaseline } from '../core/monitoring/baseline.js';
import { MonitoringConfigSchema, type MonitoringConfig, type MonitoringConfigInput } from '../core/monitoring/config.js';
import { runDriftCheck, type DriftCheckDeps, type MonitoredModel } from '../core/monitoring/drift-check.js';
import type { OpsExecutors } from '../core/monitoring/ops-policy.js';
import { ModelMetadataSchema } from '../core/registry/model-metadata.js';
import type { Logger } from '../core/ports.js';

const BINARY = new Set(FEATURE_SCHEMA.filter((f) => f.kind === 'binary').map((f) => f.name));

/**
 * A version's baseline (`baseline.json`, else the quantile summary of its metadata.json) and its facts
 * (threshold, test F1). Throws when the version's files cannot be had or its metadata is invalid.
 */
export async function loadMonitoredModel(artifacts: ModelArtifactStore, name: string, version: string): Promise<MonitoredModel> {
  const dir = await artifacts.materialize(name, version);
  const metadata = ModelMetadataSchema.parse(JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')));
  let baseline: DriftBaseline;
  const file = join(dir, BASELINE_FILE);
  if (existsSync(file)) baseline = DriftBaselineSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  else {
    baseline = baselineFromSummary({ featureSchemaVersion: metadata.featureSchemaVersion, rows: metadata.trainingData.rows.train, features: metadata.featureDistribution, binary: BINARY });
  }
  return { version, threshold: metadata.threshold, referenceF1: metadata.metrics.test?.f1 ?? null, baseline };
}

/** Reads a monitoring config file (absent = defaults). Throws ZodError for an invalid file. */
export function loadMonitoringConfigFile(file: string, override?: MonitoringConfigInput): MonitoringConfig {
  const fromFile = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as MonitoringConfigInput) : {};
  return MonitoringConfigSchema.parse({ ...fromFile, ...override });
}

/** The rollback and alert effects; retraining requests differ per runtime (a job record locally, a Pub/Sub message on GCP). */
export function registryEffects(registry: ModelRegistryStore, log: Logger, now: () => Date): Pick<OpsExecutors, 'rollback' | 'alert'> {
  return {
    async rollback({ model, fromVersion, actionId }) {
      const pointer = await registry.pointer(model);
      // Idempotent: a rollback from a version that is no longer production already happened (or was overtaken).
      if (pointer.production !== fromVersion) return { rolledBack: false, reason: `production is ${pointer.production ?? 'none'}, not ${fromVersion}` };
      try {
        const restored = await registry.rollback(model, { actor: 'ops-policy', reason: `operations action ${actionId}`, evidence: { actionId }, at: now() });
        return { rolledBack: true, model, from: fromVersion, to: restored.version };
      } catch (err) {
        if (err instanceof RegistryConflictError && err.code === 'NO_ROLLBACK_TARGET') return { rolledBack: false, reason: err.message };
        throw err;
      }
    },
    async alert({ actionId, kind, subject, summary, risk }) {
      // The alert is this log line: a log-based metric counts `ledgerxAlert` and an alert policy notifies (infra/modules/pipeline/monitoring.tf).
      log.warn('monitoring alert', { actionId, ledgerxAlert: kind, subject, risk, summary: summary.slice(0, 300) });
      return { logged: true };
    },
  };
}

/** The `drift-check` job: params `window` (the scheduled time, ISO; default now) and `trigger`. */
export function createDriftCheckHandler(deps: Omit<DriftCheckDeps, 'progress'>): JobHandler {
  return (async (ctx) => {
    const window = typeof ctx.params.window === 'string' && !Number.isNaN(Date.parse(ctx.params.window)) ? new Date(ctx.params.window) : deps.now();
    const { report, policy } = await runDriftCheck({ ...deps, log: ctx.log, progress: (_step, counts) => ctx.progress({ counts }) }, window);
    return { reportId: report.id, reportStatus: report.status, findings: report.findingIds.length, executed: policy.executed.length };
  }) as JobHandler;
}

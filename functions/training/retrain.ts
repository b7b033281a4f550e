/**
 * Retraining as a job, and the part `ledgerx train` shares with it: train on a dataset, store and register
 * the versions, gate and promote (training/promotion.ts), and record the experiment run with its metrics per
 * split and slice, its data snapshot and its artifacts.
 *
 * The job handler checkpoints after the snapshot: a retrain killed at any point resumes from the stored
 * snapshot, retrains deterministically (same seed, same rows, same createdAt: same version names and model
 * bytes) and repeats only idempotent steps (a stored version is kept, a registered one is not registered
 * twice, a pending request is not opened twice). No version record ever exists without its files.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { LearningConfig } from '../core/learning/config.js';
import { JobPermanentError, type JobContext, type JobHandler } from '../core/learning/jobs.js';
import type { ModelArtifactStore, ModelRegistryStore } from '../core/learning/model-registry.js';
import type { PredictionLog } from '../core/learning/prediction-log.js';
import type { LabelStore } from '../core/learning/review-labels.js';
import type { RunModelMetrics, RunRecord, RunStore } from '../core/learning/runs.js';
import type { SplitMetrics } from '../core/registry/model-metadata.js';
import type { BlobStore, Logger } from '../core/ports.js';
import { codeRevision } from './code-revision.js';
import type { Dataset } from './dataset-rows.js';
import { registerAndGate, type ModelOutcome } from './promotion.js';
import { writeReport } from './report-html.js';
import { buildTrainingSnapshot, loadSnapshot, saveSnapshot, type SnapshotSources } from './snapshot.js';
import { trainModels, type TrainResult } from './train.js';
import type { PromotionHold } from '../core/monitoring/ops-policy.js';

export interface LearningPorts {
  registry: ModelRegistryStore;
  artifacts: ModelArtifactStore;
  runs: RunStore;
}

export interface TrainRunOptions extends LearningPorts {
  dataset: Dataset;
  kind: RunRecord['kind'];
  runId: string;
  seed: number;
  trials: number;
  config: Pick<LearningConfig, 'gate' | 'promotion'>;
  promote: boolean;
  actor: string;
  /** Where report.{json,html} are written (`<dir>/<version>/`). */
  reportsDir: string;
  /** Copies the report somewhere durable (the models bucket on GCP); returns the URIs. */
  publishReport?: (version: string, files: { json: string; html: string }) => Promise<string[]>;
  snapshot?: { uri?: string; sources?: SnapshotSources };
  jobId?: string | null;
  parameters?: Record<string, unknown>;
  createdAt?: string;
  startedAt?: Date;
  extraReport?: Record<string, unknown>;
  logger: Logger;
  now: () => Date;
  onStep?: (step: string) => void;
}

export interface TrainRunResult {
  run: RunRecord;
  result: TrainResult;
  outcomes: ModelOutcome[];
  reportJson: string;
  reportHtml: string;
}

export const newRunId = (now: Date) => `run-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;

const METRIC_KEYS = ['rows', 'positives', 'threshold', 'f1', 'precision', 'recall', 'rocAuc', 'prAuc', 'ece', 'logLoss'] as const;
const numbers = (m: SplitMetrics): Record<string, number | null> => Object.fromEntries(METRIC_KEYS.map((k) => [k, m[k]]));

/** A run's metrics: per model, validation and test splits and every test slice family. */
export function runMetricsOf(result: TrainResult): Record<string, RunModelMetrics> {
  return Object.fromEntries(result.report.models.filter((m) => m.shipped).map((m) => [m.name, {
    kind: m.kind,
    splits: { validation: numbers(m.validation), test: numbers(m.test), testAtDecisionPolicy: numbers(m.testAtDecisionPolicy) },
    slices: Object.fromEntries(Object.entries(m.slices).filter(([, v]) => v).map(([family, values]) => [family, Object.fromEntries(Object.entries(values!).map(([k, v]) => [k, numbers(v)]))])),
  }]));
}

/** Trains on `dataset`, stores, registers, gates and records the run (status `succeeded`, or `failed` with the error before rethrowing). */
export async function trainRegisterRecord(options: TrainRunOptions): Promise<TrainRunResult> {
  const started = options.startedAt ?? options.now();
  const revision = codeRevision();
  const base: RunRecord = {
    id: options.runId, kind: options.kind, status: 'running', startedAt: started.toISOString(), finishedAt: null, durationSeconds: null,
    parameters: { seed: options.seed, trials: options.trials, promote: options.promote, gate: options.config.gate, promotionMode: options.config.promotion.mode, ...options.parameters },
    dataSnapshot: { sha256: options.dataset.meta.sha256, rows: options.dataset.rows.length, sources: { ...(options.snapshot?.sources ?? { base: options.dataset.rows.length }) }, ...(options.snapshot?.uri ? { uri: options.snapshot.uri } : {}) },
    codeRevision: revision, metrics: {}, versions: {}, artifacts: [], gate: {}, jobId: options.jobId ?? null, error: null,
  };
  await options.runs.put(base);
  try {
    const result = await trainModels({ dataset: options.dataset, seed: options.seed, trials: options.trials, logger: options.logger, onStep: options.onStep, createdAt: options.createdAt, extraReport: options.extraReport });
    options.onStep?.('store, register and gate');
    const outcomes = await registerAndGate({
      result, registry: options.registry, artifacts: options.artifacts, config: options.config, promote: options.promote, actor: options.actor,
      runId: options.runId, codeRevision: revision, snapshot: { sha256: options.dataset.meta.sha256, rows: options.dataset.rows.length, ...(options.snapshot?.uri ? { uri: options.snapshot.uri } : {}) },
      now: options.now, logger: options.logger,
    });
    options.onStep?.('report');
    result.report.extra = { ...result.report.extra, runId: options.runId, gate: outcomes.map((o) => ({ model: o.name, outcome: o.outcome, champion: o.champion, reasons: o.gate?.reasons ?? [], delta: o.gate?.delta ?? null })) };
    const { reportJson, reportHtml } = writeReport(join(options.reportsDir, result.version), result.report);
    const published = options.publishReport ? await options.publishReport(result.version, { json: reportJson, html: reportHtml }) : [reportJson, reportHtml];
    const finished = options.now();
    const run: RunRecord = {
      ...base,
      status: 'succeeded',
      finishedAt: finished.toISOString(),
      durationSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
      metrics: runMetricsOf(result),
      versions: Object.fromEntries(result.models.map((m) => [m.name, m.version])),
      artifacts: [
        ...result.models.flatMap((m) => Object.keys(m.files).filter((f) => !f.startsWith('test_data/')).map((f) => ({ kind: 'model-file', uri: `models/${m.name}/${m.version}/${f}` }))),
        ...published.map((uri) => ({ kind: uri.endsWith('.html') ? 'report-html' : 'report-json', uri })),
      ],
      gate: Object.fromEntries(outcomes.map((o) => [o.name, { outcome: o.outcome, champion: o.champion, reasons: o.gate?.reasons ?? [], metric: o.gate?.metric ?? null, delta: o.gate?.delta ?? null, requestId: o.requestId ?? null }])),
    };
    await options.runs.put(run);
    return { run, result, outcomes, reportJson, reportHtml };
  } catch (err) {
    const finished = options.now();
    await options.runs.put({ ...base, status: 'failed', finishedAt: finished.toISOString(), durationSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10, error: err instanceof Error ? err.message.slice(0, 2000) : String(err) }).catch((putErr: unknown) => {
      // The training error is the one to surface; a lost run record is logged with its own reason.
      options.logger.error('failed run could not be recorded', { error: putErr instanceof Error ? putErr.message : String(putErr) });
    });
    throw err;
  }
}

export interface RetrainDeps extends LearningPorts {
  labels: LabelStore;
  predictions: PredictionLog;
  /** Where snapshots are stored (`training/snapshots/<sha>.jsonl`). */
  blobs: BlobStore;
  bucket: string;
  config: LearningConfig;
  /** The base corpus (generated and labelled from its truth; cached). */
  baseDataset: () => Promise<Dataset>;
  reportsDir: string;
  publishReport?: TrainRunOptions['publishReport'];
  actor?: string;
  /**
   * The operations policy's hold on promotions in force, if any (monitoring configured): while it holds, every
   * retraining (scheduled, requested or manual) trains and gates but registers its challengers in staging.
   */
  promotionHold?: () => Promise<PromotionHold | null>;
  logger: Logger;
  now: () => Date;
}

interface RetrainCheckpoint {
  phase: 'snapshot' | 'done';
  runId: string;
  snapshot: string;
  snapshotUri: string;
  sources: SnapshotSources;
  createdAt: string;
  startedAt: string;
}

/**
 * The `retrain` job kind. Params (all optional): `reason` (schedule, drift, manual...), `seed`, `trials`,
 * `promote` (default true). Returns the run id, versions and gate outcomes.
 */
export function createRetrainHandler(deps: RetrainDeps): JobHandler {
  return (async (ctx: JobContext<RetrainCheckpoint>) => {
    const seed = numberParam(ctx.params.seed, deps.config.retrain.seed, 'seed');
    const trials = numberParam(ctx.params.trials, deps.config.retrain.trials, 'trials');
    const promote = ctx.params.promote !== false;
    let cp = ctx.checkpoint;
    if (!cp) {
      const startedAt = deps.now();
      const base = await deps.baseDataset();
      const snapshot = await buildTrainingSnapshot(base, deps.labels, deps.predictions);
      if (snapshot.rows.length < 50) throw new JobPermanentError('TOO_FEW_ROWS', `a training set needs at least 50 rows, the snapshot has ${snapshot.rows.length}`);
      const snapshotUri = await saveSnapshot(deps.blobs, deps.bucket, snapshot);
      cp = { phase: 'snapshot', runId: newRunId(startedAt), snapshot: snapshot.meta.sha256, snapshotUri, sources: snapshot.sources, createdAt: startedAt.toISOString(), startedAt: startedAt.toISOString() };
      await ctx.progress({ checkpoint: cp, counts: { rows: snapshot.rows.length, reviewed: snapshot.sources.reviewed + snapshot.sources.baseReviewed } });
      ctx.log.info('retrain snapshot stored', { rows: snapshot.rows.length, ...snapshot.sources, snapshot: snapshot.meta.sha256 });
    }
    if (cp.phase === 'done') return { runId: cp.runId, resumedAfterDone: true };
    const dataset = await loadSnapshot(deps.blobs, deps.bucket, cp.snapshot);
    const hold = promote && deps.promotionHold ? await deps.promotionHold() : null;
    if (hold) ctx.log.warn('promotions are held: challengers stay in staging', { holdActionId: hold.actionId, holdUntil: hold.until });
    const { run, outcomes } = await trainRegisterRecord({
      ...deps, dataset, kind: 'retrain', runId: cp.runId, seed, trials, config: deps.config, promote: promote && !hold, actor: deps.actor ?? 'retrain-job',
      snapshot: { uri: cp.snapshotUri, sources: cp.sources }, jobId: ctx.job.id, createdAt: cp.createdAt, startedAt: new Date(cp.startedAt),
      parameters: {
        reason: typeof ctx.params.reason === 'string' ? ctx.params.reason.slice(0, 200) : 'manual', attempt: ctx.attempt,
        ...(hold ? { promotionHeldBy: hold.actionId, promotionHeldUntil: hold.until } : {}),
      },
      onStep: (step) => ctx.log.info('retrain step', { step }),
    });
    await ctx.progress({ checkpoint: { ...cp, phase: 'done' }, counts: Object.fromEntries(outcomes.map((o) => [`model.${o.name}.${o.outcome}`, 1])) });
    return { runId: run.id, versions: run.versions, outcomes: outcomes.map((o) => ({ model: o.name, version: o.version, outcome: o.outcome, requestId: o.requestId ?? null, reasons: o.gate?.reasons ?? [] })) };
  }) as JobHandler;
}

function numberParam(value: unknown, fallback: number, name: string): number {
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new JobPermanentError('BAD_PARAMS', `${name} must be a non-negative integer`);
  return n;
}

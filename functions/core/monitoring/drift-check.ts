/**
 * The drift check of one window (the `drift-check` job locally, the `drift-check` function on GCP): the
 * predictions of the window against the production models' training baseline, the performance of each
 * model, the REJECT / FAILED / low-confidence shares against the previous window; a report record, its HTML
 * page in a bucket, findings, and the operations policy applied to them.
 *
 * Idempotent per window end: the report id, the finding ids and the action ids all follow from it, so a
 * check killed at any point and run again writes the same report and never acts twice.
 */
import type { ModelRegistryStore } from '../learning/model-registry.js';
import { iteratePredictions, type PredictionLog, type PredictionLogEntry } from '../learning/prediction-log.js';
import { iterateEffectiveLabels, type LabelStore, type ReviewLabel } from '../learning/review-labels.js';
import { PreconditionFailedError, type BlobStore, type Logger } from '../ports.js';
import type { ColumnBaseline, DriftBaseline } from './baseline.js';
import type { MonitoringConfig } from './config.js';
import { columnsOf, computeDrift } from './drift.js';
import { applyPolicy, newFinding, type PolicyDeps, type PolicyOutcome } from './ops-policy.js';
import type { Finding } from './ops.js';
import { performanceOf, sharesOf, type ModelFacts } from './performance.js';
import { driftReportHtml } from './report-html.js';
import { reportIdOf, type DriftReport, type DriftReportStore } from './report.js';

/** What monitoring needs of a model version: its baseline (null when none can be had) and its facts. */
export interface MonitoredModel extends ModelFacts {
  baseline: DriftBaseline | null;
}

export interface DriftCheckDeps {
  predictions: PredictionLog;
  labels: LabelStore;
  registry: Pick<ModelRegistryStore, 'production'>;
  /** Reads a version's baseline and facts (metadata.json, baseline.json). */
  loadModel(name: string, version: string): Promise<MonitoredModel>;
  /** FAILED invoices and all invoices created in [from, to), when the runtime can count them. */
  failedCounts?: (from: Date, to: Date) => Promise<{ failed: number; total: number }>;
  reports: DriftReportStore;
  blobs: BlobStore;
  reportsBucket: string;
  policy: Omit<PolicyDeps, 'config' | 'log' | 'now'>;
  config: MonitoringConfig;
  log: Logger;
  now: () => Date;
  /** Called between steps (renews a job lease; throws to stop). */
  progress?: (step: string, counts: Record<string, number>) => Promise<void>;
}

export interface DriftCheckResult {
  report: DriftReport;
  policy: PolicyOutcome;
}

const HOUR = 3_600_000;

async function collect(log: PredictionLog, from: Date, to: Date, maxRows: number): Promise<PredictionLogEntry[]> {
  const rows: PredictionLogEntry[] = [];
  for await (const e of iteratePredictions(log, { from: from.toISOString(), to: to.toISOString(), limit: 1000 })) {
    rows.push(e);
    // Keep the newest maxRows (the log is read oldest first).
    if (rows.length > maxRows * 2) rows.splice(0, rows.length - maxRows);
  }
  return rows.length > maxRows ? rows.slice(rows.length - maxRows) : rows;
}

/** The baseline the features are compared with: the quality model's (else the first production model's), scores from each model's own. */
function combinedBaseline(models: Record<string, MonitoredModel>): { baseline: DriftBaseline; model: string; version: string } | null {
  const names = Object.keys(models).sort((a, b) => (a === 'quality' ? -1 : b === 'quality' ? 1 : a.localeCompare(b)));
  const first = names.find((n) => models[n]!.baseline);
  if (!first) return null;
  const base = models[first]!.baseline!;
  const scores: Record<string, ColumnBaseline> = {};
  for (const n of names) {
    const s = models[n]!.baseline?.scores[n];
    if (s) scores[n] = s;
  }
  return { baseline: { ...base, scores }, model: first, version: models[first]!.version };
}

/** Runs the check of the window ending at `windowEnd`. Throws for store or bucket errors (the job retries). */
export async function runDriftCheck(deps: DriftCheckDeps, windowEnd: Date): Promise<DriftCheckResult> {
  const started = Date.now();
  const cfg = deps.config;
  const span = cfg.drift.windowHours * HOUR;
  const from = new Date(windowEnd.getTime() - span);
  const prevFrom = new Date(from.getTime() - span);
  const id = reportIdOf(windowEnd);
  const log = deps.log.child({ reportId: id });
  const step = async (name: string, counts: Record<string, number> = {}) => deps.progress?.(name, counts);

  const production = await deps.registry.production();
  const models: Record<string, MonitoredModel> = {};
  for (const [name, version] of Object.entries(production)) models[name] = await deps.loadModel(name, version);
  await step('baseline', { models: Object.keys(models).length });

  const current = await collect(deps.predictions, from, windowEnd, cfg.drift.maxRows);
  const previous = await collect(deps.predictions, prevFrom, from, cfg.drift.maxRows);
  await step('window', { rows: current.length, previousRows: previous.length });

  const combined = combinedBaseline(models);
  let drift: DriftReport['drift'] = null;
  let status: DriftReport['status'];
  if (!combined) status = 'no-baseline';
  else if (current.length < cfg.drift.minRows) status = 'not-enough-data';
  else {
    const rows = current.filter((e) => e.featureSchemaVersion === combined.baseline.featureSchemaVersion);
    const features = columnsOf(rows.map((e) => e.features), Object.keys(combined.baseline.features));
    const scores: Record<string, Float32Array> = {};
    for (const name of Object.keys(combined.baseline.scores)) {
      const served = current.filter((e) => e.modelVersions[name] === production[name] && typeof e.scores[name]?.calibrated === 'number');
      scores[name] = Float32Array.from(served, (e) => e.scores[name]!.calibrated!);
    }
    drift = computeDrift(combined.baseline, { rows: rows.length, features, scores }, cfg.drift);
    status = drift.datasetDrifted || drift.driftedScores.length > 0 ? 'drift' : 'ok';
  }
  await step('drift', { drifted: drift?.driftedFeatures ?? 0 });

  const labels = new Map<string, ReviewLabel>();
  for await (const l of iterateEffectiveLabels(deps.labels)) labels.set(l.invoiceId, l);
  const facts: Record<string, ModelFacts> = Object.fromEntries(Object.entries(models).map(([n, m]) => [n, { version: m.version, threshold: m.threshold, referenceF1: m.referenceF1 }]));
  const performance = performanceOf(current, labels, facts, cfg.performance);
  const shares = { current: sharesOf(current), previous: sharesOf(previous) };
  let failed: DriftReport['shares']['failed'] = null;
  if (deps.failedCounts) {
    const [c, p] = await Promise.all([deps.failedCounts(from, windowEnd), deps.failedCounts(prevFrom, from)]);
    failed = { current: c.total === 0 ? 0 : c.failed / c.total, previous: p.total === 0 ? 0 : p.failed / p.total, currentRows: c.total, previousRows: p.total };
  }
  await step('performance', { labelled: labels.size });

  const now = deps.now();
  const windowTo = windowEnd.toISOString();
  const findings: Finding[] = [];
  const add = (f: Omit<Finding, 'id' | 'key' | 'createdAt' | 'reportId' | 'windowEnd'>) => findings.push(newFinding({ ...f, reportId: id, windowEnd: windowTo }, now));
  if (drift?.datasetDrifted) {
    add({ kind: 'data-drift', subject: 'dataset', summary: `${drift.driftedFeatures} of ${drift.features.length} features drifted`, evidence: { driftedShare: drift.driftedShare, rows: drift.rows, drifted: drift.features.filter((f) => f.drifted).map((f) => ({ name: f.name, method: f.method, statistic: f.statistic, pValue: f.pValue })) } });
  }
  for (const s of drift?.scores.filter((c) => c.drifted) ?? []) {
    add({ kind: 'prediction-drift', subject: s.name, summary: `${s.name} scores drifted (${s.method} ${s.statistic.toPrecision(3)})`, evidence: { method: s.method, statistic: s.statistic, pValue: s.pValue, threshold: s.threshold, referenceMean: s.referenceMean, currentMean: s.currentMean } });
  }
  for (const p of performance.filter((x) => x.below.realized || x.below.estimated)) {
    add({ kind: 'performance-drop', subject: p.model, summary: `${p.model} F1 below its floor (realized ${p.realized?.f1?.toFixed(3) ?? '-'}, estimated ${p.estimated?.f1?.toFixed(3) ?? '-'})`, evidence: { version: p.version, realized: p.realized, estimated: p.estimated, referenceF1: p.referenceF1 } });
  }
  const rising = (kind: Finding['kind'], name: string, cur: number, prev: number, rows: number, prevRows: number) => {
    if (rows >= cfg.shares.minRows && prevRows >= cfg.shares.minRows && cur - prev > cfg.shares.maxRise) {
      add({ kind, subject: 'pipeline', summary: `${name} share rose from ${prev.toFixed(3)} to ${cur.toFixed(3)}`, evidence: { current: cur, previous: prev, rows, previousRows: prevRows } });
    }
  };
  rising('reject-share-rising', 'REJECT', shares.current.reject, shares.previous.reject, shares.current.rows, shares.previous.rows);
  rising('low-confidence-rising', 'low-confidence', shares.current.lowConfidence, shares.previous.lowConfidence, shares.current.rows, shares.previous.rows);
  if (failed) rising('failed-share-rising', 'FAILED', failed.current, failed.previous, failed.currentRows, failed.previousRows);

  const htmlRef = { bucket: deps.reportsBucket, name: `reports/drift/${id}.html` };
  const report: DriftReport = {
    id, createdAt: now.toISOString(), window: { from: from.toISOString(), to: windowTo }, models: production,
    baseline: combined ? { model: combined.model, version: combined.version, source: combined.baseline.source, rows: combined.baseline.rows } : null,
    status, drift, performance, shares: { ...shares, failed }, findingIds: findings.map((f) => f.id), html: htmlRef, durationMs: 0,
  };
  report.durationMs = Date.now() - started;
  try {
    // Create-only: on GCP the check may create report objects, not replace them; a re-run of the window keeps the first page.
    await deps.blobs.write(htmlRef, driftReportHtml(report), { contentType: 'text/html; charset=utf-8', ifGenerationMatch: '0' });
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
  await deps.reports.put(report);
  await step('report', { findings: findings.length });
  log.info('drift check done', { status, rows: current.length, drifted: drift?.driftedFeatures ?? 0, findings: findings.length, ms: report.durationMs });

  const policy = await applyPolicy({ ...deps.policy, config: cfg, log, now: deps.now }, findings, { production });
  return { report, policy };
}

/** Realized and estimated performance of the production models over the `hours` before `windowEnd` (the API's live view). */
export async function currentPerformance(
  deps: Pick<DriftCheckDeps, 'predictions' | 'labels' | 'registry' | 'loadModel' | 'config'>,
  windowEnd: Date,
  hours: number,
): Promise<{ window: { from: string; to: string }; models: ReturnType<typeof performanceOf> }> {
  const from = new Date(windowEnd.getTime() - hours * HOUR);
  const production = await deps.registry.production();
  const facts: Record<string, ModelFacts> = {};
  for (const [name, version] of Object.entries(production)) {
    const m = await deps.loadModel(name, version);
    facts[name] = { version, threshold: m.threshold, referenceF1: m.referenceF1 };
  }
  const entries = await collect(deps.predictions, from, windowEnd, deps.config.drift.maxRows);
  const labels = new Map<string, ReviewLabel>();
  for await (const l of iterateEffectiveLabels(deps.labels)) labels.set(l.invoiceId, l);
  return { window: { from: from.toISOString(), to: windowEnd.toISOString() }, models: performanceOf(entries, labels, facts, deps.config.performance) };
}

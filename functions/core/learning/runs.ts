/**
 * Experiment runs: every training run's parameters, data snapshot, metrics per split and slice, duration,
 * artifacts and outcome, so that two runs can be compared and every model version traced to the run that
 * made it.
 */
import { z } from 'zod';

const IsoTime = z.iso.datetime({ offset: true });

/** Metrics of one model on one split or slice: numbers only (null = undefined, e.g. one class). */
export const MetricSetSchema = z.record(z.string(), z.number().nullable());
export type MetricSet = z.infer<typeof MetricSetSchema>;

export const RunModelMetricsSchema = z.object({
  kind: z.string(),
  splits: z.record(z.string(), MetricSetSchema),
  /** slice family (language, scan...) -> slice value -> metrics on the test split. */
  slices: z.record(z.string(), z.record(z.string(), MetricSetSchema)).default({}),
});
export type RunModelMetrics = z.infer<typeof RunModelMetricsSchema>;

export const RunRecordSchema = z.object({
  id: z.string().min(1).max(200),
  /** `train` (ledgerx train) or `retrain` (the retraining job). */
  kind: z.enum(['train', 'retrain']),
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: IsoTime,
  finishedAt: IsoTime.nullable().default(null),
  durationSeconds: z.number().nullable().default(null),
  parameters: z.record(z.string(), z.unknown()),
  dataSnapshot: z.object({ sha256: z.string(), rows: z.number().int(), sources: z.record(z.string(), z.number()).default({}), uri: z.string().optional() }).nullable().default(null),
  codeRevision: z.string().nullable().default(null),
  /** model name -> metrics. */
  metrics: z.record(z.string(), RunModelMetricsSchema).default({}),
  /** model name -> version registered by this run. */
  versions: z.record(z.string(), z.string()).default({}),
  artifacts: z.array(z.object({ kind: z.string(), uri: z.string() })).default([]),
  /** model name -> gate outcome (promoted, pending approval, blocked with reasons). */
  gate: z.record(z.string(), z.unknown()).default({}),
  jobId: z.string().nullable().default(null),
  error: z.string().nullable().default(null),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;
export type RunRecordInput = z.input<typeof RunRecordSchema>;

/** Run records, newest first in listings; `put` creates or replaces a run by id. */
export interface RunStore {
  put(run: RunRecordInput): Promise<RunRecord>;
  get(id: string): Promise<RunRecord | null>;
  list(query: { limit: number; cursor?: string | undefined }): Promise<{ items: RunRecord[]; nextCursor?: string | undefined }>;
}

export interface MetricDelta {
  model: string;
  /** `split:test` or `<family>:<value>`. */
  scope: string;
  metric: string;
  a: number | null;
  b: number | null;
  /** b - a (null when either is missing). */
  delta: number | null;
}

const COMPARED = ['f1', 'precision', 'recall', 'rocAuc', 'prAuc', 'ece', 'rows'];

/** Metric deltas (B - A) per model, split and slice, for `ledgerx runs compare`. */
export function compareRuns(a: RunRecord, b: RunRecord): MetricDelta[] {
  const out: MetricDelta[] = [];
  const models = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort();
  for (const model of models) {
    const ma = a.metrics[model];
    const mb = b.metrics[model];
    const scopes = new Map<string, [MetricSet | undefined, MetricSet | undefined]>();
    for (const split of new Set([...Object.keys(ma?.splits ?? {}), ...Object.keys(mb?.splits ?? {})])) {
      scopes.set(`split:${split}`, [ma?.splits[split], mb?.splits[split]]);
    }
    for (const family of new Set([...Object.keys(ma?.slices ?? {}), ...Object.keys(mb?.slices ?? {})])) {
      for (const value of new Set([...Object.keys(ma?.slices[family] ?? {}), ...Object.keys(mb?.slices[family] ?? {})])) {
        scopes.set(`${family}:${value}`, [ma?.slices[family]?.[value], mb?.slices[family]?.[value]]);
      }
    }
    for (const [scope, [sa, sb]] of [...scopes].sort(([x], [y]) => x.localeCompare(y))) {
      for (const metric of COMPARED) {
        const va = sa?.[metric] ?? null;
        const vb = sb?.[metric] ?? null;
        if (va === null && vb === null) continue;
        out.push({ model, scope, metric, a: va, b: vb, delta: va === null || vb === null ? null : Math.round((vb - va) * 1e6) / 1e6 });
      }
    }
  }
  return out;
}

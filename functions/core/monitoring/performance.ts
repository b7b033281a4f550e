/**
 * Performance of the serving models: realized precision, recall and F1 where review labels exist (a review
 * is ground truth: a key-field correction means the extraction was not trustworthy, a rejection means the
 * invoice failed), and a label-free estimate for the predictions nobody reviewed yet: confidence-based
 * performance estimation (CBPE, as NannyML does it). With calibrated probabilities p and a threshold t, a
 * row predicted positive (p >= t) is a true positive with probability p and a false positive with 1 - p; one
 * predicted negative is a false negative with probability p. The expected confusion matrix gives expected
 * precision, recall and F1. It holds as long as the calibration holds (no concept drift), which is why the
 * report shows the estimate next to the realized value on the labelled rows.
 */
import { z } from 'zod';
import type { PredictionLogEntry } from '../learning/prediction-log.js';
import { trainingLabelsOf, type ReviewLabel } from '../learning/review-labels.js';
import { DEFAULT_DECISION_THRESHOLDS } from '../scoring/thresholds.js';
import type { PerformanceConfig } from './config.js';

export const MetricsSchema = z.object({
  rows: z.number().int(),
  /** Positives (realized) or expected positives (estimated). */
  positives: z.number(),
  precision: z.number().nullable(),
  recall: z.number().nullable(),
  f1: z.number().nullable(),
});
export type Metrics = z.infer<typeof MetricsSchema>;

export const ModelPerformanceSchema = z.object({
  model: z.string(),
  version: z.string(),
  threshold: z.number(),
  /** Test F1 at training, when known. */
  referenceF1: z.number().nullable(),
  realized: MetricsSchema.nullable(),
  /** CBPE over every prediction of the window. */
  estimated: MetricsSchema.nullable(),
  /** CBPE over the labelled predictions only: what to hold against `realized`. */
  estimatedOnLabelled: MetricsSchema.nullable(),
  below: z.object({ realized: z.boolean(), estimated: z.boolean() }),
});
export type ModelPerformance = z.infer<typeof ModelPerformanceSchema>;

function fromConfusion(rows: number, tp: number, fp: number, fn: number): Metrics {
  const precision = tp + fp > 0 ? tp / (tp + fp) : null;
  const recall = tp + fn > 0 ? tp / (tp + fn) : null;
  const f1 = 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null;
  return { rows, positives: tp + fn, precision, recall, f1 };
}

/** Precision, recall and F1 of scores against 0/1 labels at `threshold` (positive = score >= threshold). */
export function realizedMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): Metrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const pos = scores[i]! >= threshold;
    if (labels[i] === 1) {
      if (pos) tp++;
      else fn++;
    } else if (pos) fp++;
  }
  return fromConfusion(scores.length, tp, fp, fn);
}

/** The CBPE estimate of the same metrics from calibrated probabilities alone. */
export function estimatedMetrics(probabilities: ArrayLike<number>, threshold: number): Metrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(1, Math.max(0, probabilities[i]!));
    if (p >= threshold) {
      tp += p;
      fp += 1 - p;
    } else fn += p;
  }
  return fromConfusion(probabilities.length, tp, fp, fn);
}

/** What a review says each supervised model should have predicted (anomaly has no label). */
export const LABEL_OF_MODEL: Readonly<Record<string, (label: ReviewLabel) => 0 | 1>> = {
  quality: (l) => (trainingLabelsOf(l).quality ? 1 : 0),
  failure: (l) => (trainingLabelsOf(l).failure ? 1 : 0),
};

export interface ModelFacts {
  version: string;
  threshold: number;
  referenceF1: number | null;
}

/**
 * Realized and estimated performance of each supervised model over a window of predictions. `labels` maps
 * invoice id to its effective review label; a label counts for the prediction of the revision it judged.
 * Only predictions made by the given model versions count.
 */
export function performanceOf(entries: readonly PredictionLogEntry[], labels: ReadonlyMap<string, ReviewLabel>, models: Readonly<Record<string, ModelFacts>>, config: PerformanceConfig): ModelPerformance[] {
  const out: ModelPerformance[] = [];
  for (const [model, facts] of Object.entries(models)) {
    const labelOf = LABEL_OF_MODEL[model];
    if (!labelOf) continue;
    const all: number[] = [];
    const labelledScores: number[] = [];
    const labelledTruth: number[] = [];
    for (const e of entries) {
      if (e.modelVersions[model] !== facts.version) continue;
      const p = e.scores[model]?.calibrated;
      if (typeof p !== 'number') continue;
      all.push(p);
      const label = labels.get(e.invoiceId);
      if (label && label.revision === e.revision) {
        labelledScores.push(p);
        labelledTruth.push(labelOf(label));
      }
    }
    const realized = labelledScores.length >= config.minLabelled ? realizedMetrics(labelledScores, labelledTruth, facts.threshold) : null;
    const estimated = all.length >= config.minPredictions ? estimatedMetrics(all, facts.threshold) : null;
    const estimatedOnLabelled = labelledScores.length > 0 ? estimatedMetrics(labelledScores, facts.threshold) : null;
    const floor = Math.max(config.minF1, facts.referenceF1 === null ? 0 : facts.referenceF1 - config.maxF1Drop);
    out.push({
      model, version: facts.version, threshold: facts.threshold, referenceF1: facts.referenceF1, realized, estimated, estimatedOnLabelled,
      below: { realized: realized?.f1 != null && realized.f1 < floor, estimated: estimated?.f1 != null && estimated.f1 < floor },
    });
  }
  return out;
}

export const SharesSchema = z.object({
  rows: z.number().int(),
  reject: z.number(),
  lowConfidence: z.number(),
});
export type Shares = z.infer<typeof SharesSchema>;

/**
 * REJECT share and low-confidence share of a window: low confidence = the quality model below the decision's
 * floor, or a key field read below the decision's confidence floor (the invoices that go to review for it).
 */
export function sharesOf(entries: readonly PredictionLogEntry[]): Shares {
  let reject = 0;
  let low = 0;
  for (const e of entries) {
    if (e.decision === 'REJECT') reject++;
    const q = e.scores.quality?.calibrated;
    const conf = e.features.key_fields_conf_min;
    if ((typeof q === 'number' && q < DEFAULT_DECISION_THRESHOLDS.minModelQuality) || (typeof conf === 'number' && conf < DEFAULT_DECISION_THRESHOLDS.minKeyFieldConfidence)) low++;
  }
  const n = entries.length;
  return { rows: n, reject: n === 0 ? 0 : reject / n, lowConfidence: n === 0 ? 0 : low / n };
}

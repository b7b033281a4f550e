/**
 * Settings of model monitoring: the drift tests and their thresholds, the window, the performance floors and
 * the operations policy. Locally the `monitoring` key of `<data-dir>/learning.json`; on GCP the
 * `LEDGERX_MONITORING` environment variable (JSON). Every field has a default.
 */
import { z } from 'zod';

export const NumericLargeMethodSchema = z.enum(['wasserstein', 'psi', 'jensen-shannon']);
export const CategoricalLargeMethodSchema = z.enum(['jensen-shannon', 'psi']);
export const RiskSchema = z.enum(['low', 'medium', 'high']);
export type Risk = z.infer<typeof RiskSchema>;

export const DriftConfigSchema = z.object({
  /**
   * A current window of at most this many non-missing values is judged by a statistical test (p-value);
   * a larger one by a distance with a threshold, because p-values flag every tiny shift on large samples.
   */
  smallSampleMax: z.number().int().positive().default(1000),
  /** p-value below which KS / chi-squared call a feature drifted (small samples). */
  pValue: z.number().gt(0).lt(1).default(0.05),
  numericMethod: NumericLargeMethodSchema.default('wasserstein'),
  categoricalMethod: CategoricalLargeMethodSchema.default('jensen-shannon'),
  /** Wasserstein distance divided by the reference standard deviation. */
  wassersteinThreshold: z.number().positive().default(0.1),
  /** Jensen-Shannon distance (base 2, 0..1). */
  jensenShannonThreshold: z.number().positive().max(1).default(0.1),
  psiThreshold: z.number().positive().default(0.2),
  /** Absolute change of the missing share that counts as drift on large samples. */
  missingShareThreshold: z.number().positive().max(1).default(0.1),
  /** The dataset has drifted when at least this share of the features has. */
  datasetDriftShare: z.number().gt(0).max(1).default(0.5),
  /** The window: predictions of the last `windowHours` (at most `maxRows`, the newest). */
  windowHours: z.number().positive().max(24 * 90).default(24 * 7),
  maxRows: z.number().int().positive().max(1_000_000).default(200_000),
  /** Fewer rows than this: the check reports "not enough data" and finds nothing. */
  minRows: z.number().int().positive().default(30),
});
export type DriftConfig = z.infer<typeof DriftConfigSchema>;

export const PerformanceConfigSchema = z.object({
  /** A model whose realized or estimated F1 is below this has a performance finding. */
  minF1: z.number().min(0).max(1).default(0.6),
  /** ... or whose F1 fell more than this below its test F1 at training. */
  maxF1Drop: z.number().min(0).max(1).default(0.15),
  /** Realized metrics need at least this many labelled predictions. */
  minLabelled: z.number().int().positive().default(20),
  /** Estimated metrics need at least this many predictions. */
  minPredictions: z.number().int().positive().default(30),
});
export type PerformanceConfig = z.infer<typeof PerformanceConfigSchema>;

export const ShareConfigSchema = z.object({
  /** A share (REJECT, FAILED, low confidence) rising by more than this against the previous window is a finding. */
  maxRise: z.number().gt(0).max(1).default(0.1),
  minRows: z.number().int().positive().default(30),
});

export const MonitoringConfigSchema = z.object({
  drift: DriftConfigSchema.prefault({}),
  performance: PerformanceConfigSchema.prefault({}),
  shares: ShareConfigSchema.prefault({}),
  policy: z
    .object({
      /** Actions up to this risk run without a person; the others wait for an admin's approval. */
      autoRunMaxRisk: RiskSchema.default('low'),
      /** Who may approve or reject actions; empty = any admin. */
      admins: z.array(z.string().min(1)).default([]),
      /** Trials of a retraining the policy requests (small = fast; the scheduled weekly run uses its own). */
      retrainTrials: z.number().int().positive().max(500).optional(),
    })
    .prefault({}),
});
export type MonitoringConfig = z.infer<typeof MonitoringConfigSchema>;
export type MonitoringConfigInput = z.input<typeof MonitoringConfigSchema>;

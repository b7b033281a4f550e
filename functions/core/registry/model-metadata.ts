/** The zod contracts of the shipped model files: `models/<name>/<version>/metadata.json` and `models/registry.json`. */
import { z } from 'zod';
import { CalibratorSchema } from '../training/calibration.js';

export const MODEL_NAMES = ['quality', 'failure', 'anomaly'] as const;
export const ModelNameSchema = z.enum(MODEL_NAMES);
export type ModelName = z.infer<typeof ModelNameSchema>;

export const ModelKindSchema = z.enum(['gbdt', 'logistic', 'isolation-forest']);
export type ModelKind = z.infer<typeof ModelKindSchema>;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Metric = z.number().nullable();

export const ConfusionSchema = z.object({ tp: z.number().int(), fp: z.number().int(), tn: z.number().int(), fn: z.number().int() });

/** Metrics of one classifier on one split at the chosen threshold (null = undefined, e.g. one class only). */
export const SplitMetricsSchema = z.object({
  rows: z.number().int(),
  positives: z.number().int(),
  threshold: z.number(),
  f1: Metric,
  precision: Metric,
  recall: Metric,
  rocAuc: Metric,
  prAuc: Metric,
  ece: Metric,
  logLoss: Metric,
  confusion: ConfusionSchema,
});
export type SplitMetrics = z.infer<typeof SplitMetricsSchema>;

/** Training distribution of one feature: the drift baseline. */
export const FeatureDistributionSchema = z.object({
  name: z.string(),
  missingShare: z.number(),
  mean: Metric,
  std: Metric,
  min: Metric,
  p01: Metric,
  p25: Metric,
  p50: Metric,
  p75: Metric,
  p99: Metric,
  max: Metric,
});
export type FeatureDistribution = z.infer<typeof FeatureDistributionSchema>;

export const ModelMetadataSchema = z.object({
  schemaVersion: z.literal(1),
  name: ModelNameSchema,
  version: z.string().regex(/^[\w.-]+$/),
  kind: ModelKindSchema,
  /** What the output means. */
  target: z.string(),
  featureSchemaVersion: z.string(),
  /** Input column order (FEATURE_NAMES at training time). */
  featureNames: z.array(z.string()).min(1),
  inputName: z.string(),
  /** float[N,1] `score` (anomaly) or float[N,2] `probabilities` (classifier, column 1 = positive). */
  outputName: z.string(),
  modelFile: z.literal('model.onnx'),
  modelSha256: Sha256,
  /** The TypeScript model JSON (trees or coefficients) used for explanations. */
  explainerFile: z.literal('model.json'),
  explainerSha256: Sha256,
  /** Applied to the ONNX output: isotonic / Platt for classifiers, a quantile map for the anomaly score. */
  calibration: CalibratorSchema,
  /** Decision threshold on the calibrated output (positive = output >= threshold). */
  threshold: z.number(),
  hyperparameters: z.record(z.string(), z.unknown()),
  trainingData: z.object({
    sha256: Sha256,
    seed: z.number().int(),
    rows: z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() }),
    corpora: z.array(z.object({ seed: z.number().int(), count: z.number().int(), suppliers: z.number().int(), mix: z.record(z.string(), z.number()) })),
    labelRule: z.string(),
  }),
  metrics: z.object({ validation: SplitMetricsSchema.optional(), test: SplitMetricsSchema.optional() }).catchall(z.unknown()),
  featureDistribution: z.array(FeatureDistributionSchema),
  trainingSeconds: z.number(),
  createdAt: z.string(),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;

export const StageSchema = z.enum(['staging', 'production', 'archived']);
export type Stage = z.infer<typeof StageSchema>;

export const RegistrySchema = z.object({
  schemaVersion: z.literal(1),
  models: z.record(
    z.string(),
    z.object({
      versions: z.array(z.object({ version: z.string(), stage: StageSchema, createdAt: z.string() })),
      /** Versions that were production, oldest first (the last one is current); rollback pops it. */
      productionHistory: z.array(z.string()).default([]),
    }),
  ),
});
export type Registry = z.infer<typeof RegistrySchema>;

/**
 * Configuration of the learning loop on GCP, from the environment (set by Terraform): the collections of the
 * learning stores, retention, pointer refresh, gate and promotion policy, and what the retrain trigger and
 * the retraining job need. One zod schema per consumer; every problem is reported at once.
 */
import { z } from 'zod';
import { LearningConfigSchema, type LearningConfig } from '../../core/learning/config.js';
import { ConfigError, type Env } from './config.js';

const PositiveNumber = z.string().regex(/^\d+(\.\d+)?$/, 'must be a positive number').transform(Number);
const Csv = z.string().transform((s) => s.split(/[\s,]+/).filter(Boolean));

const LearningEnv = z.object({
  GOOGLE_CLOUD_PROJECT: z.string({ error: 'is required' }).min(1, 'is required'),
  LEDGERX_ENVIRONMENT: z.string().default('dev'),
  LEDGERX_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  LEDGERX_FIRESTORE_DATABASE: z.string().min(1).default('(default)'),
  /** Prefix of the learning collections (predictions, reviews, modelVersions, jobs, runs...); default none. */
  LEDGERX_LEARNING_COLLECTION_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/).default(''),
  LEDGERX_MODELS_BUCKET: z.string({ error: 'is required' }).min(1, 'is required'),
  LEDGERX_PREDICTION_RETENTION_DAYS: PositiveNumber.optional(),
  LEDGERX_REGISTRY_REFRESH_SECONDS: PositiveNumber.optional(),
  LEDGERX_PROMOTION_MODE: z.enum(['auto', 'approval']).default('approval'),
  LEDGERX_MODEL_ADMINS: Csv.optional(),
  LEDGERX_GATE_MARGIN: PositiveNumber.optional(),
  LEDGERX_GATE_SLICE_TOLERANCE: PositiveNumber.optional(),
  LEDGERX_GATE_CALIBRATION_GAIN: PositiveNumber.optional(),
  LEDGERX_RETRAIN_TRIALS: PositiveNumber.optional(),
  LEDGERX_RETRAIN_SEED: PositiveNumber.optional(),
});

export interface GcpLearningConfig {
  projectId: string;
  environment: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  databaseId: string;
  prefix: string;
  modelsBucket: string;
  learning: LearningConfig;
}

function parse<S extends z.ZodType>(name: string, schema: S, env: Env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(name, parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'} ${i.message}`));
  return parsed.data;
}

function learningOf(name: string, e: z.infer<typeof LearningEnv>): GcpLearningConfig {
  const learning = LearningConfigSchema.safeParse({
    ...(e.LEDGERX_PREDICTION_RETENTION_DAYS ? { predictionRetentionDays: e.LEDGERX_PREDICTION_RETENTION_DAYS } : {}),
    ...(e.LEDGERX_REGISTRY_REFRESH_SECONDS ? { registryRefreshSeconds: e.LEDGERX_REGISTRY_REFRESH_SECONDS } : {}),
    gate: { ...(e.LEDGERX_GATE_MARGIN !== undefined ? { margin: e.LEDGERX_GATE_MARGIN } : {}), ...(e.LEDGERX_GATE_SLICE_TOLERANCE !== undefined ? { sliceTolerance: e.LEDGERX_GATE_SLICE_TOLERANCE } : {}),
      ...(e.LEDGERX_GATE_CALIBRATION_GAIN !== undefined ? { calibrationGain: e.LEDGERX_GATE_CALIBRATION_GAIN } : {}) },
    promotion: { mode: e.LEDGERX_PROMOTION_MODE, admins: e.LEDGERX_MODEL_ADMINS ?? [] },
    retrain: { ...(e.LEDGERX_RETRAIN_TRIALS ? { trials: e.LEDGERX_RETRAIN_TRIALS } : {}), ...(e.LEDGERX_RETRAIN_SEED !== undefined ? { seed: e.LEDGERX_RETRAIN_SEED } : {}) },
  });
  if (!learning.success) throw new ConfigError(name, learning.error.issues.map((i) => `${i.path.join('.')} ${i.message}`));
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT, environment: e.LEDGERX_ENVIRONMENT, logLevel: e.LEDGERX_LOG_LEVEL, databaseId: e.LEDGERX_FIRESTORE_DATABASE,
    prefix: e.LEDGERX_LEARNING_COLLECTION_PREFIX, modelsBucket: e.LEDGERX_MODELS_BUCKET, learning: learning.data,
  };
}

/** The learning settings every learning consumer shares (inference reads retention and refresh). */
export function loadLearningConfig(name: string, env: Env = process.env): GcpLearningConfig {
  return learningOf(name, parse(name, LearningEnv, env));
}

const TriggerEnv = LearningEnv.extend({
  LEDGERX_REGION: z.string({ error: 'is required' }).min(1, 'is required'),
  /** The Cloud Run job that trains (its short name). */
  LEDGERX_RETRAIN_JOB: z.string({ error: 'is required' }).regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a Cloud Run job name'),
});

export interface RetrainTriggerConfig extends GcpLearningConfig {
  region: string;
  jobName: string;
}

/** Config of the `retrain` trigger function. Throws ConfigError listing every problem. */
export function loadRetrainTriggerConfig(env: Env = process.env): RetrainTriggerConfig {
  const e = parse('retrain', TriggerEnv, env);
  return { ...learningOf('retrain', e), region: e.LEDGERX_REGION, jobName: e.LEDGERX_RETRAIN_JOB };
}

const JobEnv = LearningEnv.extend({
  /** The job record to run (set by the trigger as an execution override); absent = a new manual job. */
  LEDGERX_JOB_ID: z.string().regex(/^[\w.:-]{1,200}$/).optional(),
  /** Object in the models bucket holding the base corpus (JSONL rows, with `<name>.meta.json`). */
  LEDGERX_BASE_DATASET: z.string({ error: 'is required' }).regex(/^[\w./-]+\.jsonl$/, 'must be a .jsonl object name'),
  /** Cloud Run sets these for a job's task; a retried task carries the attempt number. */
  CLOUD_RUN_EXECUTION: z.string().optional(),
  CLOUD_RUN_TASK_ATTEMPT: z.string().optional(),
});

export interface RetrainJobConfig extends GcpLearningConfig {
  jobId?: string | undefined;
  baseDataset: string;
  execution?: string | undefined;
}

/** Config of the retraining Cloud Run job. Throws ConfigError listing every problem. */
export function loadRetrainJobConfig(env: Env = process.env): RetrainJobConfig {
  const e = parse('retrain-job', JobEnv, env);
  return { ...learningOf('retrain-job', e), jobId: e.LEDGERX_JOB_ID, baseDataset: e.LEDGERX_BASE_DATASET, execution: e.CLOUD_RUN_EXECUTION };
}

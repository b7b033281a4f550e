/**
 * Settings of the learning loop, shared by both runtimes: prediction-log retention, how often serving
 * re-checks the production pointer, the promotion gate and policy, and the job schedules. Locally read from
 * `<data-dir>/learning.json` (all optional); on GCP from `LEDGERX_*` environment variables.
 */
import { z } from 'zod';
import { GatePolicySchema } from './gate.js';

export const PromotionModeSchema = z.enum(['auto', 'approval']);
export type PromotionMode = z.infer<typeof PromotionModeSchema>;

export const LearningConfigSchema = z.object({
  /** Prediction-log entries older than this are deleted (TTL on GCP, a prune job locally). */
  predictionRetentionDays: z.number().int().positive().max(3650).default(180),
  /** Serving re-reads the production pointers at most this often; a promotion reaches every instance within it. */
  registryRefreshSeconds: z.number().positive().max(3600).default(60),
  gate: GatePolicySchema.prefault({}),
  promotion: z
    .object({
      /** `auto`: a challenger that passes the gate is promoted; `approval`: it waits as a pending request. */
      mode: PromotionModeSchema.default('auto'),
      /** Who may approve or reject; empty = anyone but the requester. */
      admins: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /** Cron expressions (five fields, UTC) per job kind run by the local scheduler. */
  schedules: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.string().min(9)).default({ retrain: '0 3 * * 1', 'prune-predictions': '30 2 * * *' }),
  retrain: z
    .object({
      seed: z.number().int().default(42),
      /** Random-search trials per GBDT model. */
      trials: z.number().int().positive().default(20),
      /** The generated base corpus (documents; its scans count) used when no snapshot of it is configured. */
      baseCount: z.number().int().min(20).default(4000),
      baseScans: z.number().int().nonnegative().optional(),
    })
    .prefault({}),
});
export type LearningConfig = z.infer<typeof LearningConfigSchema>;
export type LearningConfigInput = z.input<typeof LearningConfigSchema>;

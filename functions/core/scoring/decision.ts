import { z } from 'zod';

export const DecisionSchema = z.enum(['APPROVE', 'REVIEW', 'REJECT']);
export type Decision = z.infer<typeof DecisionSchema>;

/** A machine-readable reason behind a decision. */
export const ReasonSchema = z.object({
  code: z.string(),
  /** Which part of the pipeline raised it. */
  kind: z.enum(['validation', 'duplicate', 'quality', 'risk', 'anomaly', 'policy', 'model']),
  /** How strongly it pushes the decision. */
  effect: z.enum(['REJECT', 'REVIEW', 'INFO']),
  message: z.string(),
  value: z.number().optional(),
  threshold: z.number().optional(),
});
export type Reason = z.infer<typeof ReasonSchema>;

export const ScoresSchema = z.object({
  /** Probability the extraction can be trusted (0..1); null without a model. */
  quality: z.number().min(0).max(1).nullable(),
  /** Probability the invoice fails downstream (0..1); null without a model. */
  failureRisk: z.number().min(0).max(1).nullable(),
  /** Anomaly score (0..1, higher = more unusual); null without a model. */
  anomaly: z.number().min(0).max(1).nullable(),
  /** Rule-based quality estimate used when no model is present (0..1). */
  ruleQuality: z.number().min(0).max(1),
});
export type Scores = z.infer<typeof ScoresSchema>;

export const ContributionSchema = z.object({ feature: z.string(), value: z.number(), contribution: z.number() });

export const DecisionRecordSchema = z.object({
  decision: DecisionSchema,
  reasons: z.array(ReasonSchema),
  scores: ScoresSchema,
  /** `rules` when no models were available, else `models+rules`. */
  basis: z.enum(['rules', 'models+rules']),
  modelVersions: z.record(z.string(), z.string()),
  explanations: z.record(z.string(), z.array(ContributionSchema)).default({}),
  /**
   * APPROVE only: drawn for the review queue's audit sample when scored (core/api/audit-sample.ts), decided once
   * so that redelivery and every reader agree. Absent on decisions recorded before the flag existed.
   */
  auditSample: z.boolean().optional(),
});
export type DecisionRecord = z.infer<typeof DecisionRecordSchema>;

import { z } from 'zod';
import { ValidationCodes } from '../validation/codes.js';

/**
 * Decision thresholds. Every key has a default, so `DecisionThresholdsSchema.parse({})` is the policy in force
 * when nothing is configured.
 */
export const DecisionThresholdsSchema = z.object({
  /** Below this rule quality (see ruleQuality) the invoice goes to review. */
  minRuleQuality: z.number().min(0).max(1).default(0.6),
  /** Below this model quality probability the invoice goes to review. */
  minModelQuality: z.number().min(0).max(1).default(0.5),
  /** Above this failure-risk probability the invoice goes to review. */
  maxFailureRisk: z.number().min(0).max(1).default(0.5),
  /** Above this anomaly score the invoice goes to review. */
  maxAnomaly: z.number().min(0).max(1).default(0.8),
  /** A key field read with less confidence than this goes to review. */
  minKeyFieldConfidence: z.number().min(0).max(1).default(0.5),
  /** Fields whose confidence is checked (features `conf_<field>`). */
  keyFields: z.array(z.string()).default(['invoice_id', 'invoice_date', 'supplier_name', 'total_amount']),
  /** Failed validations that reject outright; every other failed error sends the invoice to review. */
  rejectCodes: z.array(z.string()).default([ValidationCodes.dupContentHash, ValidationCodes.dupBusinessKey]),
  /** What a failed warning does (duplicate warnings always ask for review). */
  warningEffect: z.enum(['REVIEW', 'INFO']).default('REVIEW'),
});
export type DecisionThresholds = z.output<typeof DecisionThresholdsSchema>;
export type DecisionThresholdsInput = z.input<typeof DecisionThresholdsSchema>;

export const DEFAULT_DECISION_THRESHOLDS: DecisionThresholds = DecisionThresholdsSchema.parse({});

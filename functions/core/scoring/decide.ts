import type { ModelScores } from '../ports.js';
import { ValidationGroups } from '../validation/codes.js';
import type { ValidationResult } from '../validation/result.js';
import type { Decision, DecisionRecord, Reason } from './decision.js';
import { ruleQuality } from './rule-quality.js';
import { DecisionThresholdsSchema, type DecisionThresholdsInput } from './thresholds.js';

export { ruleQuality, RULE_QUALITY_WEIGHTS } from './rule-quality.js';
export { DecisionThresholdsSchema, DEFAULT_DECISION_THRESHOLDS, type DecisionThresholds, type DecisionThresholdsInput } from './thresholds.js';

export interface DecisionInput {
  /** The feature vector (see features/schema.ts); NaN = missing. */
  features: Record<string, number>;
  validations: ValidationResult[];
  /** Model outputs; null when no production model is installed. */
  scores: ModelScores | null;
  /** name -> version of the models behind `scores`. */
  modelVersions?: Record<string, string> | undefined;
  thresholds?: DecisionThresholdsInput | undefined;
}

/**
 * APPROVE / REVIEW / REJECT with the reasons behind it. Any reason with effect REJECT rejects (by default: an
 * exact or business duplicate); else any REVIEW reason sends the invoice to review (other failed errors and
 * warnings, near duplicates, low rule or model quality, high failure risk or anomaly, a key field read with low
 * confidence); else it is approved. Without models the decision rests on validations and rule quality alone
 * (`basis: 'rules'`, reason NO_MODELS). Pure; throws only a ZodError for invalid `thresholds`.
 */
export function decide(input: DecisionInput): DecisionRecord {
  const t = DecisionThresholdsSchema.parse(input.thresholds ?? {});
  const reasons: Reason[] = [];
  const rejectCodes = new Set(t.rejectCodes);

  for (const v of input.validations) {
    if (v.passed) continue;
    const duplicate = v.code.startsWith(ValidationGroups.duplicates);
    const effect: Reason['effect'] = rejectCodes.has(v.code)
      ? 'REJECT'
      : v.severity === 'error' || duplicate
        ? 'REVIEW'
        : v.severity === 'warning'
          ? t.warningEffect
          : 'INFO';
    reasons.push({ code: v.code, kind: duplicate ? 'duplicate' : 'validation', effect, message: v.message });
  }

  const rq = ruleQuality(input.features);
  if (rq < t.minRuleQuality) {
    reasons.push({ code: 'LOW_RULE_QUALITY', kind: 'quality', effect: 'REVIEW', message: 'rule-based extraction quality below threshold', value: round(rq), threshold: t.minRuleQuality });
  }

  for (const field of t.keyFields) {
    const c = input.features[`conf_${field}`];
    if (c !== undefined && Number.isFinite(c) && c < t.minKeyFieldConfidence) {
      reasons.push({ code: 'LOW_FIELD_CONFIDENCE', kind: 'quality', effect: 'REVIEW', message: `${field} read with low confidence`, value: round(c), threshold: t.minKeyFieldConfidence });
    }
  }

  const s = input.scores;
  const quality = score(s?.quality);
  const failureRisk = score(s?.failureRisk);
  const anomaly = score(s?.anomaly);
  if (s === null) {
    reasons.push({ code: 'NO_MODELS', kind: 'policy', effect: 'INFO', message: 'no production models: decided on validations and rule-based quality alone' });
  } else {
    if (quality === null) reasons.push(unavailable('quality'));
    else if (quality < t.minModelQuality) {
      reasons.push({ code: 'LOW_MODEL_QUALITY', kind: 'quality', effect: 'REVIEW', message: 'model extraction quality below threshold', value: round(quality), threshold: t.minModelQuality });
    }
    if (failureRisk === null) reasons.push(unavailable('failureRisk'));
    else if (failureRisk > t.maxFailureRisk) {
      reasons.push({ code: 'HIGH_FAILURE_RISK', kind: 'risk', effect: 'REVIEW', message: 'predicted failure risk above threshold', value: round(failureRisk), threshold: t.maxFailureRisk });
    }
    if (anomaly === null) reasons.push(unavailable('anomaly'));
    else if (anomaly > t.maxAnomaly) {
      const unusual = (s.explanations.anomaly ?? []).filter((c) => c.contribution > 0).slice(0, 2).map((c) => c.feature);
      const message = unusual.length > 0 ? `anomaly score above threshold (most unusual: ${unusual.join(', ')})` : 'anomaly score above threshold';
      reasons.push({ code: 'HIGH_ANOMALY', kind: 'anomaly', effect: 'REVIEW', message, value: round(anomaly), threshold: t.maxAnomaly });
    }
  }

  const decision: Decision = reasons.some((r) => r.effect === 'REJECT')
    ? 'REJECT'
    : reasons.some((r) => r.effect === 'REVIEW')
      ? 'REVIEW'
      : 'APPROVE';
  if (decision === 'APPROVE') {
    reasons.push({ code: 'ALL_CHECKS_PASSED', kind: 'policy', effect: 'INFO', message: 'no validation failure, duplicate or quality concern' });
  }

  return {
    decision,
    reasons,
    scores: { quality, failureRisk, anomaly, ruleQuality: round(rq) },
    basis: s === null ? 'rules' : 'models+rules',
    modelVersions: { ...(input.modelVersions ?? {}) },
    explanations: s?.explanations ?? {},
  };
}

/** A model probability as stored: clamped to 0..1 (float noise), null when absent or not a number. */
function score(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : Math.min(1, Math.max(0, x));
}

function unavailable(which: string): Reason {
  return { code: 'MODEL_SCORE_UNAVAILABLE', kind: 'model', effect: 'INFO', message: `no ${which} model: that score was not used` };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

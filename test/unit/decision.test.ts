import { describe, expect, it } from 'vitest';
import type { ModelScores } from '../../functions/core/ports.js';
import { decide, DecisionThresholdsSchema, ruleQuality, type DecisionInput } from '../../functions/core/scoring/decide.js';
import { DecisionRecordSchema } from '../../functions/core/scoring/decision.js';
import type { ValidationResult } from '../../functions/core/validation/result.js';

const CLEAN_FEATURES: Record<string, number> = {
  ocr_conf_mean: 0.95,
  ocr_low_conf_share: 0.02,
  img_quality_min: 0.9,
  key_fields_present_share: 1,
  key_fields_conf_mean: 0.92,
  conf_invoice_id: 0.9,
  conf_invoice_date: 0.9,
  conf_supplier_name: 0.95,
  conf_total_amount: 0.93,
};

const ok = (code: string, severity: ValidationResult['severity'] = 'error'): ValidationResult => ({ code, severity, passed: true, message: 'fine', fields: [], details: {} });
const fail = (code: string, severity: ValidationResult['severity']): ValidationResult => ({ code, severity, passed: false, message: `${code} failed`, fields: [], details: {} });
const CLEAN_VALIDATIONS = [ok('REQUIRED_FIELDS'), ok('ARITH_NET_TAX_TOTAL'), ok('DUP_CONTENT_HASH'), ok('DUP_NEAR', 'warning')];

const scores = (quality: number | null, failureRisk: number | null, anomaly: number | null): ModelScores => ({
  quality, failureRisk, anomaly, explanations: { quality: [{ feature: 'ocr_conf_mean', value: 0.95, contribution: 0.3 }] },
});

function input(over: Partial<DecisionInput> = {}): DecisionInput {
  return { features: CLEAN_FEATURES, validations: CLEAN_VALIDATIONS, scores: null, ...over };
}

describe('decide', () => {
  type Case = [name: string, input: DecisionInput, decision: 'APPROVE' | 'REVIEW' | 'REJECT', codes: string[]];
  const cases: Case[] = [
    ['clean, no models', input(), 'APPROVE', ['NO_MODELS', 'ALL_CHECKS_PASSED']],
    ['clean, models confident', input({ scores: scores(0.9, 0.1, 0.2) }), 'APPROVE', ['ALL_CHECKS_PASSED']],
    ['arithmetic error', input({ validations: [...CLEAN_VALIDATIONS, fail('ARITH_NET_TAX_TOTAL', 'error')] }), 'REVIEW', ['ARITH_NET_TAX_TOTAL', 'NO_MODELS']],
    ['a warning', input({ validations: [fail('DATE_PLAUSIBLE', 'warning')] }), 'REVIEW', ['DATE_PLAUSIBLE', 'NO_MODELS']],
    ['exact duplicate', input({ validations: [fail('DUP_CONTENT_HASH', 'error')] }), 'REJECT', ['DUP_CONTENT_HASH', 'NO_MODELS']],
    ['business duplicate beats review reasons', input({ validations: [fail('DUP_BUSINESS_KEY', 'error'), fail('ARITH_LINES_NET', 'warning')] }), 'REJECT', ['DUP_BUSINESS_KEY', 'ARITH_LINES_NET', 'NO_MODELS']],
    ['near duplicate', input({ validations: [fail('DUP_NEAR', 'warning')] }), 'REVIEW', ['DUP_NEAR', 'NO_MODELS']],
    ['low rule quality', input({ features: { ...CLEAN_FEATURES, ocr_conf_mean: 0.4, ocr_low_conf_share: 0.6, img_quality_min: 0.2, key_fields_present_share: 0.4, key_fields_conf_mean: 0.5 } }), 'REVIEW', ['LOW_RULE_QUALITY', 'NO_MODELS']],
    ['low model quality', input({ scores: scores(0.3, 0.1, 0.1) }), 'REVIEW', ['LOW_MODEL_QUALITY']],
    ['high failure risk', input({ scores: scores(0.9, 0.8, 0.1) }), 'REVIEW', ['HIGH_FAILURE_RISK']],
    ['high anomaly', input({ scores: scores(0.9, 0.1, 0.95) }), 'REVIEW', ['HIGH_ANOMALY']],
    ['low key-field confidence', input({ features: { ...CLEAN_FEATURES, conf_total_amount: 0.3 } }), 'REVIEW', ['LOW_FIELD_CONFIDENCE', 'NO_MODELS']],
    ['partial models', input({ scores: scores(0.9, null, null) }), 'APPROVE', ['MODEL_SCORE_UNAVAILABLE', 'MODEL_SCORE_UNAVAILABLE', 'ALL_CHECKS_PASSED']],
    ['warnings as info by policy', input({ validations: [fail('ARITH_LINES_NET', 'warning')], thresholds: { warningEffect: 'INFO' } }), 'APPROVE', ['ARITH_LINES_NET', 'NO_MODELS', 'ALL_CHECKS_PASSED']],
    ['near duplicates review even when warnings are info', input({ validations: [fail('DUP_NEAR', 'warning')], thresholds: { warningEffect: 'INFO' } }), 'REVIEW', ['DUP_NEAR', 'NO_MODELS']],
    ['configured reject code', input({ validations: [fail('IBAN_CHECKSUM', 'error')], thresholds: { rejectCodes: ['IBAN_CHECKSUM'] } }), 'REJECT', ['IBAN_CHECKSUM', 'NO_MODELS']],
  ];

  it.each(cases)('%s -> %s', (_name, decisionInput, decision, codes) => {
    const record = decide(decisionInput);
    expect(record.decision).toBe(decision);
    expect(record.reasons.map((r) => r.code)).toEqual(codes);
    expect(DecisionRecordSchema.parse(record)).toEqual(record);
  });

  it('records the basis, scores, versions and explanations', () => {
    const rules = decide(input());
    expect(rules.basis).toBe('rules');
    expect(rules.scores).toMatchObject({ quality: null, failureRisk: null, anomaly: null });
    expect(rules.reasons[0]).toMatchObject({ code: 'NO_MODELS', kind: 'policy', effect: 'INFO' });
    expect(rules.modelVersions).toEqual({});

    const models = decide(input({ scores: scores(0.9, 0.2, 1.0000001), modelVersions: { quality: 'v3' } }));
    expect(models.basis).toBe('models+rules');
    expect(models.scores).toMatchObject({ quality: 0.9, failureRisk: 0.2, anomaly: 1 });
    expect(models.modelVersions).toEqual({ quality: 'v3' });
    expect(models.explanations.quality).toHaveLength(1);
    expect(models.reasons.find((r) => r.code === 'HIGH_ANOMALY')).toMatchObject({ kind: 'anomaly', effect: 'REVIEW', value: 1, threshold: 0.8 });
  });

  it('names the features that made the invoice unusual in the anomaly reason', () => {
    const s = scores(0.9, 0.1, 0.95);
    s.explanations.anomaly = [
      { feature: 'supplier_amount_z', value: 8.1, contribution: 1.2 },
      { feature: 'dup_near_count', value: 1, contribution: 0.4 },
      { feature: 'log_total', value: 3, contribution: -0.1 },
    ];
    const reason = decide(input({ scores: s })).reasons.find((r) => r.code === 'HIGH_ANOMALY');
    expect(reason?.message).toBe('anomaly score above threshold (most unusual: supplier_amount_z, dup_near_count)');
  });

  it('takes thresholds from a zod schema with defaults', () => {
    const d = DecisionThresholdsSchema.parse({});
    expect(d).toMatchObject({ minRuleQuality: 0.6, minModelQuality: 0.5, maxFailureRisk: 0.5, maxAnomaly: 0.8, minKeyFieldConfidence: 0.5 });
    expect(decide(input({ scores: scores(0.9, 0.3, 0.1), thresholds: { maxFailureRisk: 0.2 } })).decision).toBe('REVIEW');
    expect(() => decide(input({ thresholds: { maxAnomaly: 2 } }))).toThrow();
  });
});

describe('ruleQuality', () => {
  it('is the weighted mean of the available components', () => {
    // ocr = (0.95 + 0.98) / 2 = 0.965; image 0.9; presence 1; confidence 0.92
    expect(ruleQuality(CLEAN_FEATURES)).toBeCloseTo(0.3 * 0.965 + 0.2 * 0.9 + 0.3 * 1 + 0.2 * 0.92, 10);
  });
  it('drops missing components instead of counting them as 0', () => {
    const textLayer = { ...CLEAN_FEATURES, img_quality_min: Number.NaN };
    expect(ruleQuality(textLayer)).toBeCloseTo((0.3 * 0.965 + 0.3 * 1 + 0.2 * 0.92) / 0.8, 10);
    expect(ruleQuality({ key_fields_present_share: 1, key_fields_conf_mean: 1 })).toBe(1);
  });
  it('is 0 with nothing extracted and stays in 0..1', () => {
    expect(ruleQuality({})).toBe(0);
    expect(ruleQuality({ key_fields_present_share: 0, key_fields_conf_mean: Number.NaN })).toBe(0);
    expect(ruleQuality({ ocr_conf_mean: 7, key_fields_present_share: -3 })).toBeGreaterThanOrEqual(0);
    expect(ruleQuality({ ocr_conf_mean: 7, key_fields_present_share: 9 })).toBeLessThanOrEqual(1);
  });
});

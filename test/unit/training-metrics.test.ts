import { describe, expect, it } from 'vitest';
import { calibrate, calibrateAll, CalibratorSchema, fitIsotonic, fitPlatt } from '../../functions/core/training/calibration.js';
import { sigmoid } from '../../functions/core/training/matrix.js';
import {
  averagePrecision,
  bestF1Threshold,
  classificationReport,
  confusionMatrix,
  expectedCalibrationError,
  precisionRecallF1,
  rocAuc,
} from '../../functions/core/training/metrics.js';
import { createRng } from '../../functions/core/training/random.js';

describe('metrics', () => {
  // scikit-learn's documented example: roc_auc_score = 0.75, average_precision_score = 0.8333...
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];

  it('matches scikit-learn on its documented example', () => {
    expect(rocAuc(y, s)).toBeCloseTo(0.75, 12);
    expect(averagePrecision(y, s)).toBeCloseTo(0.8333333333, 9);
  });

  it('handles ties and single-class input', () => {
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(averagePrecision([0, 0], [0.2, 0.3])).toBeNaN();
  });

  it('counts a confusion matrix at a threshold and derives precision, recall, F1', () => {
    const cm = confusionMatrix([1, 1, 1, 0, 0, 0], [0.9, 0.6, 0.2, 0.7, 0.1, 0.5], 0.5);
    expect(cm).toEqual({ tp: 2, fn: 1, fp: 2, tn: 1 });
    const r = precisionRecallF1(cm);
    expect(r.precision).toBeCloseTo(0.5, 12);
    expect(r.recall).toBeCloseTo(2 / 3, 12);
    expect(r.f1).toBeCloseTo(4 / 7, 12);
    expect(precisionRecallF1({ tp: 0, fp: 0, tn: 3, fn: 0 })).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('finds the best-F1 threshold', () => {
    const best = bestF1Threshold([1, 1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.2, 0.1]);
    expect(best.threshold).toBe(0.6);
    expect(best.f1).toBeCloseTo(6 / 7, 12);
  });

  it('computes expected calibration error over 10 bins', () => {
    expect(expectedCalibrationError([1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25])).toBeCloseTo(0, 12);
    expect(expectedCalibrationError([0, 0], [0.9, 0.9])).toBeCloseTo(0.9, 12);
    // Two bins: |0.15 - 0| * 1/2 + |0.95 - 1| * 1/2.
    expect(expectedCalibrationError([0, 1], [0.15, 0.95])).toBeCloseTo(0.1, 12);
    expect(() => expectedCalibrationError([0], [0.1, 0.2])).toThrow(RangeError);
  });

  it('bundles everything in a report', () => {
    const report = classificationReport(y, s, 0.5);
    expect(report.rocAuc).toBeCloseTo(0.75, 12);
    expect(report.confusion).toEqual({ tp: 1, fn: 1, fp: 0, tn: 2 });
    expect(report.positives).toBe(2);
  });
});

describe('calibration', () => {
  const rng = createRng(4);
  const raw: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 4000; i++) {
    const logit = rng.normal() * 1.5;
    raw.push(sigmoid(logit));
    labels.push(rng.next() < sigmoid(2 * logit + 0.5) ? 1 : 0);
  }

  it('Platt scaling recovers the sigmoid that generated the labels and lowers the calibration error', () => {
    const cal = fitPlatt(raw, labels);
    if (cal.kind !== 'platt') throw new Error('expected platt');
    expect(cal.a).toBeCloseTo(2, 0);
    expect(Math.abs(cal.a - 2)).toBeLessThan(0.25);
    expect(Math.abs(cal.b - 0.5)).toBeLessThan(0.2);
    expect(expectedCalibrationError(labels, calibrateAll(cal, raw))).toBeLessThan(expectedCalibrationError(labels, raw) / 2);
  });

  it('isotonic regression pools adjacent violators into a monotone step function', () => {
    const cal = fitIsotonic([1, 2, 3, 4, 5], [1, 0, 1, 0, 1]);
    expect(cal).toEqual({ kind: 'isotonic', x: [1, 4, 5], y: [0.5, 0.5, 1] });
    expect(calibrate(cal, 2.5)).toBe(0.5);
    expect(calibrate(cal, 4.5)).toBeCloseTo(0.75, 12);
    expect(calibrate(cal, 0)).toBe(0.5);
    expect(calibrate(cal, 9)).toBe(1);
    const fitted = fitIsotonic(raw, labels);
    const out = calibrateAll(fitted, [...raw].sort((a, b) => a - b));
    for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThanOrEqual(out[i - 1]!);
    expect(expectedCalibrationError(labels, calibrateAll(fitted, raw))).toBeLessThan(0.02);
  });

  it('serializes calibrators as validated JSON', () => {
    const cal = fitPlatt(raw.slice(0, 200), labels.slice(0, 200));
    expect(CalibratorSchema.parse(JSON.parse(JSON.stringify(cal)))).toEqual(cal);
    expect(() => CalibratorSchema.parse({ kind: 'isotonic', x: [] })).toThrow();
    expect(() => fitPlatt([], [])).toThrow(RangeError);
  });
});

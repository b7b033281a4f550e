import { describe, expect, it } from 'vitest';
import { PerformanceConfigSchema } from '../../functions/core/monitoring/config.js';
import { estimatedMetrics, performanceOf, realizedMetrics, sharesOf } from '../../functions/core/monitoring/performance.js';
import type { PredictionLogEntry } from '../../functions/core/learning/prediction-log.js';
import type { ReviewLabel } from '../../functions/core/learning/review-labels.js';
import { createRng } from '../../functions/core/training/random.js';

/** Calibrated probabilities (a mix of confident and unsure rows) and labels drawn from them: calibration holds by construction. */
function calibratedWindow(n: number, seed: number, shift = 0) {
  const rng = createRng(seed);
  const p = Float64Array.from({ length: n }, () => {
    const u = rng.next();
    return Math.min(0.999, Math.max(0.001, u < 0.6 ? 0.75 + 0.25 * rng.next() - shift : 0.5 * rng.next()));
  });
  const y = Float64Array.from(p, (pi) => (rng.next() < pi ? 1 : 0));
  return { p, y };
}

describe('performance: realized and estimated (CBPE)', () => {
  it('computes precision, recall and F1 from a known confusion matrix', () => {
    // tp 2, fp 1, fn 1, tn 1.
    const m = realizedMetrics([0.9, 0.8, 0.7, 0.2, 0.1], [1, 1, 0, 1, 0], 0.5);
    expect(m).toMatchObject({ rows: 5, positives: 3 });
    expect(m.precision).toBeCloseTo(2 / 3, 9);
    expect(m.recall).toBeCloseTo(2 / 3, 9);
    expect(m.f1).toBeCloseTo(2 / 3, 9);
    expect(realizedMetrics([], [], 0.5).f1).toBeNull();
  });

  it('the label-free estimate matches the realized metrics on a labelled window when the scores are calibrated', () => {
    for (const [seed, threshold] of [[1, 0.5], [2, 0.7], [3, 0.3]] as const) {
      const { p, y } = calibratedWindow(8000, seed);
      const real = realizedMetrics(p, y, threshold);
      const est = estimatedMetrics(p, threshold);
      expect(Math.abs(est.f1! - real.f1!), `seed ${seed}`).toBeLessThan(0.02);
      expect(Math.abs(est.precision! - real.precision!)).toBeLessThan(0.02);
      expect(Math.abs(est.recall! - real.recall!)).toBeLessThan(0.02);
    }
  });

  it('when calibration breaks (labels no longer follow the scores) the estimate and the realized value part: the report shows both', () => {
    const { p } = calibratedWindow(8000, 4);
    const rng = createRng(5);
    const y = Float64Array.from(p, (pi) => (rng.next() < pi * 0.5 ? 1 : 0));
    const real = realizedMetrics(p, y, 0.5);
    const est = estimatedMetrics(p, 0.5);
    expect(est.f1! - real.f1!).toBeGreaterThan(0.1);
  });

  it('joins review labels with the predictions of the revision they judged, per model version, and flags a drop', () => {
    const { p, y } = calibratedWindow(400, 6);
    const entries: PredictionLogEntry[] = [];
    const labels = new Map<string, ReviewLabel>();
    for (let i = 0; i < p.length; i++) {
      const invoiceId = `inv-${i}`;
      entries.push({
        invoiceId, revision: 1, featureSchemaVersion: 'inv-features-v1', features: { key_fields_conf_min: i % 10 === 0 ? 0.3 : 0.9 },
        scores: { quality: { raw: p[i]!, calibrated: p[i]! }, failure: { raw: 1 - p[i]!, calibrated: 1 - p[i]! } },
        modelVersions: { quality: i < 300 ? 'v2' : 'v1', failure: 'v2' }, decision: i % 20 === 0 ? 'REJECT' : 'APPROVE', basis: 'models+rules',
        slices: { language: 'en', scan: 'digital', einvoice: 'document', captureSource: 'drop' }, scoredAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      });
      // Reviewed: half of them; quality label 1 = no key field corrected.
      if (i % 2 === 0) labels.set(invoiceId, { invoiceId, revision: 1, reviewer: 'r', reviewedAt: '2026-01-02T00:00:00.000Z', decision: y[i] === 1 ? 'approve' : 'reject', corrections: y[i] === 1 ? {} : { total_amount: 1 }, modelVersions: {} });
    }
    // A label of another revision does not count.
    labels.set('inv-1', { invoiceId: 'inv-1', revision: 2, reviewer: 'r', reviewedAt: '2026-01-02T00:00:00.000Z', decision: 'approve', corrections: {}, modelVersions: {} });
    const config = PerformanceConfigSchema.parse({});
    const [quality] = performanceOf(entries, labels, { quality: { version: 'v2', threshold: 0.5, referenceF1: 0.95 } }, config);
    expect(quality!.estimated!.rows).toBe(300);
    expect(quality!.realized!.rows).toBe(150);
    expect(Math.abs(quality!.estimatedOnLabelled!.f1! - quality!.realized!.f1!)).toBeLessThan(0.08);
    // Test F1 0.95 at training, allowed drop 0.15: the window's ~0.8 is below the floor of 0.8? Both measured against it.
    const floor = 0.95 - config.maxF1Drop;
    expect(quality!.below.realized).toBe(quality!.realized!.f1! < floor);
    const [lenient] = performanceOf(entries, labels, { quality: { version: 'v2', threshold: 0.5, referenceF1: null } }, { ...config, minF1: 0.2 });
    expect(lenient!.below).toEqual({ realized: false, estimated: false });
    const [strict] = performanceOf(entries, labels, { quality: { version: 'v2', threshold: 0.5, referenceF1: null } }, { ...config, minF1: 0.99 });
    expect(strict!.below).toEqual({ realized: true, estimated: true });
    // Too few labels: no realized value, and no finding from it.
    const [few] = performanceOf(entries.slice(0, 10), labels, { quality: { version: 'v2', threshold: 0.5, referenceF1: 0.95 } }, config);
    expect(few!.realized).toBeNull();
    expect(few!.below.realized).toBe(false);
    const shares = sharesOf(entries);
    expect(shares.reject).toBeCloseTo(20 / 400, 9);
    expect(shares.lowConfidence).toBeGreaterThanOrEqual(40 / 400);
  });
});

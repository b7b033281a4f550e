import { describe, expect, it } from 'vitest';
import { chooseThreshold, sliceMetrics, splitMetrics } from '../../functions/training/evaluate.js';

describe('report metrics', () => {
  it('puts the F1-best threshold in the middle of the gap below the best cut', () => {
    // Calibrated scores on isotonic steps: positives at 1.0 and 0.8, negatives at 0.3 and 0.
    const y = [1, 1, 1, 0, 0, 0, 1, 0];
    const p = [1, 1, 0.8, 0.3, 0, 0, 0.8, 0.3];
    const t = chooseThreshold(y, p);
    expect(t).toBeCloseTo(0.55, 12);
    expect(splitMetrics(y, p, t).f1).toBe(1);
    // A threshold on a step value would read ">= 1.0"; the gap midpoint classifies the same with > and >=.
    expect(chooseThreshold([1, 0, 0], [1, 0.5, 0.5])).toBeCloseTo(0.75, 12);
    expect(chooseThreshold([0, 0], [0.2, 0.9])).toBe(0.5);
  });

  it('slices metrics by key, each at the same threshold', () => {
    const s = sliceMetrics(['en', 'de', 'en', 'de'], [1, 0, 0, 1], [0.9, 0.1, 0.2, 0.4], 0.5);
    expect(Object.keys(s)).toEqual(['de', 'en']);
    expect(s.en).toMatchObject({ rows: 2, positives: 1, f1: 1 });
    expect(s.de).toMatchObject({ rows: 2, positives: 1, recall: 0 });
  });
});

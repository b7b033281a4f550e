import { describe, expect, it } from 'vitest';
import {
  logisticContributions,
  logisticGradient,
  logisticMargin,
  logisticPredict,
  parseLogisticModel,
  trainLogistic,
} from '../../functions/core/training/logistic.js';
import { takeRows, takeValues } from '../../functions/core/training/matrix.js';
import { rocAuc } from '../../functions/core/training/metrics.js';
import { makeSyntheticBinary } from '../../functions/core/training/synthetic.js';

const data = makeSyntheticBinary({ rows: 2000, features: 6, missingRate: 0.1, seed: 21 });
const idx = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const x = takeRows(data.x, idx(0, 1500));
const y = takeValues(data.y, idx(0, 1500));

describe('trainLogistic', () => {
  it('reaches the optimum: the gradient of the regularized objective is ~0', () => {
    for (const opts of [{ l2: 1 }, { l2: 0.01, positiveWeight: 3 }]) {
      const model = trainLogistic(x, y, opts);
      expect(model.converged).toBe(true);
      const grad = logisticGradient(model, x, y, opts);
      for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-5);
      // A perturbed model has a clearly non-zero gradient, so the check above can fail.
      const off = logisticGradient({ ...model, intercept: model.intercept + 0.1 }, x, y, opts);
      expect(Math.abs(off[0]!)).toBeGreaterThan(1);
    }
  });

  it('recovers the known maximum-likelihood answer: group positive rates for one binary feature', () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 100; i++) {
      rows.push([0]);
      labels.push(i < 30 ? 1 : 0);
      rows.push([1]);
      labels.push(i < 70 ? 1 : 0);
    }
    const model = trainLogistic(rows, labels, { l2: 0 });
    const [p0, p1] = logisticPredict(model, [[0], [1]]);
    expect(p0).toBeCloseTo(0.3, 6);
    expect(p1).toBeCloseTo(0.7, 6);
  });

  it('imputes missing values with the training mean', () => {
    const model = trainLogistic(x, y);
    const withMean = model.means.slice();
    const withNaN = withMean.map((v, i) => (i === 2 ? Number.NaN : v));
    const [a, b] = logisticPredict(model, [withMean, withNaN]);
    expect(a).toBeCloseTo(b!, 12);
  });

  it('gives exact contributions that sum with the intercept to the margin', () => {
    const model = trainLogistic(x, y);
    for (let r = 0; r < 20; r++) {
      const row = x.data.subarray(r * x.cols, (r + 1) * x.cols);
      const { bias, contributions } = logisticContributions(model, row);
      expect(contributions.reduce((s, c) => s + c, bias)).toBeCloseTo(logisticMargin(model, row), 12);
    }
  });

  it('predicts held-out rows better than chance and shifts up with a positive weight', () => {
    const tx = takeRows(data.x, idx(1500, 500));
    const ty = takeValues(data.y, idx(1500, 500));
    const model = trainLogistic(x, y);
    expect(rocAuc(ty, logisticPredict(model, tx))).toBeGreaterThan(0.7);
    expect(trainLogistic(x, y, { positiveWeight: 3 }).intercept).toBeGreaterThan(model.intercept + 0.5);
  });

  it('handles a constant feature and validates models and data', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [i % 7, 5]);
    const labels = rows.map((r) => (r[0]! > 3 ? 1 : 0));
    const model = trainLogistic(rows, labels);
    expect(model.stds[1]).toBe(1);
    expect(model.coefficients[1]).toBeCloseTo(0, 12);
    expect(parseLogisticModel(JSON.parse(JSON.stringify(model)))).toEqual(model);
    expect(() => parseLogisticModel({ ...model, means: [1] })).toThrow(RangeError);
    expect(() => trainLogistic([[1]], [0.5])).toThrow(RangeError);
  });
});

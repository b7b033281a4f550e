import { describe, expect, it } from 'vitest';
import {
  averagePathLength,
  isolationContributions,
  isolationForestScore,
  isolationPathLength,
  isolationScoreFromPathLength,
  parseIsolationForest,
  trainIsolationForest,
} from '../../functions/core/training/isolation-forest.js';
import { rocAuc } from '../../functions/core/training/metrics.js';
import { createRng } from '../../functions/core/training/random.js';

const rng = createRng(9);
const inliers = Array.from({ length: 1000 }, () => [rng.normal(), rng.normal(), rng.normal(), rng.next() < 0.1 ? Number.NaN : rng.normal()]);
const outliers = Array.from({ length: 20 }, () => [6 + rng.normal(), -6 + rng.normal(), rng.normal(), 7]);

describe('isolation forest', () => {
  const model = trainIsolationForest(inliers, { nTrees: 100, seed: 1 });

  it('computes c(n) as in the paper', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 3);
    expect(isolationScoreFromPathLength(averagePathLength(256), 256)).toBeCloseTo(0.5, 12);
  });

  it('scores outliers above inliers, within 0..1', () => {
    const sIn = isolationForestScore(model, inliers);
    const sOut = isolationForestScore(model, outliers);
    for (const s of [...sIn, ...sOut]) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThan(1);
    }
    const labels = [...sIn].map(() => 0).concat([...sOut].map(() => 1));
    expect(rocAuc(labels, [...sIn, ...sOut])).toBeGreaterThan(0.98);
    expect(Math.min(...sOut)).toBeGreaterThan(0.6);
  });

  it('subsamples 256 rows per tree with float32 thresholds and leaves worth depth + c(size)', () => {
    expect(model.subsampleSize).toBe(256);
    const tree = model.trees[0]!;
    expect(tree.cover[0]).toBe(256);
    const walk = (n: number, depth: number): void => {
      if (tree.feature[n]! < 0) {
        expect(tree.value[n]).toBeCloseTo(depth + averagePathLength(tree.cover[n]!), 5);
        return;
      }
      expect(Math.fround(tree.threshold[n]!)).toBe(tree.threshold[n]);
      expect(tree.cover[tree.left[n]!]! + tree.cover[tree.right[n]!]!).toBe(tree.cover[n]);
      walk(tree.left[n]!, depth + 1);
      walk(tree.right[n]!, depth + 1);
    };
    walk(0, 0);
    expect(isolationPathLength(model, [100, 100, 100, 100])).toBeLessThan(isolationPathLength(model, [0, 0, 0, 0]));
  });

  it('is deterministic per seed and validates input', () => {
    const again = trainIsolationForest(inliers, { nTrees: 100, seed: 1 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(model));
    expect(JSON.stringify(trainIsolationForest(inliers, { nTrees: 100, seed: 2 }).trees)).not.toBe(JSON.stringify(model.trees));
    expect(parseIsolationForest(JSON.parse(JSON.stringify(model))).trees.length).toBe(100);
    expect(() => trainIsolationForest([[1]])).toThrow(RangeError);
    expect(() => isolationForestScore(model, [[1, 2]])).toThrow(RangeError);
  });

  it('splits only on the allowed features, and refuses an index outside the row', () => {
    const restricted = trainIsolationForest(inliers, { nTrees: 30, seed: 1, features: [1, 3] });
    const used = new Set(restricted.trees.flatMap((t) => t.feature.filter((f) => f >= 0)));
    expect([...used].sort()).toEqual([1, 3]);
    expect(restricted.nFeatures).toBe(4);
    expect(() => trainIsolationForest(inliers, { features: [4] })).toThrow(RangeError);
  });

  it('path contributions add up to the path length and point at the feature that makes a row unusual', () => {
    for (const row of [...inliers.slice(0, 20), ...outliers.slice(0, 5)]) {
      const { bias, contributions } = isolationContributions(model, row);
      const sum = contributions.reduce((a, b) => a + b, 0);
      expect(bias - sum).toBeCloseTo(isolationPathLength(model, row), 9);
    }
    // Ordinary in features 0, 1 and 3; far out in feature 2 only.
    const { contributions } = isolationContributions(model, [0, 0, 9, 0]);
    const top = contributions.indexOf(Math.max(...contributions));
    expect(top).toBe(2);
    expect(contributions[2]).toBeGreaterThan(0);
  });
});

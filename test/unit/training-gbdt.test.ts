import { describe, expect, it } from 'vitest';
import { applyBins, binOf, fitBinEdges, MISSING_BIN } from '../../functions/core/training/binning.js';
import { gbdtContributions, gbdtMargin, gbdtPredict, parseGbdtModel, type GbdtModel } from '../../functions/core/training/gbdt-model.js';
import { trainGbdt } from '../../functions/core/training/gbdt.js';
import { sigmoid, takeRows, takeValues, type Matrix } from '../../functions/core/training/matrix.js';
import { rocAuc } from '../../functions/core/training/metrics.js';
import { createRng } from '../../functions/core/training/random.js';
import { makeSyntheticBinary } from '../../functions/core/training/synthetic.js';
import { findLeaf } from '../../functions/core/training/tree-ensemble.js';

const data = makeSyntheticBinary({ rows: 3000, features: 8, missingRate: 0.08, seed: 11 });
const trainIdx = Array.from({ length: 2000 }, (_, i) => i);
const valIdx = Array.from({ length: 500 }, (_, i) => 2000 + i);
const testIdx = Array.from({ length: 500 }, (_, i) => 2500 + i);
const train = { x: takeRows(data.x, trainIdx), y: takeValues(data.y, trainIdx) };
const val = { x: takeRows(data.x, valIdx), y: takeValues(data.y, valIdx) };
const test = { x: takeRows(data.x, testIdx), y: takeValues(data.y, testIdx) };
const row = (m: Matrix, r: number) => m.data.subarray(r * m.cols, (r + 1) * m.cols);

function depthOf(tree: GbdtModel['trees'][number]): number {
  const walk = (n: number): number => (tree.feature[n]! < 0 ? 0 : 1 + Math.max(walk(tree.left[n]!), walk(tree.right[n]!)));
  return walk(0);
}

describe('binning', () => {
  it('uses float32 training values as strictly increasing edges and maps NaN to the missing bin', () => {
    const edges = fitBinEdges(train.x, 255);
    for (const e of edges) {
      expect(e.length).toBeLessThanOrEqual(255);
      for (let i = 1; i < e.length; i++) expect(e[i]!).toBeGreaterThan(e[i - 1]!);
    }
    const column = new Set(Array.from({ length: train.x.rows }, (_, r) => train.x.data[r * train.x.cols]));
    for (const v of edges[0]!) expect(column.has(v)).toBe(true);
    expect(binOf(Number.NaN, edges[0]!)).toBe(MISSING_BIN);
    const bins = applyBins(train.x, edges);
    for (let r = 0; r < 50; r++) {
      const v = train.x.data[r * train.x.cols]!;
      const b = bins[r * train.x.cols]!;
      if (Number.isNaN(v)) expect(b).toBe(MISSING_BIN);
      else {
        expect(v).toBeLessThanOrEqual(edges[0]![b]!);
        if (b > 0) expect(v).toBeGreaterThan(edges[0]![b - 1]!);
      }
    }
  });

  it('gives each distinct value its own bin when there are few', () => {
    const m: Matrix = { data: Float32Array.from([3, 1, 2, 1, Number.NaN, 3]), rows: 6, cols: 1 };
    expect(Array.from(fitBinEdges(m)[0]!)).toEqual([1, 2, 3]);
  });
});

describe('trainGbdt', () => {
  const { model, validationLoss } = trainGbdt(train, { nTrees: 300, learningRate: 0.1, maxLeaves: 15, maxDepth: 4, earlyStoppingRounds: 15 }, val);

  it('learns a non-linear signal with missing values', () => {
    expect(rocAuc(test.y, gbdtPredict(model, test.x))).toBeGreaterThan(0.8);
  });

  it('stops early at the best validation round', () => {
    expect(model.trees.length).toBeLessThan(300);
    expect(model.bestIteration).toBe(model.trees.length);
    const best = Math.min(...validationLoss);
    expect(validationLoss[model.bestIteration - 1]).toBe(best);
  });

  it('respects max depth and max leaves', () => {
    for (const tree of model.trees) {
      expect(depthOf(tree)).toBeLessThanOrEqual(4);
      expect(tree.feature.filter((f) => f < 0).length).toBeLessThanOrEqual(15);
    }
  });

  it('splits on float32 thresholds taken from the training features', () => {
    for (const tree of model.trees.slice(0, 5)) {
      tree.feature.forEach((f, i) => {
        if (f < 0) return;
        const t = tree.threshold[i]!;
        expect(Math.fround(t)).toBe(t);
        const values = Array.from({ length: train.x.rows }, (_, r) => train.x.data[r * train.x.cols + f]);
        expect(values).toContain(t);
      });
    }
  });

  it('path contributions plus bias equal the margin', () => {
    for (let r = 0; r < 100; r++) {
      const x = row(test.x, r);
      const { bias, contributions } = gbdtContributions(model, x);
      const sum = contributions.reduce((a, b) => a + b, bias);
      expect(sum).toBeCloseTo(gbdtMargin(model, x), 9);
    }
  });

  it('is deterministic for a seed and changes with it when subsampling', () => {
    const opts = { nTrees: 10, rowSubsample: 0.7, featureSubsample: 0.6, seed: 5 };
    const a = trainGbdt(train, opts).model;
    const b = trainGbdt(train, opts).model;
    const c = trainGbdt(train, { ...opts, seed: 6 }).model;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.trees)).not.toBe(JSON.stringify(c.trees));
  });

  it('computes the Newton leaf values from histograms (checked against a direct sum per leaf)', () => {
    const { model: one } = trainGbdt(train, { nTrees: 1, learningRate: 1, lambda: 0, maxLeaves: 8, minSamplesLeaf: 30 });
    const tree = one.trees[0]!;
    const p = sigmoid(one.baseScore);
    const sums = new Map<number, { g: number; h: number; n: number }>();
    for (let r = 0; r < train.x.rows; r++) {
      const leaf = findLeaf(tree, row(train.x, r), 'leq');
      const s = sums.get(leaf) ?? { g: 0, h: 0, n: 0 };
      s.g += p - train.y[r]!;
      s.h += p * (1 - p);
      s.n++;
      sums.set(leaf, s);
    }
    expect(sums.size).toBe(8);
    for (const [leaf, s] of sums) {
      expect(s.n).toBeGreaterThanOrEqual(30);
      expect(tree.value[leaf]!).toBeCloseTo(Math.fround(-s.g / s.h), 5);
    }
  });

  it('learns where missing values go, in either direction', () => {
    const rng = createRng(3);
    for (const missingLabel of [0, 1]) {
      const n = 1200;
      const x = new Float32Array(n);
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        if (i % 4 === 0) {
          x[i] = Number.NaN;
          y[i] = missingLabel;
        } else {
          x[i] = rng.next() * 2 - 1;
          y[i] = x[i]! > 0.3 ? 1 : 0;
        }
      }
      const { model: m } = trainGbdt({ x: { data: x, rows: n, cols: 1 }, y }, { nTrees: 30, learningRate: 0.3, minSamplesLeaf: 5 });
      const [pNaN, pLow, pHigh] = gbdtPredict(m, [[Number.NaN], [-0.5], [0.9]]);
      expect(pLow!).toBeLessThan(0.1);
      expect(pHigh!).toBeGreaterThan(0.9);
      if (missingLabel === 1) expect(pNaN!).toBeGreaterThan(0.9);
      else expect(pNaN!).toBeLessThan(0.1);
    }
  });

  it('raises predicted probabilities with a positive class weight', () => {
    const plain = trainGbdt(train, { nTrees: 20 }).model;
    const weighted = trainGbdt(train, { nTrees: 20, positiveWeight: 4 }).model;
    const mean = (p: Float64Array) => p.reduce((a, b) => a + b, 0) / p.length;
    expect(mean(gbdtPredict(weighted, test.x))).toBeGreaterThan(mean(gbdtPredict(plain, test.x)) + 0.1);
  });

  it('round-trips through JSON and rejects malformed models and data', () => {
    const again = parseGbdtModel(JSON.parse(JSON.stringify(model)));
    expect(Array.from(gbdtPredict(again, test.x))).toEqual(Array.from(gbdtPredict(model, test.x)));
    expect(() => parseGbdtModel({ ...model, trees: [{ ...model.trees[0]!, left: [] }] })).toThrow(RangeError);
    expect(() => parseGbdtModel({ kind: 'gbdt' })).toThrow();
    // Every element of a tree's arrays is checked: a string, a fractional index, a flag other than 0/1, a non-finite number.
    const tree = model.trees[0]!;
    const withNode = (key: keyof typeof tree, v: unknown) => ({ ...model, trees: [{ ...tree, [key]: [...tree[key].slice(0, -1), v] }] });
    for (const [key, v] of [['threshold', '0.5'], ['feature', 0.5], ['left', -2], ['missingLeft', 2], ['value', Number.POSITIVE_INFINITY], ['cover', null]] as const) {
      expect(() => parseGbdtModel(withNode(key, v)), `${key} ${String(v)}`).toThrow(/expected an array of/);
    }
    expect(() => trainGbdt({ x: [[1], [2]], y: [0, 2] })).toThrow(RangeError);
    expect(() => trainGbdt(train, { learningRate: -1 })).toThrow();
    expect(() => gbdtPredict(model, [[1, 2]])).toThrow(RangeError);
  });
});

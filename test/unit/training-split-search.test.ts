import { describe, expect, it } from 'vitest';
import { gbdtPredict } from '../../functions/core/training/gbdt-model.js';
import { trainGbdt, type GbdtOptions } from '../../functions/core/training/gbdt.js';
import { takeRows, takeValues } from '../../functions/core/training/matrix.js';
import { averagePrecision } from '../../functions/core/training/metrics.js';
import { gridSearch, randomSearch } from '../../functions/core/training/search.js';
import { stratifiedGroupSplit, stratifiedGroupSplitWithin } from '../../functions/core/training/split.js';
import { makeSyntheticBinary } from '../../functions/core/training/synthetic.js';

const data = makeSyntheticBinary({ rows: 3000, features: 6, groups: 120, seed: 8 });

describe('stratifiedGroupSplit', () => {
  const split = stratifiedGroupSplit(data.y, data.groups, { seed: 1 });

  it('assigns every row once and never lets a group cross splits', () => {
    const all = [...split.train, ...split.validation, ...split.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    const where = new Map<string, string>();
    for (const name of ['train', 'validation', 'test'] as const) {
      for (const r of split[name]) {
        const g = data.groups[r]!;
        expect(where.get(g) ?? name).toBe(name);
        where.set(g, name);
      }
    }
  });

  it('follows the fractions and balances the positive rate', () => {
    const rate = (rows: number[]) => rows.reduce((s, r) => s + data.y[r]!, 0) / rows.length;
    const overall = rate(Array.from({ length: 3000 }, (_, i) => i));
    expect(split.train.length / 3000).toBeGreaterThan(0.65);
    expect(split.train.length / 3000).toBeLessThan(0.75);
    for (const rows of [split.train, split.validation, split.test]) {
      expect(rows.length).toBeGreaterThan(300);
      expect(Math.abs(rate(rows) - overall)).toBeLessThan(0.03);
    }
  });

  it('is seeded', () => {
    expect(stratifiedGroupSplit(data.y, data.groups, { seed: 1 })).toEqual(split);
    expect(stratifiedGroupSplit(data.y, data.groups, { seed: 2 })).not.toEqual(split);
    expect(() => stratifiedGroupSplit([1], [])).toThrow(RangeError);
  });
});

describe('stratifiedGroupSplitWithin', () => {
  // A minority stratum of small groups (scans: many suppliers, few rows each) next to large groups: the plain
  // split lets the large groups decide where the small ones go; within strata each split keeps the stratum's share.
  const n = 3000;
  const groups = Array.from({ length: n }, (_, i) => (i < 2100 ? `big${i % 30}` : `small${i % 225}`));
  const strata = groups.map((g) => (g.startsWith('small') ? 'scan' : 'digital'));
  const y = Array.from({ length: n }, (_, i) => ((i * 7919) % 10 < (i < 2100 ? 2 : 5) ? 1 : 0));
  const fractions = { train: 0.6, validation: 0.2, test: 0.2 };

  it('keeps each stratum at its share in every split, groups whole, every row once, seeded', () => {
    const split = stratifiedGroupSplitWithin(y, groups, strata, { seed: 3, fractions });
    expect([...split.train, ...split.validation, ...split.test].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const where = new Map<string, string>();
    for (const name of ['train', 'validation', 'test'] as const) {
      for (const r of split[name]) {
        expect(where.get(groups[r]!) ?? name).toBe(name);
        where.set(groups[r]!, name);
      }
      const scans = split[name].filter((r) => strata[r] === 'scan').length / split[name].length;
      expect(Math.abs(scans - 0.3)).toBeLessThan(0.04);
    }
    expect(stratifiedGroupSplitWithin(y, groups, strata, { seed: 3, fractions })).toEqual(split);
    expect(() => stratifiedGroupSplitWithin(y, groups, strata.slice(1))).toThrow(RangeError);
  });

  it('a group whose rows disagree on the stratum follows its first row and is never cut in two', () => {
    const mixed = strata.map((s, i) => (groups[i] === 'big0' && i > 1000 ? 'scan' : s));
    const split = stratifiedGroupSplitWithin(y, groups, mixed, { seed: 3, fractions });
    const big0 = ['train', 'validation', 'test'].filter((name) => split[name as 'train'].some((r) => groups[r] === 'big0'));
    expect(big0).toHaveLength(1);
  });
});

describe('hyperparameter search', () => {
  it('grid search evaluates every combination and ranks the best first', () => {
    const seen: string[] = [];
    const result = gridSearch<{ a: number; b: string }>({ a: [1, 2, 3], b: ['x', 'y'] }, (p) => {
      seen.push(`${p.a}${p.b}`);
      return -((p.a - 2) ** 2) + (p.b === 'y' ? 1 : 0);
    });
    expect(seen).toHaveLength(6);
    expect(result.best.params).toEqual({ a: 2, b: 'y' });
    expect(() => gridSearch({ a: { min: 0, max: 1 } }, () => 0)).toThrow(RangeError);
  });

  it('random search is seeded and respects ranges', () => {
    const space = { lr: { min: 0.01, max: 0.3, log: true }, leaves: { min: 4, max: 32, int: true }, depth: [3, 4, 6] };
    const run = (seed: number) => randomSearch<{ lr: number; leaves: number; depth: number }>(space, (p) => -Math.abs(p.lr - 0.1), { trials: 20, seed });
    const a = run(3);
    expect(run(3)).toEqual(a);
    for (const { params } of a.trials) {
      expect(params.lr).toBeGreaterThanOrEqual(0.01);
      expect(params.lr).toBeLessThanOrEqual(0.3);
      expect(Number.isInteger(params.leaves)).toBe(true);
      expect([3, 4, 6]).toContain(params.depth);
    }
    expect(a.trials[0]!.score).toBeGreaterThanOrEqual(a.trials[19]!.score);
  });

  it('tunes a GBDT on a group split, scoring on validation', () => {
    const split = stratifiedGroupSplit(data.y, data.groups, { seed: 1 });
    const tr = { x: takeRows(data.x, split.train), y: takeValues(data.y, split.train) };
    const va = { x: takeRows(data.x, split.validation), y: takeValues(data.y, split.validation) };
    const result = randomSearch<GbdtOptions>(
      { learningRate: { min: 0.05, max: 0.3, log: true }, maxLeaves: [4, 8, 16] },
      (p) => averagePrecision(va.y, gbdtPredict(trainGbdt(tr, { ...p, nTrees: 15 }).model, va.x)),
      { trials: 3, seed: 1 },
    );
    expect(result.trials).toHaveLength(3);
    expect(result.best.score).toBeGreaterThan(0.5);
  });
});

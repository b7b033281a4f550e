import { describe, expect, it } from 'vitest';
import { buildBaseline, columnBaseline, baselineFromSummary } from '../../functions/core/monitoring/baseline.js';
import { DriftConfigSchema } from '../../functions/core/monitoring/config.js';
import { columnDrift, columnsOf, computeDrift, radixSortFloat32 } from '../../functions/core/monitoring/drift.js';
import { chiSquaredHomogeneity, kolmogorovTail, ksPValue, ksStatistic, jensenShannon, psi } from '../../functions/core/monitoring/stats.js';
import { createRng } from '../../functions/core/training/random.js';

const config = DriftConfigSchema.parse({});

function normals(n: number, mean: number, sd: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => mean + sd * rng.normal());
}

function categories(n: number, shares: readonly number[], seed: number, values?: readonly number[]): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => {
    let x = rng.next();
    for (let k = 0; k < shares.length; k++) {
      if ((x -= shares[k]!) < 0) return values?.[k] ?? k;
    }
    return values?.[shares.length - 1] ?? shares.length - 1;
  });
}

describe('statistics with known answers', () => {
  it('the Kolmogorov tail matches tabulated values', () => {
    // Critical values of the Kolmogorov distribution: P(K > 1.358) = 0.05, P(K > 1.628) = 0.01, P(K > 1.224) = 0.10.
    expect(kolmogorovTail(1.358)).toBeCloseTo(0.05, 3);
    expect(kolmogorovTail(1.628)).toBeCloseTo(0.01, 3);
    expect(kolmogorovTail(1.224)).toBeCloseTo(0.1, 3);
    expect(kolmogorovTail(0.5)).toBeCloseTo(0.9639, 3);
    expect(kolmogorovTail(0)).toBe(1);
  });
  it('chi-squared of a 2x2 table matches the hand computation', () => {
    // [[10, 20], [20, 10]]: expected 15 everywhere, statistic 4 * 25 / 15 = 6.667, df 1, p = 0.00982.
    const t = chiSquaredHomogeneity([10, 20], [20, 10]);
    expect(t.statistic).toBeCloseTo(6.6667, 3);
    expect(t.df).toBe(1);
    expect(t.pValue).toBeCloseTo(0.00982, 4);
    expect(chiSquaredHomogeneity([5], [7]).pValue).toBe(1);
  });
  it('Jensen-Shannon and PSI are 0 for equal distributions and grow with the shift', () => {
    expect(jensenShannon([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 9);
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(1, 9);
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBeCloseTo(0, 9);
    // (0.7 - 0.5) ln(0.7/0.5) + (0.3 - 0.5) ln(0.3/0.5) = 0.1696
    expect(psi([0.5, 0.5], [0.7, 0.3])).toBeCloseTo(0.1696, 3);
  });
  it('KS against a quantile sketch equals the exact two-sample statistic within the sketch resolution', () => {
    const ref = normals(20_000, 0, 1, 1);
    const cur = normals(500, 0.3, 1, 2).sort();
    const base = columnBaseline(ref);
    if (base.type !== 'numeric') throw new Error('numeric expected');
    const d = ksStatistic(base.quantiles, cur);
    // The exact statistic against the raw reference.
    const sortedRef = Float64Array.from(ref).sort();
    let exact = 0;
    for (let i = 0; i < cur.length; i++) {
      const x = cur[i]!;
      let lo = 0;
      let hi = sortedRef.length;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (sortedRef[m]! <= x) lo = m + 1;
        else hi = m;
      }
      exact = Math.max(exact, Math.abs((i + 1) / cur.length - lo / sortedRef.length), Math.abs(i / cur.length - lo / sortedRef.length));
    }
    expect(Math.abs(d - exact)).toBeLessThan(0.012);
    expect(ksPValue(d, 20_000, 500)).toBeLessThan(1e-3);
  });
});

describe('the fast paths', () => {
  it('the radix sort orders float32 values as the built-in sort does, negatives, zeros and infinities included', () => {
    const rng = createRng(5);
    const values = Float32Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? -0 : i % 89 === 0 ? Infinity : i % 83 === 0 ? -Infinity : (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 8 - 4)));
    const expected = Float32Array.from(values).sort();
    radixSortFloat32(values);
    expect(Array.from(values)).toEqual(Array.from(expected));
  });
  it('columns from rows: by position when the keys come in order, by name otherwise, non-numbers missing', () => {
    const cols = columnsOf([{ a: 1, b: 2 }, { b: 4, a: 3 }, { a: null, b: Number.POSITIVE_INFINITY }, { a: 5 }], ['a', 'b']);
    expect(Array.from(cols.a!)).toEqual([1, 3, Number.NaN, 5]);
    expect(Array.from(cols.b!)).toEqual([2, 4, Number.NaN, Number.NaN]);
  });
});

describe('drift by column type and sample size', () => {
  const refNumeric = columnBaseline(normals(10_000, 100, 15, 11));
  const refBinary = columnBaseline(categories(10_000, [0.7, 0.3], 12), true);

  it('no drift: same distribution, small and large samples', () => {
    const small = columnDrift('x', refNumeric, normals(300, 100, 15, 21), config);
    expect(small.method).toBe('ks');
    expect(small.drifted).toBe(false);
    expect(small.pValue!).toBeGreaterThan(0.05);
    const large = columnDrift('x', refNumeric, normals(50_000, 100, 15, 22), config);
    expect(large.method).toBe('wasserstein');
    expect(large.pValue).toBeNull();
    expect(large.statistic).toBeLessThan(0.05);
    expect(large.drifted).toBe(false);
    const cat = columnDrift('b', refBinary, categories(400, [0.7, 0.3], 23), config);
    expect(cat.method).toBe('chi-squared');
    expect(cat.drifted).toBe(false);
    const catLarge = columnDrift('b', refBinary, categories(20_000, [0.7, 0.3], 24), config);
    expect(catLarge.method).toBe('jensen-shannon');
    expect(catLarge.drifted).toBe(false);
  });

  it('shifted mean: detected by KS on a small window and by Wasserstein on a large one', () => {
    const small = columnDrift('x', refNumeric, normals(300, 106, 15, 31), config);
    expect(small.drifted).toBe(true);
    expect(small.pValue!).toBeLessThan(0.01);
    const large = columnDrift('x', refNumeric, normals(50_000, 106, 15, 32), config);
    // W1 of two normals with equal spread is the mean shift: 6 / 15 = 0.4.
    expect(large.statistic).toBeCloseTo(0.4, 1);
    expect(large.drifted).toBe(true);
    expect(large.currentMean!).toBeCloseTo(106, 0);
  });

  it('a large window with a tiny shift: the p-value would flag it, the distance does not', () => {
    const cur = normals(50_000, 101, 15, 41);
    const large = columnDrift('x', refNumeric, cur, config);
    expect(large.drifted).toBe(false);
    const asTest = columnDrift('x', refNumeric, cur, { ...config, smallSampleMax: 1_000_000 });
    expect(asTest.method).toBe('ks');
    expect(asTest.drifted).toBe(true);
  });

  it('PSI and Jensen-Shannon on numbers when configured', () => {
    const cur = normals(20_000, 110, 15, 51);
    const p = columnDrift('x', refNumeric, cur, { ...config, numericMethod: 'psi' });
    expect(p.method).toBe('psi');
    expect(p.drifted).toBe(true);
    const same = columnDrift('x', refNumeric, normals(20_000, 100, 15, 52), { ...config, numericMethod: 'jensen-shannon' });
    expect(same.method).toBe('jensen-shannon');
    expect(same.drifted).toBe(false);
  });

  it('a new category is drift, small and large, and is charted as "other"', () => {
    const withNew = categories(300, [0.6, 0.2, 0.2], 61, [0, 1, 7]);
    const small = columnDrift('b', refBinary, withNew, config);
    expect(small.drifted).toBe(true);
    expect(small.chart.labels).toContain('other');
    const large = columnDrift('b', refBinary, categories(20_000, [0.6, 0.2, 0.2], 62, [0, 1, 7]), config);
    expect(large.drifted).toBe(true);
    expect(large.chart.current.at(-1)!).toBeCloseTo(0.2, 1);
  });

  it('a feature constant in the reference: equal stays quiet, any other value drifts', () => {
    const constant = columnBaseline(new Float32Array(5000).fill(1));
    expect(constant.type).toBe('categorical');
    expect(columnDrift('c', constant, new Float32Array(200).fill(1), config).drifted).toBe(false);
    const moved = new Float32Array(200).fill(1);
    for (let i = 0; i < 40; i++) moved[i] = 0.93;
    expect(columnDrift('c', constant, moved, config).drifted).toBe(true);
    expect(columnDrift('c', constant, Float32Array.from({ length: 5000 }, (_, i) => (i % 5 === 0 ? 0.9 : 1)), config).drifted).toBe(true);
  });

  it('a float32 reference value matches the same value served as float64 (0.2 is 0.2)', () => {
    const ref = columnBaseline(Float32Array.from({ length: 1000 }, (_, i) => [0, 0.2, 0.4, 0.6, 0.8, 1][i % 6]!));
    const cur = Float32Array.from([0.2, 0.4, 0.6, 0.8, 1, 0, 0.2, 0.4, 0.6, 0.8, 1, 0].flatMap((v) => Array(20).fill(v) as number[]));
    expect(columnDrift('s', ref, cur, config).drifted).toBe(false);
  });

  it('a missing share that jumps is drift even when the present values did not move', () => {
    const cur = normals(600, 100, 15, 71);
    for (let i = 0; i < 300; i++) cur[i] = Number.NaN;
    const r = columnDrift('x', refNumeric, cur, config);
    expect(r.missing.current).toBeCloseTo(0.5, 2);
    expect(r.missing.drifted).toBe(true);
    expect(r.drifted).toBe(true);
  });

  it('the dataset verdict follows the share of drifted features; scores are judged apart', () => {
    const rows = 2000;
    const names = ['a', 'b', 'c', 'd'];
    const data = new Float32Array(rows * names.length);
    const cols = names.map((_, f) => normals(rows, f * 10, 2, 80 + f));
    for (let r = 0; r < rows; r++) for (let f = 0; f < names.length; f++) data[r * names.length + f] = cols[f]![r]!;
    const baseline = buildBaseline({ featureSchemaVersion: 'v', names, data, rows, scores: { quality: normals(rows, 0.7, 0.1, 90) } });
    const window = (shifted: number) => ({
      rows: 500,
      features: Object.fromEntries(names.map((n, f) => [n, normals(500, f * 10 + (f < shifted ? 3 : 0), 2, 100 + f)])),
      scores: { quality: normals(500, 0.7, 0.1, 110) },
    });
    const one = computeDrift(baseline, window(1), config);
    expect(one.driftedFeatures).toBe(1);
    expect(one.datasetDrifted).toBe(false);
    const two = computeDrift(baseline, window(2), config);
    expect(two.driftedShare).toBe(0.5);
    expect(two.datasetDrifted).toBe(true);
    expect(two.driftedScores).toEqual([]);
    const scoresMoved = computeDrift(baseline, { ...window(0), scores: { quality: normals(500, 0.5, 0.1, 111) } }, config);
    expect(scoresMoved.driftedScores).toEqual(['quality']);
  });

  it('a summary baseline (seed versions) still tells a shift from no shift', () => {
    const values = normals(10_000, 50, 5, 120);
    const sorted = Float64Array.from(values).sort();
    const q = (p: number) => sorted[Math.round(p * (sorted.length - 1))]!;
    const base = baselineFromSummary({
      featureSchemaVersion: 'v', rows: 10_000, binary: new Set(['flag']),
      features: [
        { name: 'x', missingShare: 0, mean: 50, std: 5, min: q(0), p01: q(0.01), p25: q(0.25), p50: q(0.5), p75: q(0.75), p99: q(0.99), max: q(1) },
        { name: 'flag', missingShare: 0, mean: 0.25, std: 0.43, min: 0, p01: 0, p25: 0, p50: 0, p75: 0, p99: 1, max: 1 },
      ],
    });
    expect(base.source).toBe('metadata-summary');
    expect(columnDrift('x', base.features.x!, normals(300, 50, 5, 121), config).drifted).toBe(false);
    expect(columnDrift('x', base.features.x!, normals(300, 53, 5, 122), config).drifted).toBe(true);
    expect(columnDrift('flag', base.features.flag!, categories(300, [0.75, 0.25], 123), config).drifted).toBe(false);
    expect(columnDrift('flag', base.features.flag!, categories(300, [0.4, 0.6], 124), config).drifted).toBe(true);
  });

  it('hostile input: empty windows, all-missing columns and infinities do not throw or drift by accident', () => {
    expect(columnDrift('x', refNumeric, new Float32Array(0), config).method).toBe('none');
    const allMissing = columnDrift('x', refNumeric, new Float32Array(100).fill(Number.NaN), config);
    expect(allMissing.method).toBe('none');
    expect(allMissing.missing.drifted).toBe(true);
    const result = computeDrift(buildBaseline({ featureSchemaVersion: 'v', names: ['a'], data: new Float32Array([1, 2, 3]), rows: 3 }), { rows: 0, features: {}, scores: {} }, config);
    expect(result.datasetDrifted).toBe(false);
  });
});

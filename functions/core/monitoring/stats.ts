/**
 * The drift statistics over a compact reference (101 quantiles, or category counts) and a current column.
 *
 * Hand-written: the two-sample Kolmogorov-Smirnov statistic against a quantile sketch, the Kolmogorov
 * distribution's tail, Wasserstein, PSI and Jensen-Shannon are a few lines each, and no npm package computes
 * them against a sketch rather than two raw samples (the stdlib KS test is one-sample against a named
 * distribution). The chi-squared tail comes from @stdlib (its regularized incomplete gamma is the careful part).
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';

/** Number of reference quantiles kept per numeric feature: 0 %, 1 %, ..., 100 %. */
export const QUANTILE_POINTS = 101;

/** Reference CDF at x from its quantile sketch, right-continuous: P(X <= x). Ties (point masses) jump. */
export function sketchCdf(q: ArrayLike<number>, x: number): number {
  const last = q.length - 1;
  if (x < q[0]!) return 0;
  if (x >= q[last]!) return 1;
  // The largest i with q[i] <= x.
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (q[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  const a = q[lo]!;
  const b = q[lo + 1]!;
  return (lo + (b > a ? (x - a) / (b - a) : 0)) / last;
}

/** Reference CDF just below x: P(X < x). */
export function sketchCdfBelow(q: ArrayLike<number>, x: number): number {
  const last = q.length - 1;
  if (x <= q[0]!) return 0;
  if (x > q[last]!) return 1;
  // The smallest i with q[i] >= x; x lies in (q[i-1], q[i]].
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (q[mid]! >= x) hi = mid;
    else lo = mid + 1;
  }
  const a = q[lo - 1]!;
  const b = q[lo]!;
  return (lo - 1 + (b > a ? (x - a) / (b - a) : 1)) / last;
}

/** Reference quantile at probability p (linear between sketch points). */
export function sketchQuantile(q: ArrayLike<number>, p: number): number {
  const pos = p * (q.length - 1);
  const i = Math.min(q.length - 2, Math.floor(pos));
  return q[i]! + (q[i + 1]! - q[i]!) * (pos - i);
}

/** Sup |F_cur - F_ref| over a sorted current sample (no NaN). Both CDFs change only at current values and ref ties, so both one-sided limits at each current value suffice. */
export function ksStatistic(q: ArrayLike<number>, sorted: ArrayLike<number>): number {
  const n = sorted.length;
  let d = 0;
  let i = 0;
  while (i < n) {
    const x = sorted[i]!;
    let j = i;
    while (j < n && sorted[j] === x) j++;
    const below = i / n;
    const atOrBelow = j / n;
    d = Math.max(d, Math.abs(below - sketchCdfBelow(q, x)), Math.abs(atOrBelow - sketchCdf(q, x)));
    i = j;
  }
  return d;
}

/** P(K > lambda) of the Kolmogorov distribution (two series, each where it converges fast). */
export function kolmogorovTail(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 1.18) {
    // P(K <= l) = sqrt(2 pi)/l * sum exp(-(2k-1)^2 pi^2 / (8 l^2))
    const c = -(Math.PI * Math.PI) / (8 * lambda * lambda);
    let s = 0;
    for (let k = 1; k <= 6; k++) s += Math.exp((2 * k - 1) ** 2 * c);
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * s));
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    s += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/** Asymptotic two-sample KS p-value (with the Stephens small-sample correction). */
export function ksPValue(d: number, n: number, m: number): number {
  const ne = (n * m) / (n + m);
  const sq = Math.sqrt(ne);
  return kolmogorovTail((sq + 0.12 + 0.11 / sq) * d);
}

/** Chi-squared test of homogeneity over a 2 x k table (reference counts, current counts). */
export function chiSquaredHomogeneity(reference: ArrayLike<number>, current: ArrayLike<number>): { statistic: number; df: number; pValue: number } {
  let nr = 0;
  let nc = 0;
  for (let i = 0; i < reference.length; i++) {
    nr += reference[i]!;
    nc += current[i]!;
  }
  const total = nr + nc;
  let stat = 0;
  let k = 0;
  for (let i = 0; i < reference.length; i++) {
    const col = reference[i]! + current[i]!;
    if (col === 0) continue;
    k++;
    const er = (col * nr) / total;
    const ec = (col * nc) / total;
    stat += (reference[i]! - er) ** 2 / er + (current[i]! - ec) ** 2 / ec;
  }
  const df = k - 1;
  if (df <= 0 || nr === 0 || nc === 0) return { statistic: 0, df: Math.max(df, 0), pValue: 1 };
  return { statistic: stat, df, pValue: Math.max(0, 1 - chisquareCdf(stat, df)) };
}

/** Wasserstein-1 between the sketch and a sorted sample: integral over p of |Q_cur(p) - Q_ref(p)| (midpoint rule, 1,000 steps). */
export function wasserstein(q: ArrayLike<number>, sorted: ArrayLike<number>): number {
  const n = sorted.length;
  const steps = 1000;
  let s = 0;
  for (let k = 0; k < steps; k++) {
    const p = (k + 0.5) / steps;
    s += Math.abs(sorted[Math.min(n - 1, Math.floor(p * n))]! - sketchQuantile(q, p));
  }
  return s / steps;
}

const EPS = 1e-4;

/** Population stability index of two distributions over the same bins (shares clamped at 1e-4, as is usual). */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const r = normalised(reference);
  const c = normalised(current);
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const a = Math.max(r[i]!, EPS);
    const b = Math.max(c[i]!, EPS);
    s += (b - a) * Math.log(b / a);
  }
  return s;
}

/** Jensen-Shannon distance (square root of the divergence, base 2: 0 same, 1 disjoint). */
export function jensenShannon(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const r = normalised(reference);
  const c = normalised(current);
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const m = (r[i]! + c[i]!) / 2;
    if (r[i]! > 0) s += 0.5 * r[i]! * Math.log2(r[i]! / m);
    if (c[i]! > 0) s += 0.5 * c[i]! * Math.log2(c[i]! / m);
  }
  return Math.sqrt(Math.max(0, Math.min(1, s)));
}

function normalised(counts: ArrayLike<number>): Float64Array {
  let t = 0;
  for (let i = 0; i < counts.length; i++) t += counts[i]!;
  const out = new Float64Array(counts.length);
  if (t > 0) for (let i = 0; i < counts.length; i++) out[i] = counts[i]! / t;
  return out;
}

/** How many of a sorted sample are <= x. */
export function countAtOrBelow(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The q-quantile of a sorted sample (linear interpolation). */
export function sampleQuantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

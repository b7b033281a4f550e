/** Small numeric helpers for feature computation. Every one returns NaN for an empty input (= missing). */

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
}

export function min(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((m, x) => (x < m ? x : m), Number.POSITIVE_INFINITY);
}

export function max(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((m, x) => (x > m ? x : m), Number.NEGATIVE_INFINITY);
}

/** Nearest-rank percentile (p in 0..1) on a copy; the lower neighbour, so p10 of 10 values is the smallest. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  // A typed array sorts numerically without a comparator call per pair.
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.floor(p * (sorted.length - 1))]!;
}

/** Share of values strictly below a threshold. */
export function shareBelow(xs: readonly number[], threshold: number): number {
  return xs.length === 0 ? Number.NaN : xs.filter((x) => x < threshold).length / xs.length;
}

/** a / b, NaN when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined || b === 0 ? Number.NaN : a / b;
}

/** 1 / 0 for a boolean, NaN for undefined. */
export function flag(b: boolean | undefined): number {
  return b === undefined ? Number.NaN : b ? 1 : 0;
}

const DAY_MS = 86_400_000;

/** Whole days from ISO date `from` to ISO date `to` (or a Date); NaN when either is missing or invalid. */
export function daysBetween(from: string | undefined, to: string | Date | undefined): number {
  if (from === undefined || to === undefined) return Number.NaN;
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = typeof to === 'string' ? Date.parse(`${to}T00:00:00Z`) : Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate());
  return Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.round((b - a) / DAY_MS);
}

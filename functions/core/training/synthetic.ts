/**
 * Seeded synthetic binary classification data for tests and benchmarks: gaussian features with missing values,
 * a label depending non-linearly on a few of them, and a group key (supplier) per row.
 */
import type { Matrix } from './matrix.js';
import { createRng } from './random.js';

export interface SyntheticOptions {
  rows: number;
  features: number;
  /** Share of feature values set to NaN. */
  missingRate?: number;
  /** Number of distinct group keys. */
  groups?: number;
  seed?: number;
}

export interface SyntheticData {
  x: Matrix;
  y: Uint8Array;
  groups: string[];
}

/** Deterministic for a given seed. Throws RangeError unless rows >= 1 and features >= 1. */
export function makeSyntheticBinary(options: SyntheticOptions): SyntheticData {
  const { rows, features, missingRate = 0.05, groups = 50, seed = 1 } = options;
  if (rows < 1 || features < 1) throw new RangeError('need at least one row and one feature');
  const rng = createRng(seed);
  const data = new Float32Array(rows * features);
  const y = new Uint8Array(rows);
  const keys: string[] = [];
  const groupShift = Array.from({ length: groups }, () => rng.normal() * 0.5);
  for (let r = 0; r < rows; r++) {
    const g = rng.int(groups);
    keys.push(`supplier-${g}`);
    const raw = new Float64Array(features);
    for (let f = 0; f < features; f++) raw[f] = rng.normal() + (f === 0 ? groupShift[g]! : 0);
    const a = raw[0]!;
    const b = raw[1 % features]!;
    const c = raw[2 % features]!;
    const d = raw[3 % features]!;
    const logit = 1.2 * a - 0.8 * b + 1.5 * (c > 0.5 ? 1 : 0) + 0.7 * a * b - 0.5 * d * d - 0.6;
    y[r] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    for (let f = 0; f < features; f++) data[r * features + f] = rng.next() < missingRate ? Number.NaN : raw[f]!;
  }
  return { x: { data, rows, cols: features }, y, groups: keys };
}

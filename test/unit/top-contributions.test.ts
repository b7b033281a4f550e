import { describe, expect, it } from 'vitest';
import { topContributions } from '../../functions/adapters/onnx/file-model-registry.js';
import { createRng } from '../../functions/core/training/random.js';

/** The obvious version: every feature sorted by |contribution| (stable), the first k kept. */
function naive(c: ArrayLike<number>, row: Float32Array, names: readonly string[], k: number) {
  return Array.from({ length: c.length }, (_, f) => f)
    .filter((f) => c[f] !== 0 && !Number.isNaN(row[f]!))
    .sort((a, b) => Math.abs(c[b]!) - Math.abs(c[a]!))
    .slice(0, k)
    .map((f) => ({ feature: names[f]!, value: row[f]!, contribution: Math.round(c[f]! * 1e6) / 1e6 }));
}

describe('topContributions', () => {
  it('equals a full stable sort, including ties, zeros and missing features', () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + rng.int(70);
      const names = Array.from({ length: n }, (_, i) => `f${i}`);
      // Few distinct magnitudes so that ties are common.
      const c = Float64Array.from({ length: n }, () => (rng.next() < 0.2 ? 0 : (rng.next() < 0.5 ? -1 : 1) * (1 + rng.int(6))));
      const row = Float32Array.from({ length: n }, () => (rng.next() < 0.1 ? Number.NaN : rng.next()));
      for (const k of [1, 3, 5]) expect(topContributions(c, row, names, k)).toEqual(naive(c, row, names, k));
    }
  });
});

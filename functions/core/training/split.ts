/**
 * Train/validation/test split by group (e.g. supplier): every row of a group lands in the same split, so a
 * model is never scored on suppliers it saw in training; the positive rate is balanced across splits.
 */
import { z } from 'zod';
import { createRng } from './random.js';

export const GroupSplitOptionsSchema = z.object({
  fractions: z
    .object({ train: z.number().nonnegative(), validation: z.number().nonnegative(), test: z.number().nonnegative() })
    .refine((f) => f.train + f.validation + f.test > 0, 'fractions must not all be 0')
    .default({ train: 0.7, validation: 0.15, test: 0.15 }),
  seed: z.number().int().default(42),
});
export type GroupSplitOptions = z.input<typeof GroupSplitOptionsSchema>;

export interface GroupSplit {
  train: number[];
  validation: number[];
  test: number[];
}

const SPLITS = ['train', 'validation', 'test'] as const;

/**
 * Greedy stratified group split (the idea of scikit-learn's StratifiedGroupKFold): groups are visited largest
 * first (ties in seeded random order) and each goes to the split that keeps positive and negative counts
 * closest to their targets. Returns row indices per split, ascending.
 * Throws RangeError when labels and groups differ in length; ZodError on invalid options.
 */
export function stratifiedGroupSplit(labels: ArrayLike<number>, groups: ArrayLike<string>, options: GroupSplitOptions = {}): GroupSplit {
  const { fractions, seed } = GroupSplitOptionsSchema.parse(options);
  if (labels.length !== groups.length) throw new RangeError(`${labels.length} labels for ${groups.length} group keys`);
  const byGroup = new Map<string, { rows: number[]; pos: number }>();
  let totalPos = 0;
  for (let i = 0; i < labels.length; i++) {
    const key = groups[i]!;
    let g = byGroup.get(key);
    if (!g) byGroup.set(key, (g = { rows: [], pos: 0 }));
    g.rows.push(i);
    if (labels[i] === 1) {
      g.pos++;
      totalPos++;
    }
  }
  const totalNeg = labels.length - totalPos;
  const sum = fractions.train + fractions.validation + fractions.test;
  const share = SPLITS.map((s) => fractions[s] / sum);
  const rng = createRng(seed);
  const ordered = rng.shuffle([...byGroup.values()]).sort((a, b) => b.rows.length - a.rows.length);
  const pos = [0, 0, 0];
  const neg = [0, 0, 0];
  const out: GroupSplit = { train: [], validation: [], test: [] };
  for (const g of ordered) {
    const gNeg = g.rows.length - g.pos;
    let bestSplit = 0;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let s = 0; s < 3; s++) {
      if (share[s] === 0) continue;
      let cost = 0;
      for (let t = 0; t < 3; t++) {
        const p = pos[t]! + (t === s ? g.pos : 0);
        const q = neg[t]! + (t === s ? gNeg : 0);
        cost += (p - share[t]! * totalPos) ** 2 / Math.max(totalPos, 1) ** 2 + (q - share[t]! * totalNeg) ** 2 / Math.max(totalNeg, 1) ** 2;
      }
      if (cost < bestCost) {
        bestCost = cost;
        bestSplit = s;
      }
    }
    pos[bestSplit]! += g.pos;
    neg[bestSplit]! += gNeg;
    out[SPLITS[bestSplit]!].push(...g.rows);
  }
  for (const s of SPLITS) out[s].sort((a, b) => a - b);
  return out;
}

/**
 * The same split run within each stratum (e.g. scan vs born-digital) and merged, so that every split holds each
 * stratum in its share of the data: a test split of a corpus with 28 % scans has about 28 % scans, instead of
 * whatever the largest groups leave over. A group belongs to the stratum of its first row (all its rows move
 * together, so the split stays group-disjoint). Throws RangeError when the three arrays differ in length.
 */
export function stratifiedGroupSplitWithin(
  labels: ArrayLike<number>, groups: ArrayLike<string>, strata: ArrayLike<string>, options: GroupSplitOptions = {},
): GroupSplit {
  if (strata.length !== groups.length) throw new RangeError(`${strata.length} strata for ${groups.length} group keys`);
  const stratumOfGroup = new Map<string, string>();
  for (let i = 0; i < groups.length; i++) if (!stratumOfGroup.has(groups[i]!)) stratumOfGroup.set(groups[i]!, strata[i]!);
  const byStratum = new Map<string, number[]>();
  for (let i = 0; i < groups.length; i++) {
    const s = stratumOfGroup.get(groups[i]!)!;
    let rows = byStratum.get(s);
    if (!rows) byStratum.set(s, (rows = []));
    rows.push(i);
  }
  const out: GroupSplit = { train: [], validation: [], test: [] };
  for (const [, rows] of [...byStratum].sort(([a], [b]) => a.localeCompare(b))) {
    const part = stratifiedGroupSplit(rows.map((i) => labels[i]!), rows.map((i) => groups[i]!), options);
    for (const s of SPLITS) out[s].push(...part[s].map((j) => rows[j]!));
  }
  for (const s of SPLITS) out[s].sort((a, b) => a - b);
  return out;
}

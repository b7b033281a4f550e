/**
 * Isolation forest (Liu, Ting & Zhou 2008) for anomaly scores: random axis-aligned splits isolate unusual rows
 * in fewer steps. score = 2^(-E[h(x)] / c(psi)) in 0..1 (about 0.5 = ordinary, towards 1 = anomalous).
 *
 * Each leaf stores its depth plus c(rows left in the leaf), so the average leaf value over the trees IS E[h(x)]:
 * an ONNX TreeEnsembleRegressor with aggregate AVERAGE computes it, and the score follows from
 * {@link isolationScoreFromPathLength}. Splits are `x < threshold` (ONNX BRANCH_LT) with float32 thresholds;
 * a missing value always goes right (NaN < t is false in both runtimes), so no default direction is needed.
 */
import { z } from 'zod';
import { toMatrix, type MatrixInput } from './matrix.js';
import { createRng, type Rng } from './random.js';
import type { Contributions } from './gbdt-model.js';
import { addPathContributions, checkTree, findLeaf, TreeSchema, type Tree } from './tree-ensemble.js';

export const IsolationForestOptionsSchema = z.object({
  nTrees: z.number().int().positive().default(100),
  /** Rows drawn (without replacement) per tree; the paper's default 256. */
  subsampleSize: z.number().int().min(2).default(256),
  seed: z.number().int().default(42),
  /** Column indices the trees may split on (default: all). The model still reads whole rows. */
  features: z.array(z.number().int().nonnegative()).min(1).optional(),
});
export type IsolationForestOptions = z.input<typeof IsolationForestOptionsSchema>;

export const IsolationForestModelSchema = z.object({
  kind: z.literal('isolation-forest'),
  nFeatures: z.number().int().positive(),
  /** psi: rows per tree actually used (min(subsampleSize, training rows)). */
  subsampleSize: z.number().int().positive(),
  trees: z.array(TreeSchema),
});
export type IsolationForestModel = z.infer<typeof IsolationForestModelSchema>;

/** Parses untrusted JSON; throws ZodError or RangeError when malformed. */
export function parseIsolationForest(json: unknown): IsolationForestModel {
  const m = IsolationForestModelSchema.parse(json);
  for (const t of m.trees) checkTree(t);
  return m;
}

const EULER_GAMMA = 0.5772156649015329;

/** c(n): the average path length of an unsuccessful binary-search-tree lookup among n rows. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** Maps an average path length E[h] (what the ONNX model outputs) to the 0..1 anomaly score. */
export function isolationScoreFromPathLength(meanPathLength: number, subsampleSize: number): number {
  return 2 ** (-meanPathLength / averagePathLength(subsampleSize));
}

/** Trains the forest. Throws ZodError on invalid options, RangeError on an empty matrix. Deterministic per seed. */
export function trainIsolationForest(input: MatrixInput, options: IsolationForestOptions = {}): IsolationForestModel {
  const p = IsolationForestOptionsSchema.parse(options);
  const m = toMatrix(input);
  if (m.rows < 2 || m.cols === 0) throw new RangeError('isolation forest needs at least 2 rows and 1 feature');
  const candidates = p.features ?? Array.from({ length: m.cols }, (_, i) => i);
  if (candidates.some((f) => f >= m.cols)) throw new RangeError(`feature index out of range (${m.cols} columns)`);
  const psi = Math.min(p.subsampleSize, m.rows);
  const heightLimit = Math.ceil(Math.log2(psi));
  const rng = createRng(p.seed);
  const all = Array.from({ length: m.rows }, (_, i) => i);
  const trees: Tree[] = [];
  for (let t = 0; t < p.nTrees; t++) {
    // Partial Fisher-Yates: the first psi entries are a uniform sample without replacement.
    for (let i = 0; i < psi; i++) {
      const j = i + rng.int(m.rows - i);
      const tmp = all[i]!;
      all[i] = all[j]!;
      all[j] = tmp;
    }
    trees.push(buildTree(m.data, m.cols, candidates, all.slice(0, psi), heightLimit, rng));
  }
  return { kind: 'isolation-forest', nFeatures: m.cols, subsampleSize: psi, trees };
}

function nextFloat32Up(v: number): number {
  const buf = new Float32Array([v]);
  const bits = new Int32Array(buf.buffer);
  if (v === 0) return 1.401298464324817e-45;
  bits[0]! += v > 0 ? 1 : -1;
  return buf[0]!;
}

function buildTree(data: Float32Array, nf: number, candidates: readonly number[], sample: number[], heightLimit: number, rng: Rng): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], missingLeft: [], value: [], cover: [] };
  const add = (): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(0);
    tree.right.push(0);
    tree.missingLeft.push(0);
    tree.value.push(0);
    tree.cover.push(0);
    return tree.feature.length - 1;
  };
  const grow = (rows: number[], depth: number): number => {
    const node = add();
    tree.cover[node] = rows.length;
    const split = depth < heightLimit && rows.length > 1 ? pickSplit(data, nf, candidates, rows, rng) : null;
    if (!split) {
      tree.value[node] = Math.fround(depth + averagePathLength(rows.length));
      return node;
    }
    const l: number[] = [];
    const r: number[] = [];
    for (const row of rows) (data[row * nf + split.feature]! < split.threshold ? l : r).push(row);
    tree.feature[node] = split.feature;
    tree.threshold[node] = split.threshold;
    tree.left[node] = grow(l, depth + 1);
    tree.right[node] = grow(r, depth + 1);
    tree.value[node] = (l.length * tree.value[tree.left[node]!]! + r.length * tree.value[tree.right[node]!]!) / rows.length;
    return node;
  };
  grow(sample, 0);
  return tree;
}

/** A random candidate feature with distinct non-missing values in the node and a uniform float32 threshold in (min, max]. */
function pickSplit(data: Float32Array, nf: number, candidates: readonly number[], rows: number[], rng: Rng): { feature: number; threshold: number } | null {
  const order = rng.shuffle([...candidates]);
  for (const f of order) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let missing = false;
    for (const r of rows) {
      const v = data[r * nf + f]!;
      if (Number.isNaN(v)) missing = true;
      else {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (min < max && Number.isFinite(max - min)) {
      let threshold = Math.fround(min + rng.next() * (max - min));
      if (threshold <= min) threshold = nextFloat32Up(min);
      if (threshold > max) threshold = max;
      return { feature: f, threshold };
    }
    // One value plus missing ones: splitting on "missing or not" still isolates.
    if (missing && min === max) return { feature: f, threshold: nextFloat32Up(min) };
  }
  return null;
}

/** Average path length E[h(x)] of one row over the trees. */
export function isolationPathLength(model: IsolationForestModel, row: ArrayLike<number>): number {
  let s = 0;
  for (const tree of model.trees) s += tree.value[findLeaf(tree, row, 'lt')]!;
  return s / model.trees.length;
}

/** Anomaly scores (0..1) of every row. Throws RangeError on a feature-count mismatch. */
export function isolationForestScore(model: IsolationForestModel, input: MatrixInput): Float64Array {
  const m = toMatrix(input);
  if (m.cols !== model.nFeatures) throw new RangeError(`model expects ${model.nFeatures} features, got ${m.cols}`);
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    out[r] = isolationScoreFromPathLength(isolationPathLength(model, m.data.subarray(r * m.cols, (r + 1) * m.cols)), model.subsampleSize);
  }
  return out;
}

/**
 * Path contributions to the anomaly (Saabas-style, like the GBDT's): walking each tree to the row's leaf, the
 * change in expected path length at every split is credited to the split's feature, averaged over the trees
 * and negated, so a positive contribution made the invoice more unusual (isolated it in fewer steps).
 * `bias` is the expected path length of a training row; bias - sum(contributions) = E[h(x)].
 */
export function isolationContributions(model: IsolationForestModel, row: ArrayLike<number>): Contributions {
  const contributions = new Float64Array(model.nFeatures);
  let bias = 0;
  for (const tree of model.trees) bias += addPathContributions(tree, row, 'lt', contributions, -1);
  const n = model.trees.length;
  for (let f = 0; f < contributions.length; f++) contributions[f]! /= n;
  return { bias: bias / n, contributions };
}

/**
 * Histogram gradient-boosted trees for binary classification (logistic loss).
 *
 * Hand-written because no npm library fits: ml-cart scales ~n^2 (minutes for one depth-6 tree on 10k rows),
 * ml-random-forest builds on it, and the ml-xgboost wasm build aborts on missing values and cannot export its
 * trees. The algorithm follows LightGBM/XGBoost-hist: 255 quantile bins per feature (bin 255 = missing),
 * leaf-wise growth capped by depth and leaf count, a learned default direction for missing values at every
 * split, L2 on leaf values, and the histogram subtraction trick (only the smaller child is histogrammed; the
 * larger one is parent minus smaller).
 */
import { z } from 'zod';
import { applyBins, fitBinEdges, MISSING_BIN, type BinEdges } from './binning.js';
import type { GbdtModel } from './gbdt-model.js';
import { checkBinaryLabels, sigmoid, toMatrix, type MatrixInput } from './matrix.js';
import { createRng } from './random.js';
import type { Tree } from './tree-ensemble.js';

export const GbdtOptionsSchema = z.object({
  nTrees: z.number().int().positive().default(200),
  learningRate: z.number().positive().max(1).default(0.1),
  maxDepth: z.number().int().positive().max(32).default(6),
  maxLeaves: z.number().int().min(2).default(31),
  /** Minimum training rows in a leaf. */
  minSamplesLeaf: z.number().int().positive().default(20),
  /** Minimum hessian sum in a leaf (XGBoost's min_child_weight). */
  minHessianLeaf: z.number().nonnegative().default(1e-3),
  /** L2 penalty on leaf values. */
  lambda: z.number().nonnegative().default(1),
  minSplitGain: z.number().nonnegative().default(0),
  /** Fraction of rows sampled (without replacement, per tree). */
  rowSubsample: z.number().positive().max(1).default(1),
  /** Fraction of features sampled per tree. */
  featureSubsample: z.number().positive().max(1).default(1),
  /** Weight of positive rows (class weighting for imbalanced labels). */
  positiveWeight: z.number().positive().default(1),
  /** Stop after this many rounds without a better validation log loss (needs a validation set). */
  earlyStoppingRounds: z.number().int().positive().default(20),
  maxBins: z.number().int().min(2).max(255).default(255),
  seed: z.number().int().default(42),
});
export type GbdtOptions = z.input<typeof GbdtOptionsSchema>;
type Params = z.output<typeof GbdtOptionsSchema>;

export interface LabeledData {
  x: MatrixInput;
  /** 0/1 labels. */
  y: ArrayLike<number>;
}

export interface GbdtTrainResult {
  model: GbdtModel;
  /** Validation log loss after each round (empty without a validation set). */
  validationLoss: number[];
  trainLoss: number[];
}

const BINS = 256;

interface SplitCandidate {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
  gl: number;
  hl: number;
  cl: number;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  g: number;
  h: number;
  depth: number;
  hist: Float64Array;
  split: SplitCandidate | null;
}

/** Mutable tree under construction (plus each split's bin, used to route binned rows). */
interface TreeBuilder {
  feature: number[];
  splitBin: number[];
  threshold: number[];
  left: number[];
  right: number[];
  missingLeft: (0 | 1)[];
  value: number[];
  cover: number[];
}

/**
 * Trains a binary GBDT. `validation`, when given, drives early stopping (the model keeps the best round).
 * Throws ZodError on invalid options and RangeError on malformed data (label not 0/1, shape mismatch).
 * Deterministic for a given seed.
 */
export function trainGbdt(train: LabeledData, options: GbdtOptions = {}, validation?: LabeledData): GbdtTrainResult {
  const params = GbdtOptionsSchema.parse(options);
  const x = toMatrix(train.x);
  checkBinaryLabels(train.y, x.rows);
  const n = x.rows;
  const nf = x.cols;
  if (n === 0 || nf === 0) throw new RangeError('training set is empty');
  const edges = fitBinEdges(x, params.maxBins);
  const bins = applyBins(x, edges);
  const y = Float64Array.from(train.y as ArrayLike<number>);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = y[i] === 1 ? params.positiveWeight : 1;

  let val: { bins: Uint8Array; y: Float64Array; margin: Float64Array; rows: number } | null = null;
  if (validation) {
    const vx = toMatrix(validation.x);
    if (vx.cols !== nf) throw new RangeError(`validation has ${vx.cols} features, training ${nf}`);
    checkBinaryLabels(validation.y, vx.rows);
    val = { bins: applyBins(vx, edges), y: Float64Array.from(validation.y as ArrayLike<number>), margin: new Float64Array(vx.rows), rows: vx.rows };
  }

  let sw = 0;
  let swy = 0;
  for (let i = 0; i < n; i++) {
    sw += w[i]!;
    swy += w[i]! * y[i]!;
  }
  const prior = Math.min(Math.max(swy / sw, 1e-6), 1 - 1e-6);
  const baseScore = Math.fround(Math.log(prior / (1 - prior)));
  const margin = new Float64Array(n).fill(baseScore);
  if (val) val.margin.fill(baseScore);

  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const rng = createRng(params.seed);
  const grower = new TreeGrower(bins, nf, edges, params);
  const trees: Tree[] = [];
  const trainLoss: number[] = [];
  const validationLoss: number[] = [];
  let best = { loss: Number.POSITIVE_INFINITY, round: 0 };

  for (let round = 0; round < params.nTrees; round++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i]!);
      g[i] = w[i]! * (p - y[i]!);
      h[i] = Math.max(w[i]! * p * (1 - p), 1e-16);
    }
    const rows = sampleRows(n, params.rowSubsample, rng);
    const features = sampleFeatures(nf, params.featureSubsample, rng);
    const built = grower.grow(g, h, rows, features);
    trees.push(finishTree(built));
    addTreeToMargin(built, bins, nf, n, margin);
    trainLoss.push(logLoss(y, margin, n));
    if (val) {
      addTreeToMargin(built, val.bins, nf, val.rows, val.margin);
      const loss = logLoss(val.y, val.margin, val.rows);
      validationLoss.push(loss);
      if (loss < best.loss - 1e-12) best = { loss, round };
      else if (round - best.round >= params.earlyStoppingRounds) break;
    }
  }
  const kept = val ? best.round + 1 : trees.length;
  return {
    model: { kind: 'gbdt', nFeatures: nf, baseScore, trees: trees.slice(0, kept), bestIteration: kept, params: { ...params } },
    validationLoss,
    trainLoss,
  };
}

function sampleRows(n: number, fraction: number, rng: ReturnType<typeof createRng>): Uint32Array {
  if (fraction >= 1) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const picked = new Uint32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) if (rng.next() < fraction) picked[k++] = i;
  return picked.slice(0, Math.max(k, 1));
}

function sampleFeatures(nf: number, fraction: number, rng: ReturnType<typeof createRng>): Int32Array {
  const all = Array.from({ length: nf }, (_, i) => i);
  if (fraction >= 1) return Int32Array.from(all);
  const k = Math.max(1, Math.round(nf * fraction));
  return Int32Array.from(rng.shuffle(all).slice(0, k).sort((a, b) => a - b));
}

function logLoss(y: Float64Array, margin: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const m = margin[i]!;
    // log(1 + e^m) - y m, computed stably.
    s += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - y[i]! * m;
  }
  return s / Math.max(n, 1);
}

function routeBinned(tree: TreeBuilder, bins: Uint8Array, offset: number): number {
  let node = 0;
  for (;;) {
    const f = tree.feature[node]!;
    if (f < 0) return node;
    const b = bins[offset + f]!;
    const goLeft = b === MISSING_BIN ? tree.missingLeft[node] === 1 : b <= tree.splitBin[node]!;
    node = goLeft ? tree.left[node]! : tree.right[node]!;
  }
}

function addTreeToMargin(tree: TreeBuilder, bins: Uint8Array, nf: number, rows: number, margin: Float64Array): void {
  for (let r = 0; r < rows; r++) margin[r]! += tree.value[routeBinned(tree, bins, r * nf)]!;
}

/** Fills internal nodes' expected values (cover-weighted mean of the children), children before parents. */
function finishTree(t: TreeBuilder): Tree {
  const value = t.value.slice();
  for (let i = t.feature.length - 1; i >= 0; i--) {
    if (t.feature[i]! < 0) continue;
    const l = t.left[i]!;
    const r = t.right[i]!;
    const cl = t.cover[l]!;
    const cr = t.cover[r]!;
    value[i] = (cl * value[l]! + cr * value[r]!) / Math.max(cl + cr, 1e-300);
  }
  return {
    feature: t.feature.slice(),
    threshold: t.threshold.slice(),
    left: t.left.slice(),
    right: t.right.slice(),
    missingLeft: t.missingLeft.slice(),
    value,
    cover: t.cover.slice(),
  };
}

/** Grows one tree leaf-wise; owns reusable buffers so boosting rounds do not reallocate. */
class TreeGrower {
  private readonly n: number;
  private readonly index: Uint32Array;
  private readonly histPool: Float64Array[] = [];
  private readonly histSize: number;

  constructor(
    private readonly bins: Uint8Array,
    private readonly nf: number,
    private readonly edges: BinEdges,
    private readonly params: Params,
  ) {
    this.n = bins.length / nf;
    this.index = new Uint32Array(this.n);
    // Interleaved [gradient, hessian, count] per (feature, bin).
    this.histSize = nf * BINS * 3;
  }

  private takeHist(): Float64Array {
    return this.histPool.pop() ?? new Float64Array(this.histSize);
  }

  grow(g: Float64Array, h: Float64Array, rows: Uint32Array, features: Int32Array): TreeBuilder {
    const p = this.params;
    const tree: TreeBuilder = { feature: [], splitBin: [], threshold: [], left: [], right: [], missingLeft: [], value: [], cover: [] };
    const addNode = (gs: number, hs: number): number => {
      tree.feature.push(-1);
      tree.splitBin.push(0);
      tree.threshold.push(0);
      tree.left.push(0);
      tree.right.push(0);
      tree.missingLeft.push(0);
      tree.value.push(Math.fround((-gs / (hs + p.lambda)) * p.learningRate));
      tree.cover.push(hs);
      return tree.feature.length - 1;
    };

    this.index.set(rows);
    let gs = 0;
    let hs = 0;
    for (let i = 0; i < rows.length; i++) {
      gs += g[rows[i]!]!;
      hs += h[rows[i]!]!;
    }
    const rootHist = this.takeHist();
    this.buildHist(rootHist, g, h, 0, rows.length, features);
    const root: Leaf = { node: addNode(gs, hs), start: 0, end: rows.length, g: gs, h: hs, depth: 0, hist: rootHist, split: null };
    root.split = this.findSplit(root, features);
    const leaves: Leaf[] = [root];

    while (leaves.length < p.maxLeaves) {
      let bestIdx = -1;
      for (let i = 0; i < leaves.length; i++) {
        const s = leaves[i]!.split;
        if (s && (bestIdx < 0 || s.gain > leaves[bestIdx]!.split!.gain)) bestIdx = i;
      }
      if (bestIdx < 0) break;
      const leaf = leaves[bestIdx]!;
      const split = leaf.split!;
      const mid = this.partition(leaf.start, leaf.end, split);
      const lNode = addNode(split.gl, split.hl);
      const rNode = addNode(leaf.g - split.gl, leaf.h - split.hl);
      tree.feature[leaf.node] = split.feature;
      tree.splitBin[leaf.node] = split.bin;
      tree.threshold[leaf.node] = this.edges[split.feature]![split.bin]!;
      tree.left[leaf.node] = lNode;
      tree.right[leaf.node] = rNode;
      tree.missingLeft[leaf.node] = split.missingLeft ? 1 : 0;

      const left: Leaf = { node: lNode, start: leaf.start, end: mid, g: split.gl, h: split.hl, depth: leaf.depth + 1, hist: leaf.hist, split: null };
      const right: Leaf = { node: rNode, start: mid, end: leaf.end, g: leaf.g - split.gl, h: leaf.h - split.hl, depth: leaf.depth + 1, hist: leaf.hist, split: null };
      const [small, large] = mid - leaf.start <= leaf.end - mid ? [left, right] : [right, left];
      small.hist = this.takeHist();
      this.buildHist(small.hist, g, h, small.start, small.end, features);
      // Subtraction trick: the parent's buffer becomes the larger child's histogram.
      this.subtract(large.hist, small.hist, features);
      small.split = this.findSplit(small, features);
      large.split = this.findSplit(large, features);
      leaves.splice(bestIdx, 1, left, right);
    }
    for (const leaf of leaves) this.histPool.push(leaf.hist);
    return tree;
  }

  private buildHist(hist: Float64Array, g: Float64Array, h: Float64Array, start: number, end: number, features: Int32Array): void {
    const { nf, bins, index } = this;
    const nSel = features.length;
    for (let k = 0; k < nSel; k++) hist.fill(0, features[k]! * BINS * 3, (features[k]! + 1) * BINS * 3);
    if (nSel === nf) {
      for (let i = start; i < end; i++) {
        const r = index[i]!;
        const gr = g[r]!;
        const hr = h[r]!;
        const base = r * nf;
        for (let f = 0; f < nf; f++) {
          const o = (f * BINS + bins[base + f]!) * 3;
          hist[o]! += gr;
          hist[o + 1]! += hr;
          hist[o + 2]! += 1;
        }
      }
      return;
    }
    for (let i = start; i < end; i++) {
      const r = index[i]!;
      const gr = g[r]!;
      const hr = h[r]!;
      const base = r * nf;
      for (let k = 0; k < nSel; k++) {
        const f = features[k]!;
        const o = (f * BINS + bins[base + f]!) * 3;
        hist[o]! += gr;
        hist[o + 1]! += hr;
        hist[o + 2]! += 1;
      }
    }
  }

  private subtract(target: Float64Array, minus: Float64Array, features: Int32Array): void {
    for (let k = 0; k < features.length; k++) {
      const from = features[k]! * BINS * 3;
      const to = from + BINS * 3;
      for (let o = from; o < to; o++) target[o]! -= minus[o]!;
    }
  }

  /** Moves rows going left to the front of [start, end); returns the first index of the right part. */
  private partition(start: number, end: number, split: SplitCandidate): number {
    const { index, bins, nf } = this;
    const f = split.feature;
    const bin = split.bin;
    const missingLeft = split.missingLeft;
    let i = start;
    let j = end - 1;
    for (;;) {
      while (i <= j) {
        const b = bins[index[i]! * nf + f]!;
        if (b === MISSING_BIN ? missingLeft : b <= bin) i++;
        else break;
      }
      while (i <= j) {
        const b = bins[index[j]! * nf + f]!;
        if (b === MISSING_BIN ? missingLeft : b <= bin) break;
        j--;
      }
      if (i >= j) return i;
      const tmp = index[i]!;
      index[i] = index[j]!;
      index[j] = tmp;
      i++;
      j--;
    }
  }

  private findSplit(leaf: Leaf, features: Int32Array): SplitCandidate | null {
    const p = this.params;
    const count = leaf.end - leaf.start;
    if (leaf.depth >= p.maxDepth || count < 2 * p.minSamplesLeaf) return null;
    const { hist } = leaf;
    const G = leaf.g;
    const H = leaf.h;
    const lambda = p.lambda;
    const parentScore = (G * G) / (H + lambda);
    let best: SplitCandidate | null = null;
    for (let k = 0; k < features.length; k++) {
      const f = features[k]!;
      const nBins = this.edges[f]!.length;
      if (nBins < 2) continue;
      const base = f * BINS * 3;
      const mo = base + MISSING_BIN * 3;
      const gm = hist[mo]!;
      const hm = hist[mo + 1]!;
      const cm = hist[mo + 2]!;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nBins - 1; b++) {
        const o = base + b * 3;
        // An empty bin moves nothing to the left: its candidate equals the previous one.
        if (hist[o + 2] === 0 && b > 0) continue;
        gl += hist[o]!;
        hl += hist[o + 1]!;
        cl += hist[o + 2]!;
        // Missing values to the right, then (when there are any) to the left.
        for (let side = 0; side < (cm > 0 ? 2 : 1); side++) {
          const gL = side === 0 ? gl : gl + gm;
          const hL = side === 0 ? hl : hl + hm;
          const cL = side === 0 ? cl : cl + cm;
          const cR = count - cL;
          const hR = H - hL;
          if (cL < p.minSamplesLeaf || cR < p.minSamplesLeaf || hL < p.minHessianLeaf || hR < p.minHessianLeaf) continue;
          const gR = G - gL;
          const gain = (gL * gL) / (hL + lambda) + (gR * gR) / (hR + lambda) - parentScore;
          if (gain > p.minSplitGain && gain > 1e-12 && (!best || gain > best.gain)) {
            // Without missing values in training, unseen ones follow the heavier child.
            const missingLeft = cm > 0 ? side === 1 : hL >= hR;
            best = { gain, feature: f, bin: b, missingLeft, gl: gL, hl: hL, cl: cL };
          }
        }
      }
    }
    return best;
  }
}

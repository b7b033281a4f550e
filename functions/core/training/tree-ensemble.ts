import { z } from 'zod';

/**
 * An array of finite numbers that each pass `ok`, checked in one loop: a model has tens of thousands of them,
 * and zod's per-element parsing of the production models took 90-200 ms of every process start.
 */
function numbers<T extends number = number>(ok: (v: number) => boolean, what: string) {
  return z.custom<T[]>((v) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x) && ok(x)), { message: `expected an array of ${what}` });
}
// Conditions on top of finiteness, which `numbers` checks for every element.
const finite = () => true;
const int = (min: number) => (v: number) => Number.isInteger(v) && v >= min;

/**
 * One binary decision tree in flat arrays (node 0 is the root), the shape both the TypeScript scorer and the
 * ONNX exporter walk. A leaf has feature -1. An internal node sends x left when `x <= threshold` (GBDT,
 * ONNX BRANCH_LEQ) or `x < threshold` (isolation forest, ONNX BRANCH_LT); a missing value goes left when
 * `missingLeft` is 1. Thresholds and values are float32-representable so ONNX Runtime reproduces them exactly.
 */
export const TreeSchema = z.object({
  feature: numbers(int(-1), 'feature indexes (-1 for a leaf)'),
  threshold: numbers(finite, 'numbers'),
  left: numbers(int(0), 'node indexes'),
  right: numbers(int(0), 'node indexes'),
  missingLeft: numbers<0 | 1>((v) => v === 0 || v === 1, '0 or 1'),
  /** Leaf: its output. Internal node: the cover-weighted mean of the leaves below (for path contributions). */
  value: numbers(finite, 'numbers'),
  /** Training hessian sum (GBDT) or row count (isolation forest) that reached the node. */
  cover: numbers(finite, 'numbers'),
});
export type Tree = z.infer<typeof TreeSchema>;

export type SplitRule = 'leq' | 'lt';

/** Index of the leaf reached by `row` (values are compared as float32, as ONNX Runtime does). */
export function findLeaf(tree: Tree, row: ArrayLike<number>, rule: SplitRule): number {
  let node = 0;
  const { feature, threshold, left, right, missingLeft } = tree;
  for (;;) {
    const f = feature[node]!;
    if (f < 0) return node;
    const v = Math.fround(row[f]!);
    let goLeft: boolean;
    if (Number.isNaN(v)) goLeft = missingLeft[node] === 1;
    else goLeft = rule === 'leq' ? v <= threshold[node]! : v < threshold[node]!;
    node = goLeft ? left[node]! : right[node]!;
  }
}

/**
 * Saabas-style path contributions of one tree: walking from the root to `row`'s leaf (same rule as
 * {@link findLeaf}), the change in node value at each split is added to `out[feature]`, times `sign`.
 * Returns the root value (the tree's part of the bias).
 */
export function addPathContributions(tree: Tree, row: ArrayLike<number>, rule: SplitRule, out: Float64Array, sign = 1): number {
  const { feature, threshold, left, right, missingLeft, value } = tree;
  let node = 0;
  for (;;) {
    const f = feature[node]!;
    if (f < 0) return value[0]!;
    const v = Math.fround(row[f]!);
    const goLeft = Number.isNaN(v) ? missingLeft[node] === 1 : rule === 'leq' ? v <= threshold[node]! : v < threshold[node]!;
    const child = goLeft ? left[node]! : right[node]!;
    out[f]! += sign * (value[child]! - value[node]!);
    node = child;
  }
}

/** Throws RangeError when a tree's arrays disagree in length or a child index points outside the tree. */
export function checkTree(tree: Tree): void {
  const n = tree.feature.length;
  for (const key of ['threshold', 'left', 'right', 'missingLeft', 'value', 'cover'] as const) {
    if (tree[key].length !== n) throw new RangeError(`tree.${key} has ${tree[key].length} entries, expected ${n}`);
  }
  for (let i = 0; i < n; i++) {
    if (tree.feature[i]! >= 0 && (tree.left[i]! >= n || tree.right[i]! >= n || tree.left[i]! <= i || tree.right[i]! <= i)) {
      throw new RangeError(`tree node ${i} has children outside the tree`);
    }
  }
}

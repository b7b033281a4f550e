import { z } from 'zod';
import { sigmoid, toMatrix, type MatrixInput } from './matrix.js';
import { addPathContributions, checkTree, findLeaf, TreeSchema } from './tree-ensemble.js';

/** A trained binary gradient-boosted tree ensemble (logistic loss); plain JSON, validated on load. */
export const GbdtModelSchema = z.object({
  kind: z.literal('gbdt'),
  nFeatures: z.number().int().positive(),
  /** Margin (log-odds) every prediction starts from; float32-representable. */
  baseScore: z.number(),
  trees: z.array(TreeSchema),
  /** Boosting rounds kept (early stopping truncates to the best validation round). */
  bestIteration: z.number().int().min(0),
  params: z.record(z.string(), z.unknown()).default({}),
});
export type GbdtModel = z.infer<typeof GbdtModelSchema>;

/** Parses untrusted JSON into a {@link GbdtModel}; throws ZodError or RangeError on a malformed model. */
export function parseGbdtModel(json: unknown): GbdtModel {
  const model = GbdtModelSchema.parse(json);
  for (const tree of model.trees) {
    checkTree(tree);
    for (const f of tree.feature) if (f >= model.nFeatures) throw new RangeError(`tree uses feature ${f}`);
  }
  return model;
}

/** Raw margin (log-odds) of one row: base score plus the leaf value of every tree. */
export function gbdtMargin(model: GbdtModel, row: ArrayLike<number>): number {
  let margin = model.baseScore;
  for (const tree of model.trees) margin += tree.value[findLeaf(tree, row, 'leq')]!;
  return margin;
}

/** Positive-class probabilities of every row (sigmoid of {@link gbdtMargin}). Throws on a feature-count mismatch. */
export function gbdtPredict(model: GbdtModel, input: MatrixInput): Float64Array {
  const m = toMatrix(input);
  if (m.cols !== model.nFeatures) throw new RangeError(`model expects ${model.nFeatures} features, got ${m.cols}`);
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) out[r] = sigmoid(gbdtMargin(model, m.data.subarray(r * m.cols, (r + 1) * m.cols)));
  return out;
}

export interface Contributions {
  /** Expected margin before looking at any feature (base score + every tree's root value). */
  bias: number;
  /** Per feature, in margin (log-odds) units; bias + sum(contributions) equals the margin. */
  contributions: Float64Array;
}

/**
 * Saabas-style path contributions: walking each tree from the root to the row's leaf, the change in the
 * node's expected value at every split is credited to the split's feature.
 */
export function gbdtContributions(model: GbdtModel, row: ArrayLike<number>): Contributions {
  const contributions = new Float64Array(model.nFeatures);
  let bias = model.baseScore;
  for (const tree of model.trees) bias += addPathContributions(tree, row, 'leq', contributions);
  return { bias, contributions };
}

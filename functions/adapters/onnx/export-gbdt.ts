import type { GbdtModel } from '../../core/training/gbdt-model.js';
import type { Tree } from '../../core/training/tree-ensemble.js';
import { INPUT_NAME, sha256Hex, type OnnxArtifact } from './artifact.js';
import { attr, DataType, encodeOnnxModel, type Attribute } from './onnx-proto.js';

/** The node attributes shared by TreeEnsembleClassifier and TreeEnsembleRegressor. */
export function treeNodeAttributes(trees: readonly Tree[], mode: 'BRANCH_LEQ' | 'BRANCH_LT'): {
  nodes: Attribute[];
  leaves: { treeIds: number[]; nodeIds: number[]; weights: number[] };
} {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const leaves = { treeIds: [] as number[], nodeIds: [] as number[], weights: [] as number[] };
  trees.forEach((tree, t) => {
    for (let i = 0; i < tree.feature.length; i++) {
      const leaf = tree.feature[i]! < 0;
      treeIds.push(t);
      nodeIds.push(i);
      featureIds.push(leaf ? 0 : tree.feature[i]!);
      modes.push(leaf ? 'LEAF' : mode);
      values.push(leaf ? 0 : tree.threshold[i]!);
      trueIds.push(leaf ? 0 : tree.left[i]!);
      falseIds.push(leaf ? 0 : tree.right[i]!);
      missingTrue.push(leaf ? 0 : tree.missingLeft[i]!);
      if (leaf) {
        leaves.treeIds.push(t);
        leaves.nodeIds.push(i);
        leaves.weights.push(tree.value[i]!);
      }
    }
  });
  return {
    nodes: [
      attr.ints('nodes_treeids', treeIds),
      attr.ints('nodes_nodeids', nodeIds),
      attr.ints('nodes_featureids', featureIds),
      attr.strings('nodes_modes', modes),
      attr.floats('nodes_values', values),
      attr.ints('nodes_truenodeids', trueIds),
      attr.ints('nodes_falsenodeids', falseIds),
      attr.ints('nodes_missing_value_tracks_true', missingTrue),
    ],
    leaves,
  };
}

/**
 * Exports a GBDT as one ai.onnx.ml TreeEnsembleClassifier: input `features` float[N,F]; outputs `label`
 * int64[N] and `probabilities` float[N,2] (no ZipMap: its map outputs cannot be read from Node).
 * Every leaf weighs on one class, which ONNX Runtime treats as the binary case: with post_transform LOGISTIC
 * and base_values [baseScore], probabilities = [1 - sigmoid(margin), sigmoid(margin)].
 */
export function gbdtToOnnx(model: GbdtModel, name = 'gbdt'): OnnxArtifact {
  const { nodes, leaves } = treeNodeAttributes(model.trees, 'BRANCH_LEQ');
  const bytes = encodeOnnxModel({
    name,
    docString: `LedgerX gradient-boosted trees: ${model.trees.length} trees, ${model.nFeatures} features`,
    metadata: { kind: 'gbdt', nFeatures: String(model.nFeatures) },
    inputs: [{ name: INPUT_NAME, elemType: DataType.FLOAT, shape: ['N', model.nFeatures] }],
    outputs: [
      { name: 'label', elemType: DataType.INT64, shape: ['N'] },
      { name: 'probabilities', elemType: DataType.FLOAT, shape: ['N', 2] },
    ],
    nodes: [
      {
        op_type: 'TreeEnsembleClassifier',
        domain: 'ai.onnx.ml',
        name: 'trees',
        input: [INPUT_NAME],
        output: ['label', 'probabilities'],
        attribute: [
          ...nodes,
          attr.ints('class_treeids', leaves.treeIds),
          attr.ints('class_nodeids', leaves.nodeIds),
          attr.ints('class_ids', leaves.treeIds.map(() => 0)),
          attr.floats('class_weights', leaves.weights),
          attr.ints('classlabels_int64s', [0, 1]),
          attr.floats('base_values', [model.baseScore]),
          attr.string('post_transform', 'LOGISTIC'),
        ],
      },
    ],
  });
  return { kind: 'classifier', bytes, sha256: sha256Hex(bytes), inputName: INPUT_NAME, outputName: 'probabilities', nFeatures: model.nFeatures };
}

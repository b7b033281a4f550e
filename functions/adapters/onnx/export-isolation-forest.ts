import { averagePathLength, type IsolationForestModel } from '../../core/training/isolation-forest.js';
import { INPUT_NAME, sha256Hex, type OnnxArtifact } from './artifact.js';
import { treeNodeAttributes } from './export-gbdt.js';
import { attr, DataType, encodeOnnxModel } from './onnx-proto.js';

/**
 * Exports an isolation forest. A TreeEnsembleRegressor (BRANCH_LT, aggregate AVERAGE) whose leaves hold
 * depth + c(leaf size) outputs `path_length` = E[h(x)] as float[N,1]; then Mul by -ln(2)/c(psi) and Exp give
 * `score` = 2^(-E[h(x)]/c(psi)), the anomaly score in 0..1 (the same as isolationScoreFromPathLength).
 */
export function isolationForestToOnnx(model: IsolationForestModel, name = 'isolation_forest'): OnnxArtifact {
  const { nodes, leaves } = treeNodeAttributes(model.trees, 'BRANCH_LT');
  const factor = -Math.LN2 / averagePathLength(model.subsampleSize);
  const bytes = encodeOnnxModel({
    name,
    docString: `LedgerX isolation forest: ${model.trees.length} trees, psi ${model.subsampleSize}; score = exp(path_length * -ln2 / c(psi))`,
    metadata: { kind: 'isolation-forest', nFeatures: String(model.nFeatures), subsampleSize: String(model.subsampleSize) },
    inputs: [{ name: INPUT_NAME, elemType: DataType.FLOAT, shape: ['N', model.nFeatures] }],
    outputs: [
      { name: 'score', elemType: DataType.FLOAT, shape: ['N', 1] },
      { name: 'path_length', elemType: DataType.FLOAT, shape: ['N', 1] },
    ],
    initializers: [{ name: 'neg_ln2_over_c', dims: [], values: [factor] }],
    nodes: [
      {
        op_type: 'TreeEnsembleRegressor',
        domain: 'ai.onnx.ml',
        name: 'trees',
        input: [INPUT_NAME],
        output: ['path_length'],
        attribute: [
          ...nodes,
          attr.ints('target_treeids', leaves.treeIds),
          attr.ints('target_nodeids', leaves.nodeIds),
          attr.ints('target_ids', leaves.treeIds.map(() => 0)),
          attr.floats('target_weights', leaves.weights),
          attr.int('n_targets', 1),
          attr.string('aggregate_function', 'AVERAGE'),
          attr.string('post_transform', 'NONE'),
        ],
      },
      { op_type: 'Mul', domain: '', name: 'scale', input: ['path_length', 'neg_ln2_over_c'], output: ['log_score'], attribute: [] },
      { op_type: 'Exp', domain: '', name: 'exp', input: ['log_score'], output: ['score'], attribute: [] },
    ],
  });
  return { kind: 'anomaly', bytes, sha256: sha256Hex(bytes), inputName: INPUT_NAME, outputName: 'score', nFeatures: model.nFeatures };
}

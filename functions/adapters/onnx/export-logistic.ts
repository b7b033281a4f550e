import type { LogisticModel } from '../../core/training/logistic.js';
import { INPUT_NAME, sha256Hex, type OnnxArtifact } from './artifact.js';
import { attr, DataType, encodeOnnxModel } from './onnx-proto.js';

/**
 * Exports logistic regression as Imputer (NaN -> train mean) -> Scaler ((x - mean) * 1/std) ->
 * LinearClassifier. The classifier carries two coefficient rows, [-w, -b] and [w, b], so the element-wise
 * LOGISTIC post-transform yields [1 - sigmoid(margin), sigmoid(margin)] without relying on a binary special case.
 */
export function logisticToOnnx(model: LogisticModel, name = 'logistic'): OnnxArtifact {
  const nf = model.nFeatures;
  const coefficients = [...model.coefficients.map((c) => -c), ...model.coefficients];
  const bytes = encodeOnnxModel({
    name,
    docString: `LedgerX logistic regression, ${nf} features`,
    metadata: { kind: 'logistic', nFeatures: String(nf) },
    inputs: [{ name: INPUT_NAME, elemType: DataType.FLOAT, shape: ['N', nf] }],
    outputs: [
      { name: 'label', elemType: DataType.INT64, shape: ['N'] },
      { name: 'probabilities', elemType: DataType.FLOAT, shape: ['N', 2] },
    ],
    nodes: [
      {
        op_type: 'Imputer',
        domain: 'ai.onnx.ml',
        name: 'impute',
        input: [INPUT_NAME],
        output: ['imputed'],
        attribute: [attr.floats('imputed_value_floats', model.means), attr.float('replaced_value_float', Number.NaN)],
      },
      {
        op_type: 'Scaler',
        domain: 'ai.onnx.ml',
        name: 'standardize',
        input: ['imputed'],
        output: ['scaled'],
        attribute: [attr.floats('offset', model.means), attr.floats('scale', model.stds.map((s) => Math.fround(1 / s)))],
      },
      {
        op_type: 'LinearClassifier',
        domain: 'ai.onnx.ml',
        name: 'linear',
        input: ['scaled'],
        output: ['label', 'probabilities'],
        attribute: [
          attr.floats('coefficients', coefficients),
          attr.floats('intercepts', [-model.intercept, model.intercept]),
          attr.ints('classlabels_ints', [0, 1]),
          attr.string('post_transform', 'LOGISTIC'),
        ],
      },
    ],
  });
  return { kind: 'classifier', bytes, sha256: sha256Hex(bytes), inputName: INPUT_NAME, outputName: 'probabilities', nFeatures: nf };
}

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gbdtToOnnx } from '../../functions/adapters/onnx/export-gbdt.js';
import { isolationForestToOnnx } from '../../functions/adapters/onnx/export-isolation-forest.js';
import { logisticToOnnx } from '../../functions/adapters/onnx/export-logistic.js';
import { decodeOnnxModel, IR_VERSION } from '../../functions/adapters/onnx/onnx-proto.js';
import { trainGbdt } from '../../functions/core/training/gbdt.js';
import { trainIsolationForest } from '../../functions/core/training/isolation-forest.js';
import { trainLogistic } from '../../functions/core/training/logistic.js';
import { makeSyntheticBinary } from '../../functions/core/training/synthetic.js';

type Decoded = {
  ir_version: number;
  opset_import: Array<{ domain?: string; version: number }>;
  graph: {
    node: Array<{ op_type: string; domain?: string; attribute: Array<{ name: string; s?: Uint8Array; floats?: number[]; ints?: number[] }> }>;
    input: Array<{ name: string }>;
    output: Array<{ name: string; type: { tensor_type: { elem_type: number; shape: { dim: Array<{ dim_value?: number; dim_param?: string }> } } } }>;
  };
};

const data = makeSyntheticBinary({ rows: 600, features: 5, missingRate: 0.1, seed: 2 });
const gbdt = trainGbdt({ x: data.x, y: data.y }, { nTrees: 10, maxLeaves: 8 }).model;
const decoded = (bytes: Uint8Array) => decodeOnnxModel(bytes) as unknown as Decoded;
const attribute = (d: Decoded, op: string, name: string) => d.graph.node.find((n) => n.op_type === op)!.attribute.find((a) => a.name === name);

describe('ONNX export', () => {
  it('writes a TreeEnsembleClassifier with plain tensor outputs, both opset imports and a safe IR version', () => {
    const art = gbdtToOnnx(gbdt);
    const d = decoded(art.bytes);
    expect(d.ir_version).toBe(IR_VERSION);
    expect(IR_VERSION).toBeLessThanOrEqual(9);
    const opsets = Object.fromEntries(d.opset_import.map((o) => [o.domain ?? '', o.version]));
    expect(opsets['']).toBeGreaterThan(0);
    expect(opsets['ai.onnx.ml']).toBeGreaterThanOrEqual(1);
    expect(opsets['ai.onnx.ml']).toBeLessThanOrEqual(3);
    expect(d.graph.node.map((n) => n.op_type)).toEqual(['TreeEnsembleClassifier']);
    expect(d.graph.node.some((n) => n.op_type === 'ZipMap')).toBe(false);
    expect(d.graph.output.map((o) => [o.name, o.type.tensor_type.elem_type])).toEqual([['label', 7], ['probabilities', 1]]);
    expect(d.graph.output[1]!.type.tensor_type.shape.dim[1]!.dim_value).toBe(2);
    expect(new TextDecoder().decode(attribute(d, 'TreeEnsembleClassifier', 'post_transform')!.s)).toBe('LOGISTIC');
    expect(attribute(d, 'TreeEnsembleClassifier', 'base_values')!.floats).toEqual([gbdt.baseScore]);
    const nodeCount = gbdt.trees.reduce((s, t) => s + t.feature.length, 0);
    expect(attribute(d, 'TreeEnsembleClassifier', 'nodes_nodeids')!.ints).toHaveLength(nodeCount);
    expect(attribute(d, 'TreeEnsembleClassifier', 'nodes_missing_value_tracks_true')!.ints).toHaveLength(nodeCount);
  });

  it('records the sha256 of deterministic bytes', () => {
    const a = gbdtToOnnx(gbdt);
    expect(a.sha256).toBe(createHash('sha256').update(a.bytes).digest('hex'));
    expect(gbdtToOnnx(gbdt).sha256).toBe(a.sha256);
  });

  it('chains Imputer -> Scaler -> LinearClassifier for logistic regression', () => {
    const model = trainLogistic(data.x, data.y);
    const d = decoded(logisticToOnnx(model).bytes);
    expect(d.graph.node.map((n) => `${n.domain}:${n.op_type}`)).toEqual(['ai.onnx.ml:Imputer', 'ai.onnx.ml:Scaler', 'ai.onnx.ml:LinearClassifier']);
    expect(attribute(d, 'Scaler', 'offset')!.floats).toEqual(model.means);
    expect(attribute(d, 'LinearClassifier', 'coefficients')!.floats).toHaveLength(2 * model.nFeatures);
  });

  it('maps the isolation forest to an averaging TreeEnsembleRegressor followed by Mul and Exp', () => {
    const iso = trainIsolationForest(data.x, { nTrees: 5 });
    const art = isolationForestToOnnx(iso);
    expect(art.kind).toBe('anomaly');
    const d = decoded(art.bytes);
    expect(d.graph.node.map((n) => n.op_type)).toEqual(['TreeEnsembleRegressor', 'Mul', 'Exp']);
    expect(new TextDecoder().decode(attribute(d, 'TreeEnsembleRegressor', 'aggregate_function')!.s)).toBe('AVERAGE');
    expect(d.graph.output.map((o) => o.name)).toEqual(['score', 'path_length']);
  });
});

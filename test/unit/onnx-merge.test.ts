import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gbdtToOnnx } from '../../functions/adapters/onnx/export-gbdt.js';
import { isolationForestToOnnx } from '../../functions/adapters/onnx/export-isolation-forest.js';
import { mergeOnnxModels } from '../../functions/adapters/onnx/merge-models.js';
import { decodeOnnxModel } from '../../functions/adapters/onnx/onnx-proto.js';
import { gbdtPredict } from '../../functions/core/training/gbdt-model.js';
import { trainGbdt } from '../../functions/core/training/gbdt.js';
import { isolationForestScore, trainIsolationForest } from '../../functions/core/training/isolation-forest.js';
import { takeRows, takeValues } from '../../functions/core/training/matrix.js';
import { makeSyntheticBinary } from '../../functions/core/training/synthetic.js';
import { logisticToOnnx } from '../../functions/adapters/onnx/export-logistic.js';
import { trainLogistic } from '../../functions/core/training/logistic.js';

const data = makeSyntheticBinary({ rows: 800, features: 8, missingRate: 0.1, seed: 5 });
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const train = { x: takeRows(data.x, range(0, 600)), y: takeValues(data.y, range(0, 600)) };
const test = takeRows(data.x, range(600, 200));

describe('mergeOnnxModels: one graph, one run, the same outputs', () => {
  it('two GBDTs and an isolation forest merged give each part output unchanged (1e-6)', async () => {
    const a = trainGbdt(train, { nTrees: 20, maxDepth: 3, seed: 1 }).model;
    const b = trainGbdt({ x: train.x, y: Float64Array.from(train.y, (v) => 1 - v) }, { nTrees: 15, maxDepth: 4, seed: 2 }).model;
    const f = trainIsolationForest(train.x, { nTrees: 20, subsampleSize: 64, seed: 3 });
    const merged = mergeOnnxModels([
      { name: 'quality', bytes: gbdtToOnnx(a).bytes, output: 'probabilities' },
      { name: 'failure', bytes: gbdtToOnnx(b).bytes, output: 'probabilities' },
      { name: 'anomaly', bytes: isolationForestToOnnx(f).bytes, output: 'score' },
    ]);
    expect(merged.outputs).toEqual(['quality', 'failure', 'anomaly']);
    // Renamed on the wire, everything else copied: the result is a well-formed model with prefixed parts.
    const decoded = decodeOnnxModel(merged.bytes) as { graph: { node: Array<{ name: string; input: string[] }>; output: Array<{ name: string }>; input: Array<{ name: string }> }; opset_import: Array<{ domain: string }> };
    expect(decoded.graph.output.map((o) => o.name)).toEqual(['quality', 'failure', 'anomaly']);
    expect(decoded.graph.input.map((i) => i.name)).toEqual([merged.inputName]);
    expect(decoded.graph.node.map((n) => n.name.split('__')[0])).toEqual(['quality', 'failure', 'anomaly', 'anomaly', 'anomaly']);
    expect(decoded.opset_import.map((o) => o.domain ?? '').sort()).toEqual(['', 'ai.onnx.ml']);
    const session = await ort.InferenceSession.create(merged.bytes);
    try {
      const out = await session.run({ [merged.inputName]: new ort.Tensor('float32', test.data.slice(), [test.rows, test.cols]) });
      const col1 = (t: ort.Tensor) => Array.from({ length: test.rows }, (_, r) => (t.data as Float32Array)[r * 2 + 1]!);
      const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>) => {
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-6);
      };
      expectClose(col1(out.quality!), gbdtPredict(a, test));
      expectClose(col1(out.failure!), gbdtPredict(b, test));
      expectClose(out.anomaly!.data as Float32Array, isolationForestScore(f, test));
      // The parts really differ: a merge that wired every output to one part would fail here.
      expect(col1(out.quality!)).not.toEqual(col1(out.failure!));
    } finally {
      await session.release();
    }
  });

  it('refuses parts with different inputs and a missing output', () => {
    const a = gbdtToOnnx(trainGbdt(train, { nTrees: 3, seed: 1 }).model).bytes;
    // A model over 4 features: its input shape differs from the 8-feature one.
    const cols = 4;
    const narrowX = { rows: 100, cols, data: Float32Array.from({ length: 100 * cols }, (_, i) => train.x.data[Math.floor(i / cols) * train.x.cols + (i % cols)]!) };
    const narrow = logisticToOnnx(trainLogistic(narrowX, takeValues(train.y, range(0, 100)), { l2: 1 })).bytes;
    expect(() => mergeOnnxModels([{ name: 'q', bytes: a, output: 'probabilities' }, { name: 'n', bytes: narrow, output: 'probabilities' }])).toThrow(/share one input/);
    expect(() => mergeOnnxModels([{ name: 'q', bytes: a, output: 'nope' }])).toThrow(/no output named nope/);
    expect(() => mergeOnnxModels([])).toThrow(/nothing to merge/);
  });
});

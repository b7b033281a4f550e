import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gbdtToOnnx } from '../../functions/adapters/onnx/export-gbdt.js';
import { SESSION_OPTIONS, openSyncSession } from '../../functions/adapters/onnx/sync-session.js';
import { trainGbdt } from '../../functions/core/training/gbdt.js';
import { makeSyntheticBinary } from '../../functions/core/training/synthetic.js';

const data = makeSyntheticBinary({ rows: 300, features: 6, missingRate: 0.1, seed: 9 });
const bytes = gbdtToOnnx(trainGbdt(data, { nTrees: 10, maxDepth: 3, seed: 1 }).model).bytes;

describe('openSyncSession: the native binding of onnxruntime-node, run synchronously', () => {
  it('gives exactly what the public async API gives, for one row and a batch', async () => {
    const sync = openSyncSession(bytes);
    const pub = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    try {
      expect(sync.inputNames).toEqual(pub.inputNames);
      expect(sync.outputNames).toEqual(pub.outputNames);
      for (const rows of [1, data.x.rows]) {
        const x = data.x.data.slice(0, rows * data.x.cols);
        const got = sync.run('features', x, rows, data.x.cols, ['probabilities']).probabilities!;
        const want = (await pub.run({ features: new ort.Tensor('float32', x, [rows, data.x.cols]) }, ['probabilities'])).probabilities!;
        expect(got.dims).toEqual(want.dims);
        expect(Array.from(got.data)).toEqual(Array.from(want.data as Float32Array));
      }
    } finally {
      sync.release();
      await pub.release();
    }
  });

  it('reads only its own rows from a view into a larger buffer', () => {
    const sync = openSyncSession(bytes);
    const cols = data.x.cols;
    const second = data.x.data.subarray(cols, 2 * cols);
    const a = sync.run('features', second, 1, cols, ['probabilities']).probabilities!.data[1];
    const b = sync.run('features', second.slice(), 1, cols, ['probabilities']).probabilities!.data[1];
    expect(a).toBe(b);
    sync.release();
  });

  it('refuses a size mismatch, a non-float output and use after release', () => {
    const sync = openSyncSession(bytes);
    expect(() => sync.run('features', new Float32Array(5), 1, 6, ['probabilities'])).toThrow(RangeError);
    expect(() => sync.run('features', new Float32Array(6), 1, 6, ['label'])).toThrow(/not float32/);
    expect(() => sync.run('nope', new Float32Array(6), 1, 6, ['probabilities'])).toThrow(/input is features/);
    expect(() => sync.run('features', new Float32Array(6), 1, 6, ['nope'])).toThrow(/no output named nope/);
    sync.release();
    sync.release();
    expect(() => sync.run('features', new Float32Array(6), 1, 6, ['probabilities'])).toThrow(/released/);
  });

  it('onnxruntime-node is pinned to an exact version (this module loads its internal binding)', () => {
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['onnxruntime-node']).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

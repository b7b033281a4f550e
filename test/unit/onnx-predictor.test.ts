import { describe, expect, it } from 'vitest';
import { gbdtToOnnx } from '../../functions/adapters/onnx/export-gbdt.js';
import { isolationForestToOnnx } from '../../functions/adapters/onnx/export-isolation-forest.js';
import { logisticToOnnx } from '../../functions/adapters/onnx/export-logistic.js';
import { createOnnxPredictor, createPredictorForArtifact } from '../../functions/adapters/onnx/predictor.js';
import { PermanentError } from '../../functions/core/errors.js';
import { gbdtPredict } from '../../functions/core/training/gbdt-model.js';
import { trainGbdt } from '../../functions/core/training/gbdt.js';
import { isolationForestScore, trainIsolationForest } from '../../functions/core/training/isolation-forest.js';
import { logisticPredict, trainLogistic } from '../../functions/core/training/logistic.js';
import { takeRows, takeValues, type Matrix } from '../../functions/core/training/matrix.js';
import { makeSyntheticBinary } from '../../functions/core/training/synthetic.js';

const data = makeSyntheticBinary({ rows: 2000, features: 10, missingRate: 0.1, seed: 17 });
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const train = { x: takeRows(data.x, range(0, 1200)), y: takeValues(data.y, range(0, 1200)) };
const val = { x: takeRows(data.x, range(1200, 300)), y: takeValues(data.y, range(1200, 300)) };
const heldOut = takeRows(data.x, range(1500, 500));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Held-out rows with every split feature set exactly to a threshold: the rows most likely to flip. */
function rowsOnThresholds(trees: Array<{ feature: number[]; threshold: number[] }>, base: Matrix): Matrix {
  const out = base.data.slice(0, 200 * base.cols);
  let k = 0;
  for (const tree of trees) {
    tree.feature.forEach((f, i) => {
      if (f >= 0 && k < 200) out[k++ * base.cols + f] = tree.threshold[i]!;
    });
  }
  return { data: out, rows: 200, cols: base.cols };
}

describe('ONNX serving matches the TypeScript models', () => {
  it('GBDT (subsampled, early-stopped) within 1e-5, including rows sitting on split thresholds', async () => {
    const { model } = trainGbdt(train, { nTrees: 60, rowSubsample: 0.8, featureSubsample: 0.8, maxLeaves: 16 }, val);
    const predictor = createPredictorForArtifact(gbdtToOnnx(model));
    expect(maxAbsDiff(await predictor.predict(heldOut), gbdtPredict(model, heldOut))).toBeLessThan(1e-5);
    const edge = rowsOnThresholds(model.trees, heldOut);
    expect(maxAbsDiff(await predictor.predict(edge), gbdtPredict(model, edge))).toBeLessThan(1e-5);
    await predictor.close();
  });

  it('logistic regression within 1e-5', async () => {
    const model = trainLogistic(train.x, train.y, { l2: 0.5 });
    const predictor = createPredictorForArtifact(logisticToOnnx(model));
    expect(maxAbsDiff(await predictor.predict(heldOut), logisticPredict(model, heldOut))).toBeLessThan(1e-5);
    await predictor.close();
  });

  it('isolation forest score within 1e-5, including rows on thresholds', async () => {
    const model = trainIsolationForest(train.x, { nTrees: 50 });
    const predictor = createPredictorForArtifact(isolationForestToOnnx(model));
    expect(maxAbsDiff(await predictor.predict(heldOut), isolationForestScore(model, heldOut))).toBeLessThan(1e-5);
    const edge = rowsOnThresholds(model.trees, heldOut);
    expect(maxAbsDiff(await predictor.predict(edge), isolationForestScore(model, edge))).toBeLessThan(1e-5);
    await predictor.close();
  });
});

describe('createOnnxPredictor', () => {
  const model = trainGbdt(train, { nTrees: 5 }).model;
  const artifact = gbdtToOnnx(model);

  it('creates the session lazily, reuses it, and recreates it after close()', async () => {
    let loads = 0;
    const predictor = createOnnxPredictor(
      async () => {
        loads++;
        return artifact.bytes;
      },
      { kind: 'classifier', nFeatures: 10 },
    );
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([predictor.predict([[...heldOut.data.subarray(0, 10)]]), predictor.predict(heldOut)]);
    expect(loads).toBe(1);
    expect(a[0]).toBeCloseTo(b[0]!, 6);
    await predictor.close();
    await predictor.predict([[1, 2, Number.NaN, 4, 5, 6, 7, 8, 9, 10]]);
    expect(loads).toBe(2);
    await predictor.close();
  });

  it('refuses bytes that do not match the recorded sha256, and rows of the wrong width', async () => {
    const wrong = createOnnxPredictor(artifact.bytes, { kind: 'classifier', nFeatures: 10, expectedSha256: '0'.repeat(64) });
    await expect(wrong.predict(heldOut)).rejects.toBeInstanceOf(PermanentError);
    const predictor = createPredictorForArtifact(artifact);
    await expect(predictor.predict([[1, 2, 3]])).rejects.toThrow(RangeError);
    expect(await predictor.predict([])).toHaveLength(0);
    expect(() => createOnnxPredictor(artifact.bytes, { kind: 'classifier', nFeatures: 0 })).toThrow();
  });
});

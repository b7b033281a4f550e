import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileModelRegistry, loadModelVersion, openServingSession } from '../../functions/adapters/onnx/file-model-registry.js';
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { calibrate } from '../../functions/core/training/calibration.js';
import { gbdtPredict, parseGbdtModel } from '../../functions/core/training/gbdt-model.js';
import { isolationForestScore, parseIsolationForest } from '../../functions/core/training/isolation-forest.js';
import { logisticPredict, parseLogisticModel } from '../../functions/core/training/logistic.js';
import { ModelMetadataSchema } from '../../functions/core/registry/model-metadata.js';
import { loadRegistry } from '../../functions/adapters/local/registry-file.js';
import { silentLogger } from '../../functions/platform/logger.js';

/** The models shipped under models/: golden outputs, ONNX = TypeScript, metadata and hashes. */
const MODELS = path.resolve(import.meta.dirname, '../../models');
const registry = loadRegistry(MODELS);
const production = Object.entries(registry.models).flatMap(([name, m]) =>
  m.versions.filter((v) => v.stage === 'production').map((v) => ({ name, version: v.version, dir: path.join(MODELS, name, v.version) })));

describe('shipped production models', () => {
  it('all three models have a production version', () => {
    expect(production.map((p) => p.name).sort()).toEqual(['anomaly', 'failure', 'quality']);
  });

  it.each(production)('$name: metadata valid, files hash to the recorded sha256, schema matches the code', ({ dir }) => {
    const meta = ModelMetadataSchema.parse(JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8')));
    const sha = (f: string) => createHash('sha256').update(readFileSync(path.join(dir, f))).digest('hex');
    expect(sha('model.onnx')).toBe(meta.modelSha256);
    expect(sha('model.json')).toBe(meta.explainerSha256);
    expect(meta.featureSchemaVersion).toBe(FEATURE_SCHEMA_VERSION);
    expect(meta.featureNames).toEqual(FEATURE_NAMES);
    expect(meta.featureDistribution).toHaveLength(FEATURE_NAMES.length);
    expect(existsSync(path.join(dir, 'README.md'))).toBe(true);
  });

  it.each(production)('$name: ONNX Runtime reproduces the golden outputs and the TypeScript model within 1e-5', async ({ dir }) => {
    const loaded = await loadModelVersion(dir);
    const inputs = JSON.parse(readFileSync(path.join(dir, 'test_data', 'inputs.json'), 'utf8')) as { rows: Array<Array<number | null>> };
    const expected = JSON.parse(readFileSync(path.join(dir, 'test_data', 'expected.json'), 'utf8')) as { raw: number[]; calibrated: number[] };
    expect(inputs.rows.length).toBeGreaterThan(10);
    const onnx = await loaded.predictor.predict(inputs.rows);
    const json: unknown = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const ts = loaded.metadata.kind === 'gbdt' ? gbdtPredict(parseGbdtModel(json), inputs.rows)
      : loaded.metadata.kind === 'logistic' ? logisticPredict(parseLogisticModel(json), inputs.rows)
        : isolationForestScore(parseIsolationForest(json), inputs.rows);
    inputs.rows.forEach((_, i) => {
      expect(Math.abs(onnx[i]! - expected.raw[i]!)).toBeLessThan(1e-5);
      expect(Math.abs(onnx[i]! - ts[i]!)).toBeLessThan(1e-5);
      // The served score: the row's own features pick the curve of a per-medium calibrator.
      const featureOf = (name: string) => inputs.rows[i]![FEATURE_NAMES.indexOf(name)];
      expect(Math.abs(calibrate(loaded.metadata.calibration, onnx[i]!, featureOf) - expected.calibrated[i]!)).toBeLessThan(1e-5);
    });
    await loaded.predictor.close();
  });

  it('the file registry scores one vector with all three models, calibrated, with signed explanations', async () => {
    const models = await createFileModelRegistry(MODELS, silentLogger).loadProduction();
    expect(models).not.toBeNull();
    const dir = production.find((p) => p.name === 'quality')!.dir;
    const row = (JSON.parse(readFileSync(path.join(dir, 'test_data', 'inputs.json'), 'utf8')) as { rows: Array<Array<number | null>> }).rows[0]!;
    const features = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, row[i] ?? Number.NaN]));
    const s = await models!.score(features);
    for (const v of [s.quality, s.failureRisk, s.anomaly]) {
      expect(v).not.toBeNull();
      expect(v!).toBeGreaterThanOrEqual(0);
      expect(v!).toBeLessThanOrEqual(1);
    }
    expect(s.explanations.quality!.length).toBeGreaterThan(0);
    expect(s.explanations.quality!.length).toBeLessThanOrEqual(5);
    expect(s.explanations.failure!.length).toBeGreaterThan(0);
    for (const e of s.explanations.quality!) expect(FEATURE_NAMES).toContain(e.feature);
    expect(models!.versions).toEqual(Object.fromEntries(production.map((p) => [p.name, p.version])));
  });

  it('the served graph (all three merged, one synchronous run) gives each model exactly its own session\'s scores', async () => {
    const loaded = await Promise.all(production.map((p) => loadModelVersion(p.dir)));
    const inputs = JSON.parse(readFileSync(path.join(production[0]!.dir, 'test_data', 'inputs.json'), 'utf8')) as { rows: Array<Array<number | null>> };
    const data = Float32Array.from(inputs.rows.flat(), (v) => v ?? Number.NaN);
    const serving = openServingSession(loaded);
    try {
      // A batch and single rows go through the same graph.
      const batch = serving.score(data, inputs.rows.length);
      const single = serving.score(data.slice(0, FEATURE_NAMES.length), 1);
      for (const [k, m] of loaded.entries()) {
        const own = await m.predictor.predict(inputs.rows);
        expect(Array.from(batch[k]!)).toEqual(Array.from(own));
        expect(single[k]![0]).toBe(own[0]);
        await m.predictor.close();
      }
    } finally {
      serving.release();
    }
  });

  it('a model file that does not match its sha256 is refused', async () => {
    const { mkdtempSync, cpSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const work = mkdtempSync(path.join(tmpdir(), 'ledgerx-tamper-'));
    try {
      const src = production[0]!.dir;
      cpSync(src, work, { recursive: true });
      const bytes = readFileSync(path.join(work, 'model.onnx'));
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      writeFileSync(path.join(work, 'model.onnx'), bytes);
      await expect(loadModelVersion(work)).rejects.toThrow(/sha256/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

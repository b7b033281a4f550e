import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileModelRegistry } from '../../functions/adapters/onnx/file-model-registry.js';
import { FEATURE_NAMES } from '../../functions/core/features/schema.js';
import { buildDataset, type CorpusSpec } from '../../functions/training/dataset.js';
import { ModelMetadataSchema } from '../../functions/core/registry/model-metadata.js';
import { loadRegistry } from '../../functions/adapters/local/registry-file.js';
import { trainModels } from '../../functions/training/train.js';
import { silentLogger } from '../../functions/platform/logger.js';

/** `ledgerx train` end to end on a small generated corpus: real pipeline, labels, three models, ONNX, registry, report. */
const work = mkdtempSync(path.join(tmpdir(), 'ledgerx-train-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const specs: CorpusSpec[] = [{ seed: 7, count: 240, suppliers: 24, mix: { bornDigital: 0.85, scan: 0, einvoicePdf: 0.1, einvoiceXml: 0.05 } }];
const cacheDir = path.join(work, 'cache');

describe('training from a generated corpus', () => {
  it('labels the pipeline output, trains, exports, registers and reports; a second run reproduces the same bytes', async () => {
    const phases = new Set<string>();
    const dataset = await buildDataset({ specs, cacheDir, logger: silentLogger, progress: (_d, _t, phase) => phases.add(phase) });
    expect([...phases]).toEqual(['generate seed 7', 'pipeline seed 7']);
    expect(dataset.rows.length).toBeGreaterThan(200);
    expect(dataset.rows.every((r) => r.features.length === FEATURE_NAMES.length && r.labelSource === 'truth')).toBe(true);
    // Both labels have both classes: the injected problems make failures, clean documents make trusted extractions
    // (untrusted ones are few on born-digital documents: a field the truth omits but a page still suggests).
    for (const label of ['quality', 'failure'] as const) {
      const positives = dataset.rows.filter((r) => r[label] === 1).length;
      expect(positives).toBeGreaterThan(3);
      expect(positives).toBeLessThan(dataset.rows.length - 3);
    }

    const modelsDir = path.join(work, 'models');
    const reportsDir = path.join(work, 'reports');
    const result = await trainModels({ dataset, seed: 3, modelsDir, reportsDir, trials: 2, promote: true, logger: silentLogger });
    expect(result.models.map((m) => m.name).sort()).toEqual(['anomaly', 'failure', 'quality']);
    const registry = loadRegistry(modelsDir);
    for (const m of result.models) {
      expect(m.onnxMaxAbsDiff).toBeLessThan(1e-5);
      expect(m.reproduced).toBe(false);
      expect(registry.models[m.name]!.versions).toContainEqual(expect.objectContaining({ version: result.version, stage: 'production' }));
      for (const f of ['model.onnx', 'model.json', 'metadata.json', 'README.md', 'test_data/inputs.json', 'test_data/expected.json']) {
        expect(existsSync(path.join(m.dir, f)), `${m.name}/${f}`).toBe(true);
      }
      const meta = ModelMetadataSchema.parse(JSON.parse(readFileSync(path.join(m.dir, 'metadata.json'), 'utf8')));
      expect(meta.trainingData.sha256).toBe(dataset.meta.sha256);
      expect(meta.featureNames).toEqual(FEATURE_NAMES);
      expect(meta.metrics.testAtDecisionPolicy).toBeDefined();
    }
    const anomaly = ModelMetadataSchema.parse(JSON.parse(readFileSync(path.join(result.models.find((m) => m.name === 'anomaly')!.dir, 'metadata.json'), 'utf8')));
    expect(anomaly.hyperparameters.features).not.toContain('is_scanned');
    expect(readFileSync(result.reportHtml, 'utf8')).toContain('<svg');
    expect(JSON.parse(readFileSync(result.reportJson, 'utf8')).models).toHaveLength(4);

    // The registry serves what was just trained.
    const served = await createFileModelRegistry(modelsDir, silentLogger).loadProduction();
    expect(served?.versions).toEqual({ anomaly: result.version, failure: result.version, quality: result.version });

    // Same seed, same (cached) dataset: the same version and model bytes, nothing overwritten.
    const cached = await buildDataset({ specs, cacheDir, logger: silentLogger, progress: () => { throw new Error('the cache must not re-run the pipeline'); } });
    expect(cached.meta.sha256).toBe(dataset.meta.sha256);
    const again = await trainModels({ dataset: cached, seed: 3, modelsDir, reportsDir, trials: 2, promote: true, logger: silentLogger });
    expect(again.version).toBe(result.version);
    expect(again.models.every((m) => m.reproduced)).toBe(true);
  }, 300_000);

  it('reviewed decisions take precedence over derived labels, without re-running the pipeline', async () => {
    const base = await buildDataset({ specs, cacheDir, logger: silentLogger });
    const row = base.rows.find((r) => r.quality === 1 && r.failure === 0)!;
    const reviewed = await buildDataset({ specs, cacheDir, logger: silentLogger, reviews: new Map([[row.file, { failure: true }]]) });
    const after = reviewed.rows.find((r) => r.file === row.file)!;
    expect(after).toMatchObject({ quality: 1, failure: 1, labelSource: 'review' });
    expect(after.reasons).toContain('reviewed');
    expect(reviewed.rows.filter((r) => r.labelSource === 'review')).toHaveLength(1);
    expect(reviewed.meta.sha256).not.toBe(base.meta.sha256);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileModelRegistry } from '../../functions/adapters/onnx/file-model-registry.js';
import { runBatch } from '../../functions/platform/local-batch.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { createLocalRuntime } from '../../functions/platform/local-runtime.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

const MODELS = path.resolve(import.meta.dirname, '../../models');
const work = mkdtempSync(path.join(tmpdir(), 'ledgerx-models-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('local pipeline with the shipped models', () => {
  it('scores generated invoices with basis models+rules and explanations', async () => {
    const corpus = path.join(work, 'corpus');
    const manifest = await generateCorpus({
      outDir: corpus, seed: 5, count: 4,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    const runtime = createLocalRuntime({ dataDir: path.join(work, 'data'), models: createFileModelRegistry(MODELS, silentLogger) });
    try {
      const results = await runBatch(runtime, manifest.documents.map((d) => ({ path: path.join(corpus, d.file), display: d.file, objectName: d.file })), { progress: false });
      expect(results).toHaveLength(4);
      for (const r of results) {
        const d = r.record?.decision;
        expect(d?.basis).toBe('models+rules');
        expect(Object.keys(d!.modelVersions).sort()).toEqual(['anomaly', 'failure', 'quality']);
        expect(d!.scores.quality).not.toBeNull();
        expect(d!.scores.failureRisk).not.toBeNull();
        expect(d!.scores.anomaly).not.toBeNull();
        expect(d!.explanations.quality?.length).toBeGreaterThan(0);
        expect(d!.explanations.failure?.length).toBeGreaterThan(0);
        expect(d!.explanations.anomaly?.length).toBeGreaterThan(0);
        expect(d!.reasons.some((x) => x.code === 'NO_MODELS')).toBe(false);
      }
    } finally {
      await runtime.close();
    }
  }, 60_000);
});

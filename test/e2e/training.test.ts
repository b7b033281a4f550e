import { SqliteModelRegistryStore } from '../../functions/adapters/local/sqlite/model-registry-store.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../functions/core/features/schema.js';
import { buildDataset, type CorpusSpec } from '../../functions/training/dataset.js';
import { ModelMetadataSchema } from '../../functions/core/registry/model-metadata.js';
import { openLocalLearning } from '../../functions/platform/local-learning.js';
import { trainRegisterRecord } from '../../functions/training/retrain.js';
import { registerAndGate } from '../../functions/training/promotion.js';
import { versionFromMetadata } from '../../functions/core/learning/seed.js';
import { silentLogger } from '../../functions/platform/logger.js';

/**
 * `ledgerx train` end to end on a small generated corpus: real pipeline, labels, three models, ONNX, the local
 * registry with lineage and audit, the promotion gate (no champion; the same version again; a worse challenger
 * blocked), the experiment run, the report.
 */
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

    const learning = await openLocalLearning({ dataDir: path.join(work, 'data') });
    const reportsDir = path.join(work, 'reports');
    const now = () => new Date();
    const common = { registry: learning.registry, artifacts: learning.artifacts, runs: learning.runs, seed: 3, trials: 2, config: learning.config, promote: true, actor: 'test', reportsDir, logger: silentLogger, now };
    const first = await trainRegisterRecord({ ...common, dataset, kind: 'train', runId: 'run-a' });
    const result = first.result;
    expect(result.models.map((m) => m.name).sort()).toEqual(['anomaly', 'failure', 'quality']);
    expect(await learning.registry.production()).toEqual({ anomaly: result.version, failure: result.version, quality: result.version });
    for (const m of result.models) {
      const o = first.outcomes.find((x) => x.name === m.name)!;
      expect(o).toMatchObject({ outcome: 'promoted', written: true, champion: null });
      expect(o.gate?.reasons).toEqual(['NO_CHAMPION']);
      expect(m.onnxMaxAbsDiff).toBeLessThan(1e-5);
      const dir = await learning.artifacts.materialize(m.name, m.version);
      for (const f of ['model.onnx', 'model.json', 'metadata.json', 'README.md', 'test_data/inputs.json', 'test_data/expected.json']) {
        expect(existsSync(path.join(dir, f)), `${m.name}/${f}`).toBe(true);
      }
      const meta = ModelMetadataSchema.parse(JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8')));
      expect(meta.trainingData.sha256).toBe(dataset.meta.sha256);
      expect(meta.featureNames).toEqual(FEATURE_NAMES);
      expect(meta.metrics.testAtDecisionPolicy).toBeDefined();
      // Lineage: snapshot, schema, parameters and the run.
      const record = (await learning.registry.get(m.name, m.version))!;
      expect(record.lineage).toMatchObject({ dataSnapshot: { sha256: dataset.meta.sha256, rows: dataset.rows.length }, featureSchemaVersion: meta.featureSchemaVersion, runId: 'run-a' });
      expect((await learning.registry.audit(m.name, m.version)).map((a) => a.action)).toEqual(['register', 'gate', 'promote']);
    }
    const anomalyDir = await learning.artifacts.materialize('anomaly', result.version);
    const anomaly = ModelMetadataSchema.parse(JSON.parse(readFileSync(path.join(anomalyDir, 'metadata.json'), 'utf8')));
    expect(anomaly.hyperparameters.features).not.toContain('is_scanned');
    expect(readFileSync(first.reportHtml, 'utf8')).toContain('<svg');
    expect(JSON.parse(readFileSync(first.reportJson, 'utf8')).models).toHaveLength(4);
    // The experiment run: parameters, snapshot, metrics per split and slice, artifacts, gate outcomes.
    const run = (await learning.runs.get('run-a'))!;
    expect(run).toMatchObject({ status: 'succeeded', kind: 'train', dataSnapshot: { sha256: dataset.meta.sha256 }, versions: { failure: result.version } });
    expect(run.metrics.failure?.splits.test?.f1).toBeTypeOf('number');
    expect(Object.keys(run.metrics.quality?.slices ?? {})).toEqual(expect.arrayContaining(['language', 'scanQuality', 'kind', 'captureSource']));
    expect(run.artifacts.some((a) => a.kind === 'report-html')).toBe(true);

    // The serving registry serves what was just promoted.
    const served = await learning.serving(0).loadProduction();
    expect(served?.versions).toEqual({ anomaly: result.version, failure: result.version, quality: result.version });

    // Same seed, same (cached) dataset: the same version and model bytes, nothing overwritten or re-registered.
    const cached = await buildDataset({ specs, cacheDir, logger: silentLogger, progress: () => { throw new Error('the cache must not re-run the pipeline'); } });
    expect(cached.meta.sha256).toBe(dataset.meta.sha256);
    const again = await trainRegisterRecord({ ...common, dataset: cached, kind: 'train', runId: 'run-b' });
    expect(again.result.version).toBe(result.version);
    expect(again.outcomes.every((o) => !o.written && o.outcome === 'already-production')).toBe(true);
    expect((await learning.registry.list()).length).toBe(3);

    // A worse challenger is never promoted: the champion is scored on the same held-out rows; a challenger
    // whose held-out scores are noise is blocked, stays in staging, and the audit and the run say why.
    let x = 12345;
    const noise = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    const worse = { ...result, version: 'v-worse', models: result.models.map((m) => ({ ...m, version: 'v-worse', metadata: { ...m.metadata, version: 'v-worse' }, testScores: Float64Array.from(m.testScores, () => noise()) })) };
    const outcomes = await registerAndGate({
      result: worse, registry: learning.registry, artifacts: learning.artifacts, config: learning.config, promote: true, actor: 'test',
      runId: 'run-c', codeRevision: null, snapshot: { sha256: dataset.meta.sha256, rows: dataset.rows.length }, now, logger: silentLogger,
    });
    for (const name of ['quality', 'failure'] as const) {
      const o = outcomes.find((y) => y.name === name)!;
      expect(o.outcome, name).toBe('blocked');
      expect(o.gate?.reasons, name).toContain('BELOW_MARGIN');
      expect(o.gate!.champion!, name).toBeGreaterThan(o.gate!.challenger);
      expect(o.champion).toBe(result.version);
      const gateEntry = (await learning.registry.audit(name, 'v-worse')).find((a) => a.action === 'gate')!;
      expect(gateEntry.evidence).toMatchObject({ champion: result.version, runId: 'run-c' });
      expect((await learning.registry.get(name, 'v-worse'))?.stage).toBe('staging');
    }
    expect((await learning.registry.production()).failure).toBe(result.version);

    // A champion of an earlier feature schema cannot stay (this code refuses to serve it): even a worse
    // challenger replaces it, and the comparison on the same rows is kept as evidence.
    const oldDir = await learning.artifacts.materialize('failure', result.version);
    const oldMeta = { ...ModelMetadataSchema.parse(JSON.parse(readFileSync(path.join(oldDir, 'metadata.json'), 'utf8'))), version: 'v-old-schema', featureSchemaVersion: 'inv-features-v0' };
    await learning.artifacts.put('failure', 'v-old-schema', { 'metadata.json': JSON.stringify(oldMeta), 'model.onnx': readFileSync(path.join(oldDir, 'model.onnx')), 'model.json': readFileSync(path.join(oldDir, 'model.json')) });
    await learning.registry.register(versionFromMetadata(oldMeta), { actor: 'test', reason: 'an install before the schema change', at: now() });
    // Promoted by the code of that time: this code's registry refuses a version of another schema.
    await new SqliteModelRegistryStore(learning.db).promote('failure', 'v-old-schema', { actor: 'test', reason: 'before the schema change', at: now() });
    await expect(learning.registry.promote('failure', 'v-old-schema', { actor: 'test', reason: 'again', at: now() })).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
    const next = { ...worse, version: 'v-next', models: worse.models.filter((m) => m.name === 'failure').map((m) => ({ ...m, version: 'v-next', metadata: { ...m.metadata, version: 'v-next' } })) };
    const [replaced] = await registerAndGate({
      result: next, registry: learning.registry, artifacts: learning.artifacts, config: learning.config, promote: true, actor: 'test',
      runId: 'run-d', codeRevision: null, snapshot: { sha256: dataset.meta.sha256, rows: dataset.rows.length }, now, logger: silentLogger,
    });
    expect(replaced).toMatchObject({ outcome: 'promoted', champion: 'v-old-schema' });
    expect(replaced!.gate!.reasons.slice(0, 2)).toEqual(['CHAMPION_OTHER_SCHEMA:inv-features-v0', 'REPORTED:BELOW_MARGIN']);
    expect(replaced!.gate!.reasons.every((r, i) => i === 0 || r.startsWith('REPORTED:'))).toBe(true);
    expect(replaced!.gate!.champion!).toBeGreaterThan(replaced!.gate!.challenger);
    expect((await learning.registry.production()).failure).toBe('v-next');
    learning.close();
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

/**
 * The model registry on a folder (`models/`): reads `registry.json`, loads the production version of each
 * model once per process (lazy, cached), checks every file's sha256 against its metadata, and scores one
 * feature vector with all loaded ONNX sessions: calibration applied, top-5 signed contributions per model.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PermanentError } from '../../core/errors.js';
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../core/features/schema.js';
import type { Logger, ModelRegistry, ModelScores, ScoringModels } from '../../core/ports.js';
import { calibrate } from '../../core/training/calibration.js';
import { gbdtContributions, parseGbdtModel, type Contributions, type GbdtModel } from '../../core/training/gbdt-model.js';
import { parseIsolationForest } from '../../core/training/isolation-forest.js';
import { logisticContributions, parseLogisticModel, type LogisticModel } from '../../core/training/logistic.js';
import { ModelMetadataSchema, type ModelMetadata } from '../../models/metadata.js';
import { loadRegistry } from '../../models/registry.js';
import { sha256Hex } from './artifact.js';
import { createOnnxPredictor, type OnnxPredictor } from './predictor.js';

/** How many features each explanation lists. */
export const TOP_CONTRIBUTIONS = 5;

/** One loaded production model: its metadata, ONNX session and (for explanations) the TypeScript model. */
export interface LoadedModel {
  metadata: ModelMetadata;
  predictor: OnnxPredictor;
  explain: ((row: Float32Array) => Contributions) | null;
}

/** Reads, checks (sha256, schema) and opens one model version folder. Throws PermanentError on any mismatch. */
export async function loadModelVersion(dir: string): Promise<LoadedModel> {
  const metadata = ModelMetadataSchema.parse(JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8')));
  const bytes = new Uint8Array(await readFile(path.join(dir, metadata.modelFile)));
  if (sha256Hex(bytes) !== metadata.modelSha256) {
    throw new PermanentError('MODEL_HASH_MISMATCH', `${metadata.name}@${metadata.version}: model.onnx does not match its sha256`);
  }
  const jsonBytes = new Uint8Array(await readFile(path.join(dir, metadata.explainerFile)));
  if (sha256Hex(jsonBytes) !== metadata.explainerSha256) {
    throw new PermanentError('MODEL_HASH_MISMATCH', `${metadata.name}@${metadata.version}: model.json does not match its sha256`);
  }
  const json: unknown = JSON.parse(Buffer.from(jsonBytes).toString('utf8'));
  let explain: LoadedModel['explain'] = null;
  if (metadata.kind === 'gbdt') {
    const m: GbdtModel = parseGbdtModel(json);
    explain = (row) => gbdtContributions(m, row);
  } else if (metadata.kind === 'logistic') {
    const m: LogisticModel = parseLogisticModel(json);
    explain = (row) => logisticContributions(m, row);
  } else {
    parseIsolationForest(json); // validated; isolation trees give no signed attribution
  }
  const predictor = createOnnxPredictor(bytes, {
    kind: metadata.kind === 'isolation-forest' ? 'anomaly' : 'classifier',
    nFeatures: metadata.featureNames.length,
    inputName: metadata.inputName,
    outputName: metadata.outputName,
    expectedSha256: metadata.modelSha256,
  });
  return { metadata, predictor, explain };
}

/**
 * The `k` largest |contribution| features, signed, with the feature's value. Missing features are left out:
 * the stored explanation has no way to say "missing" (JSON has no NaN, and 0 would be a lie); the record's
 * feature map shows them as null.
 */
export function topContributions(contributions: ArrayLike<number>, row: Float32Array, names: readonly string[], k = TOP_CONTRIBUTIONS) {
  return Array.from({ length: contributions.length }, (_, f) => f)
    .filter((f) => contributions[f] !== 0 && !Number.isNaN(row[f]!))
    .sort((a, b) => Math.abs(contributions[b]!) - Math.abs(contributions[a]!))
    .slice(0, k)
    .map((f) => ({ feature: names[f]!, value: row[f]!, contribution: Math.round(contributions[f]! * 1e6) / 1e6 }));
}

/**
 * Builds {@link ScoringModels} from loaded models: one float32 row in the models' feature order (NaN for
 * missing), every ONNX session run on it, calibration applied. Throws PermanentError when the models were
 * trained on different feature orders.
 */
export function scoringModelsOf(models: readonly LoadedModel[]): ScoringModels {
  const first = models[0];
  if (!first) throw new RangeError('no models');
  const names = first.metadata.featureNames;
  for (const m of models) {
    if (m.metadata.featureSchemaVersion !== first.metadata.featureSchemaVersion || m.metadata.featureNames.join() !== names.join()) {
      throw new PermanentError('MODEL_FEATURE_MISMATCH', 'production models disagree on the feature schema');
    }
  }
  return {
    versions: Object.fromEntries(models.map((m) => [m.metadata.name, m.metadata.version])),
    featureSchemaVersion: first.metadata.featureSchemaVersion,
    async score(features) {
      const row = Float32Array.from(names, (n) => features[n] ?? Number.NaN);
      const matrix = { data: row, rows: 1, cols: names.length };
      const outputs = await Promise.all(models.map(async (m) => [m, (await m.predictor.predict(matrix))[0]!] as const));
      const scores: ModelScores = { quality: null, failureRisk: null, anomaly: null, explanations: {} };
      for (const [m, raw] of outputs) {
        const value = calibrate(m.metadata.calibration, raw);
        if (m.metadata.name === 'quality') scores.quality = value;
        else if (m.metadata.name === 'failure') scores.failureRisk = value;
        else scores.anomaly = value;
        if (m.explain) scores.explanations[m.metadata.name] = topContributions(m.explain(row).contributions, row, names);
      }
      return scores;
    },
  };
}

/**
 * A {@link ModelRegistry} on `dir`. `loadProduction()` loads once per process and caches (a failed load is
 * retried on the next call); returns null when there is no registry or no production model. Models of another
 * feature schema version than the code's are refused (logged, null), never served.
 */
export function createFileModelRegistry(dir: string, logger: Logger): ModelRegistry {
  let loading: Promise<ScoringModels | null> | null = null;
  const load = async (): Promise<ScoringModels | null> => {
    if (!existsSync(path.join(dir, 'registry.json'))) return null;
    const registry = loadRegistry(dir);
    const loaded: LoadedModel[] = [];
    for (const [name, entry] of Object.entries(registry.models).sort(([a], [b]) => a.localeCompare(b))) {
      const prod = entry.versions.find((v) => v.stage === 'production');
      if (!prod) continue;
      const start = performance.now();
      loaded.push(await loadModelVersion(path.join(dir, name, prod.version)));
      logger.info('model loaded', { model: name, version: prod.version, ms: Math.round(performance.now() - start) });
    }
    if (loaded.length === 0) return null;
    if (loaded.some((m) => m.metadata.featureSchemaVersion !== FEATURE_SCHEMA_VERSION || m.metadata.featureNames.join() !== FEATURE_NAMES.join())) {
      logger.error('production models do not match the feature schema of this code: deciding by rules', { expected: FEATURE_SCHEMA_VERSION });
      return null;
    }
    return scoringModelsOf(loaded);
  };
  return {
    loadProduction() {
      if (!loading) {
        const pending = load();
        loading = pending;
        pending.catch(() => {
          if (loading === pending) loading = null;
        });
      }
      return loading;
    },
  };
}

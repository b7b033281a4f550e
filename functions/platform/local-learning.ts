/**
 * The learning loop on the embedded defaults: the local database (prediction log, review labels, registry,
 * jobs, runs) and the model folders (new versions under `<data-dir>/models`, the shipped `models/` seed read
 * only and imported into the registry on first use). The CLI, the local scheduler and the tests open it here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LearningConfigSchema, type LearningConfig, type LearningConfigInput } from '../core/learning/config.js';
import type { ModelArtifactStore } from '../core/learning/model-registry.js';
import { importSeed } from '../core/learning/seed.js';
import type { Clock, Logger } from '../core/ports.js';
import { createFolderArtifactStore } from '../adapters/local/model-artifacts.js';
import { openLedgerDatabase } from '../adapters/local/sqlite/migrations.js';
import type { SqliteDatabase } from '../adapters/local/sqlite/database.js';
import { SqliteJobStore } from '../adapters/local/sqlite/job-store.js';
import { SqliteLabelStore } from '../adapters/local/sqlite/label-store.js';
import { SqliteModelRegistryStore } from '../adapters/local/sqlite/model-registry-store.js';
import { SqlitePredictionLog } from '../adapters/local/sqlite/prediction-log.js';
import { SqliteRunStore } from '../adapters/local/sqlite/run-store.js';
import { createServingRegistry, type ServingRegistry } from '../adapters/onnx/serving-registry.js';
import { silentLogger } from './logger.js';
import { FEATURE_SCHEMA_VERSION } from '../core/features/schema.js';

export const LEARNING_CONFIG_FILE = 'learning.json';

export interface LocalLearningOptions {
  dataDir: string;
  /** The shipped models folder (registry.json seed); read only. */
  seedDir?: string | undefined;
  /** Overrides `<dataDir>/learning.json`. */
  config?: LearningConfigInput;
  logger?: Logger;
  clock?: Clock;
}

export interface LocalLearning {
  readonly db: SqliteDatabase;
  readonly config: LearningConfig;
  readonly predictions: SqlitePredictionLog;
  readonly labels: SqliteLabelStore;
  readonly registry: SqliteModelRegistryStore;
  readonly artifacts: ModelArtifactStore;
  readonly jobs: SqliteJobStore;
  readonly runs: SqliteRunStore;
  /** Where new model versions are written. */
  readonly modelsDir: string;
  /** A serving registry over this registry (refresh from the config unless given). */
  serving(refreshMs?: number): ServingRegistry;
  close(): void;
}

/** Reads `<dataDir>/learning.json` (absent = defaults). Throws ZodError on an invalid file. */
export function loadLocalLearningConfig(dataDir: string, override?: LearningConfigInput): LearningConfig {
  const file = join(dataDir, LEARNING_CONFIG_FILE);
  const fromFile = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LearningConfigInput) : {};
  return LearningConfigSchema.parse({ ...fromFile, ...override });
}

/** Opens the learning ports and imports the seed registry (idempotent). */
export async function openLocalLearning(options: LocalLearningOptions): Promise<LocalLearning> {
  const log = options.logger ?? silentLogger;
  const clock = options.clock ?? { now: () => new Date() };
  const config = loadLocalLearningConfig(options.dataDir, options.config);
  const db = openLedgerDatabase(join(options.dataDir, 'ledgerx.db'));
  const modelsDir = join(options.dataDir, 'models');
  const artifacts = createFolderArtifactStore({ writeDir: modelsDir, readDirs: options.seedDir ? [options.seedDir] : [] });
  const registry = new SqliteModelRegistryStore(db, { admins: config.promotion.admins, servingSchema: FEATURE_SCHEMA_VERSION });
  try {
    if (artifacts.seed) {
      const imported = await importSeed(registry, artifacts.seed, clock.now());
      if (imported.registered > 0) log.info('seed models imported into the registry', imported);
    }
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    db,
    config,
    predictions: new SqlitePredictionLog(db, { retentionMs: config.predictionRetentionDays * 86_400_000 }),
    labels: new SqliteLabelStore(db),
    registry,
    artifacts,
    jobs: new SqliteJobStore(db),
    runs: new SqliteRunStore(db),
    modelsDir,
    serving: (refreshMs) => createServingRegistry({ store: registry, artifacts, refreshMs: refreshMs ?? config.registryRefreshSeconds * 1000, logger: log }),
    close: () => db.close(),
  };
}

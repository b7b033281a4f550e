/**
 * The serving side of the model registry: a {@link ModelRegistry} that re-reads the production pointers at
 * most every `refreshMs` and, when they changed, loads the new versions once (files from the artifact store,
 * sha256-checked, one merged ONNX session) and swaps them in. A scoring that already holds a
 * {@link ScoringModels} keeps using it to the end, so one invoice is never scored by a mix of versions; the
 * replaced sessions are released after a grace period.
 */
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../core/features/schema.js';
import { modelVersionsKey } from '../../core/learning/prediction-log.js';
import type { ModelArtifactStore, ModelRegistryStore } from '../../core/learning/model-registry.js';
import type { Logger, ModelRegistry, ScoringModels } from '../../core/ports.js';
import { loadModelVersion, scoringModelsOf, type LoadedModel } from './file-model-registry.js';

const errorFields = (err: unknown) => (err instanceof Error ? { errorName: err.name, errorMessage: err.message } : { errorName: typeof err });

export interface ServingRegistryOptions {
  store: Pick<ModelRegistryStore, 'production'>;
  artifacts: Pick<ModelArtifactStore, 'materialize'>;
  /** How stale the pointers may be (default 60 s): the delay from a promotion to its first scoring. */
  refreshMs?: number;
  logger: Logger;
  now?: () => number;
  /** How long a replaced set of sessions stays open for scorings still holding it (default 5 minutes). */
  releaseAfterMs?: number;
}

export interface ServingRegistry extends ModelRegistry {
  /** The pointer set now served (`rules` without models), or null before the first load. */
  servedKey(): string | null;
  /** Forces a pointer check on the next call. */
  invalidate(): void;
}

export function createServingRegistry(options: ServingRegistryOptions): ServingRegistry {
  const refreshMs = options.refreshMs ?? 60_000;
  const now = options.now ?? Date.now;
  const log = options.logger;
  let current: { key: string; models: ScoringModels | null } | null = null;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<ScoringModels | null> | null = null;

  async function refresh(): Promise<ScoringModels | null> {
    let pointers: Record<string, string>;
    try {
      pointers = await options.store.production();
    } catch (err) {
      // A registry outage must not stop scoring with the versions already loaded.
      if (current) {
        log.warn('registry pointer check failed: serving the loaded versions', errorFields(err));
        checkedAt = now();
        return current.models;
      }
      throw err;
    }
    const key = modelVersionsKey(pointers);
    checkedAt = now();
    if (current && current.key === key) return current.models;
    const start = now();
    const loaded: LoadedModel[] = [];
    for (const [name, version] of Object.entries(pointers).sort(([a], [b]) => a.localeCompare(b))) {
      loaded.push(await loadModelVersion(await options.artifacts.materialize(name, version)));
    }
    let models: ScoringModels | null = null;
    if (loaded.length > 0) {
      if (loaded.some((m) => m.metadata.featureSchemaVersion !== FEATURE_SCHEMA_VERSION || m.metadata.featureNames.join() !== FEATURE_NAMES.join())) {
        log.error('production models do not match the feature schema of this code: deciding by rules', { expected: FEATURE_SCHEMA_VERSION, modelVersions: key });
      } else {
        models = scoringModelsOf(loaded);
      }
    }
    const previous = current;
    current = { key, models };
    log.info('production models loaded', { modelVersions: key, previous: previous?.key ?? null, ms: Math.round(now() - start) });
    if (previous?.models?.close) {
      const release = previous.models.close.bind(previous.models);
      setTimeout(release, options.releaseAfterMs ?? 5 * 60_000).unref();
    }
    return models;
  }

  return {
    loadProduction() {
      if (current && now() - checkedAt < refreshMs) return Promise.resolve(current.models);
      if (!inflight) {
        inflight = refresh().finally(() => {
          inflight = null;
        });
      }
      return inflight;
    },
    servedKey: () => current?.key ?? null,
    invalidate() {
      checkedAt = Number.NEGATIVE_INFINITY;
    },
  };
}

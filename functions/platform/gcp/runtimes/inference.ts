/**
 * The `inference` function's runtime: the shared stage ports, the production models (pointers in the Firestore
 * registry, files in the models bucket, re-checked every LEDGERX_REGISTRY_REFRESH_SECONDS so that a promotion
 * reaches running instances without a redeploy) and the prediction log.
 */
import { loadInferenceConfig, type Env } from '../config.js';
import { loadLearningConfig } from '../learning-config.js';
import { stageRuntime, type StageRuntime } from '../wiring.js';

/** Builds the `inference` runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createInferenceRuntime(env: Env = process.env): Promise<StageRuntime> {
  const config = loadInferenceConfig(env);
  const learning = loadLearningConfig('inference', env);
  return stageRuntime(config, {
    models: async ({ blobs, log, db }) => {
      const { createFirestoreServingRegistry } = await import('../learning-wiring.js');
      return createFirestoreServingRegistry({ db, blobs, config: learning, log });
    },
    predictions: async ({ db }) => {
      const { FirestorePredictionLog } = await import('../../../adapters/gcp/firestore-prediction-log.js');
      return new FirestorePredictionLog(db, { collection: `${learning.prefix}predictions`, retentionMs: learning.learning.predictionRetentionDays * 86_400_000 });
    },
  });
}

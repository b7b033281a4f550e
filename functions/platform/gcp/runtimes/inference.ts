/** The `inference` function's runtime: the shared stage ports plus the production models from the models bucket. */
import { loadInferenceConfig, type Env } from '../config.js';
import { stageRuntime, type StageRuntime } from '../wiring.js';

/** Builds the `inference` runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createInferenceRuntime(env: Env = process.env): Promise<StageRuntime> {
  const config = loadInferenceConfig(env);
  return stageRuntime(config, {
    models: async ({ blobs, log }) => {
      const { createBucketModelRegistry } = await import('../model-registry.js');
      return createBucketModelRegistry(blobs, config.modelsBucket, log);
    },
  });
}

/** The `features` function's runtime: the shared stage ports and nothing else (no OCR, no models). */
import { loadFeaturesConfig, type Env } from '../config.js';
import { stageRuntime, type StageRuntime } from '../wiring.js';

/** Builds the `features` runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createFeaturesRuntime(env: Env = process.env): Promise<StageRuntime> {
  return stageRuntime(loadFeaturesConfig(env), {});
}

/** The `upload-url` function's runtime: a Cloud Storage client to sign with, and a logger. No database. */
import { loadUploadUrlConfig, type Env } from '../config.js';
import { createGcsUploadSigner } from '../signed-url.js';
import { baseLogger, storageClient, type UploadUrlRuntime } from '../wiring.js';

/** Builds the `upload-url` runtime from `env`. Throws ConfigError (every problem listed). */
export async function createUploadUrlRuntime(env: Env = process.env): Promise<UploadUrlRuntime> {
  const config = loadUploadUrlConfig(env);
  return {
    config,
    signer: createGcsUploadSigner(await storageClient(config.projectId)),
    log: baseLogger(config),
    now: () => new Date(),
  };
}

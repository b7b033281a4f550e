import { resolve } from 'node:path';
import { createLogger, type LogLevel } from '../platform/logger.js';
import { createLocalRuntime, type LocalRuntime } from '../platform/local-runtime.js';
import { createFileModelRegistry } from '../adapters/onnx/file-model-registry.js';

export interface CommonOptions {
  dataDir: string;
  logLevel: LogLevel;
  einvoice?: boolean;
  models?: string;
}

/** Where the local stack keeps its bucket folders and database unless told otherwise. */
export function defaultDataDir(): string {
  return resolve(process.env.LEDGERX_DATA_DIR ?? '.ledgerx');
}

/** Default location of the model registry: `models/` of this repository. */
export function defaultModelsDir(): string {
  return resolve(import.meta.dirname, '../../models');
}

/** Builds the embedded runtime for a CLI command; logs go to stderr so stdout stays machine-readable. */
export function openRuntime(options: CommonOptions): LocalRuntime {
  const logger = createLogger({ level: options.logLevel, destination: process.stderr, base: { app: 'ledgerx' } });
  return createLocalRuntime({
    dataDir: options.dataDir,
    einvoice: options.einvoice ?? true,
    logger,
    models: createFileModelRegistry(options.models ?? defaultModelsDir(), logger),
  });
}

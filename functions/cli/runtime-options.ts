import { join, resolve } from 'node:path';
import { defaultScanEngine } from '../adapters/local/ocr/scan-engine.js';
import { repoRoot } from '../platform/repo-root.js';
import { UsageError } from './errors.js';
import type { LogLevel } from '../platform/logger.js';
import type { LocalRuntime } from '../platform/local-runtime.js';

export interface CommonOptions {
  dataDir: string;
  logLevel: LogLevel;
  einvoice?: boolean;
  models?: string;
  /** False for commands that only read records: no lock on the data folder, no deliveries (see LocalRuntimeOptions). */
  pipeline?: boolean;
  /** Share of auto-approved invoices drawn for the review queue's audit sample when scored (default 0.05). */
  auditSampleRate?: number;
  /** MiB of the database read through a memory map (batch jobs; see LocalRuntimeOptions). */
  sqliteMapMb?: number;
}

/** Where the local stack keeps its bucket folders and database unless told otherwise. */
export function defaultDataDir(): string {
  return resolve(process.env.LEDGERX_DATA_DIR ?? '.ledgerx');
}

/** Default location of the model registry: `models/` of this repository. */
export function defaultModelsDir(): string {
  return join(repoRoot(), 'models');
}

/** What a command is about to read, so that the OCR threads load for it while the rest of the stack opens. */
export interface OcrWarmUp {
  pdfs: boolean;
  scans: boolean;
  /** OCR worker threads (default: one core less than the machine has). */
  threads?: number;
  /** onnxruntime threads per PP-OCR network in each OCR thread (default 1; see LocalOcrEngineOptions). */
  ppocrThreads?: number;
}

/**
 * Builds the embedded runtime for a CLI command; logs go to stderr so stdout stays machine-readable. Loaded
 * on demand: commands that need no pipeline (help, generate, models) never load SQLite, OCR or ONNX. With
 * `warmUp`, the OCR threads start first: a tesseract worker takes about as long to load as the registry, the
 * models and the database take to open, and the two overlap on separate cores.
 */
export async function openRuntime(options: CommonOptions, warmUp?: OcrWarmUp): Promise<LocalRuntime> {
  try {
    defaultScanEngine();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  // Started before the heavier modules load, so that the threads' loading overlaps with all of the rest.
  const starting = warmUp && options.pipeline !== false
    ? import('../adapters/local/ocr/pooled-engine.js').then(({ createPooledOcrEngine }) => {
      const engine = createPooledOcrEngine({ threads: warmUp.threads, ...(warmUp.ppocrThreads ? { engine: { ppocrThreads: warmUp.ppocrThreads } } : {}) });
      engine.warmUp(warmUp);
      return engine;
    })
    : undefined;
  let closeLearning: (() => void) | undefined;
  try {
    const [{ createLogger }, { createLocalRuntime }, { openLocalLearning }] = await Promise.all([
      import('../platform/logger.js'),
      import('../platform/local-runtime.js'),
      import('../platform/local-learning.js'),
    ]);
    const logger = createLogger({ level: options.logLevel, destination: process.stderr, base: { app: 'ledgerx' } });
    // The registry (the shipped models/ imported as its seed on first use) serves the production versions and
    // re-checks its pointers every registryRefreshSeconds: a promotion reaches a running `serve` without a restart.
    const learning = await openLocalLearning({ dataDir: options.dataDir, seedDir: resolve(options.models ?? defaultModelsDir()), logger });
    closeLearning = () => learning.close();
    const ocrEngine = await starting;
    const runtime = createLocalRuntime({
      ...(ocrEngine ? { ocrEngine } : {}),
      dataDir: options.dataDir,
      einvoice: options.einvoice ?? true,
      pipeline: options.pipeline ?? true,
      ...(options.sqliteMapMb ? { sqliteMapMb: options.sqliteMapMb } : {}),
      ...(options.auditSampleRate !== undefined ? { pipelineConfig: { auditSampleRate: options.auditSampleRate } } : {}),
      logger,
      models: learning.serving(),
      predictionRetentionMs: learning.config.predictionRetentionDays * 86_400_000,
    });
    // Loads the production models in the background too; the OCR threads are already loading.
    if (warmUp && ocrEngine) runtime.warmUp(warmUp);
    return {
      ...runtime,
      async close() {
        await runtime.close();
        learning.close();
      },
    };
  } catch (err) {
    // E.g. another process holds the data folder: the threads started above must not keep this process alive.
    await (await starting?.catch(() => undefined))?.close();
    closeLearning?.();
    throw err;
  }
}

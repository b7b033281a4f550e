/**
 * The learning loop for CLI commands: the local ports (opened on the data dir, the shipped models/ as seed),
 * who is acting, and the job handlers a local runner or scheduler uses.
 */
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { JobHandler } from '../core/learning/jobs.js';
import { RegistryConflictError } from '../core/learning/model-registry.js';
import type { Logger } from '../core/ports.js';
import { createFsBlobStore } from '../adapters/local/fs-blob-store.js';
import { createLogger } from '../platform/logger.js';
import { openLocalLearning, type LocalLearning } from '../platform/local-learning.js';
import { UsageError } from './errors.js';
import { defaultModelsDir, type CommonOptions } from './runtime-options.js';

/** The local bucket that holds training snapshots (`<data-dir>/buckets/artifacts/training/snapshots/`). */
export const SNAPSHOT_BUCKET = 'artifacts';

export function cliLogger(common: CommonOptions, command: string): Logger {
  return createLogger({ level: common.logLevel, destination: process.stderr, base: { app: 'ledgerx', command } });
}

export async function openLearning(common: CommonOptions, logger: Logger): Promise<LocalLearning> {
  return openLocalLearning({ dataDir: common.dataDir, seedDir: resolve(common.models ?? defaultModelsDir()), logger });
}

/** Who is acting: `--actor`, else LEDGERX_ACTOR, else the OS user. */
export function actorOf(option: string | undefined): string {
  const actor = (option ?? process.env.LEDGERX_ACTOR ?? safeUser()).trim();
  if (!actor || actor.length > 200) throw new UsageError('--actor must be 1-200 characters');
  return actor;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'local-user';
  }
}

/** Registry rule violations are the user's to fix (exit 2), with the rule's message. */
export async function registryGuard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RegistryConflictError) throw new UsageError(`${err.code}: ${err.message}`);
    throw err;
  }
}

export interface LocalHandlerOptions {
  common: CommonOptions;
  learning: LocalLearning;
  logger: Logger;
  /** Dataset cache of the base corpus (default `<data-dir>/training`). */
  cacheDir?: string;
  reportsDir?: string;
  baseCount?: number;
  baseScans?: number;
}

/** The job kinds the local runtime knows: `retrain`, `prune-predictions` and `drift-check`. */
export async function localJobHandlers(options: LocalHandlerOptions): Promise<Record<string, JobHandler>> {
  const [{ createRetrainHandler }, { buildDataset, defaultCorpusSpecs }] = await Promise.all([
    import('../training/retrain.js'),
    import('../training/dataset.js'),
  ]);
  const { learning, logger, common } = options;
  const cfg = learning.config.retrain;
  const [{ openLocalMonitoring }, { createDriftCheckHandler }, { promotionHold }] = await Promise.all([
    import('../platform/local-monitoring.js'), import('../platform/monitoring.js'), import('../core/monitoring/ops-policy.js'),
  ]);
  const monitoring = openLocalMonitoring(learning, { dataDir: common.dataDir, logger });
  const retrain = createRetrainHandler({
    registry: learning.registry, artifacts: learning.artifacts, runs: learning.runs, labels: learning.labels, predictions: learning.predictions,
    blobs: createFsBlobStore(join(common.dataDir, 'buckets')), bucket: SNAPSHOT_BUCKET, config: learning.config,
    baseDataset: () => buildDataset({
      specs: defaultCorpusSpecs(cfg.seed, options.baseCount ?? cfg.baseCount, options.baseScans ?? cfg.baseScans),
      cacheDir: options.cacheDir ?? join(common.dataDir, 'training'),
      logger,
    }),
    reportsDir: options.reportsDir ?? join(common.dataDir, 'reports', 'models'),
    promotionHold: () => promotionHold(monitoring.ops, new Date()),
    logger,
    now: () => new Date(),
  });
  const prune: JobHandler = async (ctx) => {
    const deleted = await learning.predictions.prune(new Date());
    await ctx.progress({ counts: { deleted } });
    return { deleted };
  };
  const driftCheck = createDriftCheckHandler(monitoring.driftCheckDeps(logger));
  return { retrain, 'prune-predictions': prune, 'drift-check': driftCheck };
}

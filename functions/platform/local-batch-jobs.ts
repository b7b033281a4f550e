/**
 * The batch jobs on the embedded local stack: their ports are the local runtime's (SQLite records, the folder
 * bucket, the durable in-process bus) plus the `exports` bucket folder, and a job waits for each chunk of
 * revisions it started to settle before it checkpoints (bounded work in flight, a truthful progress bar).
 * Used by `ledgerx batch`, `ledgerx summary` and the scheduler inside `ledgerx serve`.
 */
import { SqliteDriftReportStore, SqliteOpsStore } from '../adapters/local/sqlite/monitoring-store.js';
import type { BatchDeps } from '../core/batch/deps.js';
import { createBatchHandlers } from '../core/batch/handlers.js';
import type { MonitoringReaders } from '../core/batch/monitoring-status.js';
import type { BatchKind } from '../core/batch/params.js';
import { SETTLED_STATUSES } from '../core/invoice/status.js';
import type { JobHandler } from '../core/learning/jobs.js';
import type { LocalLearning } from './local-learning.js';
import type { LocalRuntime } from './local-runtime.js';

/**
 * The memory map a batch job's process reads the database through: a job reads most records of a large table
 * (reprocess, backfill, sweep), which SQLite's small page cache cannot hold (see OpenDatabaseOptions.mmapMb).
 */
export const BATCH_SQLITE_MAP_MB = 256;

/** The local exports bucket: `<data-dir>/buckets/exports`. */
export const LOCAL_EXPORTS_BUCKET = 'exports';

export interface LocalBatchOptions {
  /** Pages per month the daily summary compares OCR usage with. */
  pageBudget?: number;
  /** The monitoring stores (localMonitoringReaders); without them the summary says "not configured". */
  monitoring?: MonitoringReaders;
  onProgress?: BatchDeps['onProgress'];
  /** How often a waiting job re-reads records it has heard nothing about (default 1 s). */
  pollMs?: number;
}

/**
 * The monitoring stores of the data folder (the drift check and `ledgerx ops` write them). The report pages are
 * linked from the summary page by a relative path: summaries/<day>/summary.html sits three folders below the
 * buckets folder, next to the artifacts bucket that holds the reports.
 */
export function localMonitoringReaders(learning: Pick<LocalLearning, 'db'>): MonitoringReaders {
  return {
    reports: new SqliteDriftReportStore(learning.db),
    ops: new SqliteOpsStore(learning.db),
    reportHref: (ref) => `../../../${ref.bucket}/${ref.name}`,
  };
}

/** The batch ports over a local runtime; `settled` listens to the runtime's settle events and polls as a fallback. */
export function localBatchDeps(runtime: LocalRuntime, options: LocalBatchOptions = {}): BatchDeps {
  const waiters = new Set<(invoiceId: string) => void>();
  runtime.onSettled((id) => waiters.forEach((w) => w(id)));
  const { store } = runtime;
  const isDone = async (t: { invoiceId: string; revision: number }) => {
    const r = await store.get(t.invoiceId);
    return !r || r.revision > t.revision || (r.revision === t.revision && SETTLED_STATUSES.has(r.status));
  };
  const settled: BatchDeps['settled'] = async (targets) => {
    const pending = new Map(targets.map((t) => [t.invoiceId, t]));
    const check = async (id: string) => {
      const t = pending.get(id);
      if (t && (await isDone(t))) pending.delete(id);
    };
    let wake: () => void = () => {};
    const waiter = (id: string) => {
      if (pending.has(id)) void check(id).then(() => wake());
    };
    waiters.add(waiter);
    try {
      for (const id of [...pending.keys()]) await check(id);
      while (pending.size > 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, options.pollMs ?? 1000);
        });
        if (pending.size > 0) for (const id of [...pending.keys()]) await check(id);
      }
    } finally {
      waiters.delete(waiter);
    }
  };
  return {
    pipeline: runtime.deps,
    exportsBucket: LOCAL_EXPORTS_BUCKET,
    usage: runtime.usage,
    settled,
    inlineStages: { settled: (invoiceId) => runtime.reportSettled(invoiceId), extractor: runtime.extractor },
    ...(options.pageBudget !== undefined ? { pageBudget: options.pageBudget } : {}),
    ...(options.monitoring ? { monitoring: options.monitoring } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
}

/** Job kind -> handler for the batch kinds on a local runtime. */
export function localBatchHandlers(runtime: LocalRuntime, options: LocalBatchOptions = {}): Record<BatchKind, JobHandler> {
  return createBatchHandlers(localBatchDeps(runtime, options));
}

/**
 * What `ledgerx serve` runs next to the pipeline: the local scheduler with the local job handlers (weekly
 * retraining, daily prediction-log pruning, the drift check every 6 hours; schedules from
 * `<data-dir>/learning.json`). One call:
 *
 *   const scheduler = await startServeScheduler(base);   // after openRuntime
 *   ...
 *   await scheduler.stop();                                // before runtime.close()
 */
import type { LocalRuntime } from '../platform/local-runtime.js';
import type { CommonOptions } from './runtime-options.js';
import { cliLogger, localJobHandlers, openLearning } from './learning.js';

export interface ServeScheduler {
  stop(): Promise<void>;
}

/** With `runtime` (serve's pipeline), the batch jobs too: hourly sweep, nightly export, daily summary (overridable in learning.json `schedules`). */
export async function startServeScheduler(common: CommonOptions, runtime?: LocalRuntime): Promise<ServeScheduler> {
  const { startLocalScheduler } = await import('../platform/local-scheduler.js');
  const logger = cliLogger(common, 'serve');
  const learning = await openLearning(common, logger);
  try {
    let handlers = await localJobHandlers({ common, learning, logger });
    const { DEFAULT_DRIFT_SCHEDULE } = await import('../platform/local-monitoring.js');
    let schedules: Record<string, string> = { 'drift-check': DEFAULT_DRIFT_SCHEDULE, ...learning.config.schedules };
    if (runtime) {
      const [{ localBatchHandlers, localMonitoringReaders }, { BATCH_SCHEDULES }] = await Promise.all([import('../platform/local-batch-jobs.js'), import('../core/batch/handlers.js')]);
      handlers = { ...handlers, ...localBatchHandlers(runtime, { monitoring: localMonitoringReaders(learning) }) };
      schedules = { ...BATCH_SCHEDULES, ...schedules };
    }
    const scheduler = startLocalScheduler({ jobs: learning.jobs, handlers, schedules, logger });
    return {
      async stop() {
        await scheduler.stop();
        learning.close();
      },
    };
  } catch (err) {
    learning.close();
    throw err;
  }
}

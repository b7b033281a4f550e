/**
 * What `ledgerx serve` runs next to the pipeline: the local scheduler with the local job handlers (weekly
 * retraining, daily prediction-log pruning, the drift check every 6 hours; schedules from
 * `<data-dir>/learning.json`). One call:
 *
 *   const scheduler = await startServeScheduler(base);   // after openRuntime
 *   ...
 *   await scheduler.stop();                                // before runtime.close()
 */
import type { CommonOptions } from './runtime-options.js';
import { cliLogger, localJobHandlers, openLearning } from './learning.js';

export interface ServeScheduler {
  stop(): Promise<void>;
}

export async function startServeScheduler(common: CommonOptions): Promise<ServeScheduler> {
  const { startLocalScheduler } = await import('../platform/local-scheduler.js');
  const logger = cliLogger(common, 'serve');
  const learning = await openLearning(common, logger);
  try {
    const handlers = await localJobHandlers({ common, learning, logger });
    const { DEFAULT_DRIFT_SCHEDULE } = await import('../platform/local-monitoring.js');
    const schedules = { 'drift-check': DEFAULT_DRIFT_SCHEDULE, ...learning.config.schedules };
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

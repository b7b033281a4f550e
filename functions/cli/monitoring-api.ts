/**
 * The monitoring routes of `ledgerx serve`'s API on the data dir: the ports open on the first request (their
 * own connection to the local database) and close with the server.
 */
import type { ApiModule } from '../api/modules.js';
import { monitoringModule, type MonitoringApiPorts } from '../api/routes/monitoring.js';
import { lazy } from '../core/lazy.js';
import type { LocalLearning } from '../platform/local-learning.js';
import { cliLogger, openLearning } from './learning.js';
import type { CommonOptions } from './runtime-options.js';

export function localMonitoringApi(common: CommonOptions): { module: ApiModule; close(): void } {
  let learning: LocalLearning | undefined;
  const ports = lazy(async (): Promise<MonitoringApiPorts> => {
    const logger = cliLogger(common, 'serve');
    learning = await openLearning(common, logger);
    const { openLocalMonitoring } = await import('../platform/local-monitoring.js');
    return openLocalMonitoring(learning, { dataDir: common.dataDir, logger });
  });
  return { module: monitoringModule(ports), close: () => learning?.close() };
}

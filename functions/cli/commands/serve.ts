import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { watch } from 'chokidar';
import type { Command } from 'commander';
import { SETTLED_STATUSES } from '../../core/invoice/status.js';
import { openRuntime, type CommonOptions } from '../runtime-options.js';
import { toResultLine } from '../result-view.js';
import { startServeScheduler } from '../scheduler.js';
import { UsageError } from '../errors.js';
import type { LocalApi } from '../../api/local/server.js';

interface ServeOptions {
  inbox?: string;
  einvoice?: boolean;
  api?: boolean;
  host: string;
  port?: string;
  corsOrigin?: string[];
  rateLimit?: string;
  auditRate?: string;
  webhooksAllowPrivate?: boolean;
  webhookAttempts?: string;
  webhookBackoffMs?: string;
  uploadTtl?: string;
}

const positiveInt = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a non-negative integer, not ${value}`);
  return Number(value);
};

export function define(command: Command, common: () => CommonOptions): void {
  command
    .option('--inbox <folder>', 'folder to watch (default: <data-dir>/drop)')
    .option('--no-einvoice', 'ignore embedded / standalone e-invoice XML')
    .option('--no-api', 'only watch the folder: no HTTP API')
    .option('--host <address>', 'loopback address of the HTTP API', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP API (0 = any free port; default 8787, or a free one when 8787 is taken)')
    .option('--cors-origin <origin...>', 'browser origins allowed to call the API (the web page)')
    .option('--rate-limit <n>', 'requests per minute per API key (default 100)')
    .option('--audit-rate <fraction>', 'share of auto-approved invoices sampled into the review queue (default 0.05)')
    .option('--webhooks-allow-private', 'allow webhook targets on loopback / private addresses (tests only)')
    .option('--webhook-attempts <n>', 'delivery attempts per webhook event (default 8)')
    .option('--webhook-backoff-ms <ms>', 'first retry delay of a webhook delivery, doubled per attempt (default 10000)')
    .option('--upload-ttl <seconds>', 'validity of signed upload URLs (default 900)')
    .action(async (opts: ServeOptions) => {
      const base = common();
      const inbox = resolve(opts.inbox ?? join(base.dataDir, 'drop'));
      await mkdir(inbox, { recursive: true });
      const port = positiveInt('--port', opts.port);
      const rateLimit = positiveInt('--rate-limit', opts.rateLimit);
      const auditRate = opts.auditRate === undefined ? undefined : Number(opts.auditRate);
      if (auditRate !== undefined && !(auditRate >= 0 && auditRate <= 1)) throw new UsageError('--audit-rate must be between 0 and 1');
      const attempts = positiveInt('--webhook-attempts', opts.webhookAttempts);
      const backoff = positiveInt('--webhook-backoff-ms', opts.webhookBackoffMs);
      const uploadTtl = positiveInt('--upload-ttl', opts.uploadTtl);
      const [{ isLoopbackHost }] = await Promise.all([import('../../api/local/server.js')]);
      if (opts.api !== false && !isLoopbackHost(opts.host)) throw new UsageError(`--host must be a loopback address (127.0.0.1, ::1, localhost), not ${opts.host}`);

      // The audit sample is drawn when an invoice is scored: the pipeline and the API share the rate.
      const runtime = await openRuntime(
        { ...base, einvoice: opts.einvoice, ...(auditRate !== undefined ? { auditSampleRate: auditRate } : {}) },
        { pdfs: true, scans: true },
      );
      // Scheduled jobs (retraining, prediction-log pruning) run inside serve, as Cloud Scheduler runs them on GCP.
      const scheduler = await startServeScheduler(base, runtime);
      const monitoringApi = (await import('../monitoring-api.js')).localMonitoringApi(base);
      const files = new Map<string, string>();
      const report = async (invoiceId: string) => {
        const file = files.get(invoiceId);
        if (!file) return;
        files.delete(invoiceId);
        process.stdout.write(JSON.stringify(toResultLine(file, await runtime.store.get(invoiceId))) + '\n');
      };
      runtime.onSettled((invoiceId) => void report(invoiceId));

      let api: LocalApi | undefined;
      if (opts.api !== false) {
        const [{ startLocalApi }, { createLogger }] = await Promise.all([import('../../api/local/server.js'), import('../../platform/logger.js')]);
        const retry = attempts !== undefined || backoff !== undefined
          ? { maxAttempts: attempts ?? 8, baseMs: backoff ?? 10_000, maxMs: Math.max(backoff ?? 10_000, 600_000) }
          : undefined;
        const start = (p: number) => startLocalApi({
          runtime,
          dataDir: base.dataDir,
          host: opts.host,
          port: p,
          settings: {
            ...(opts.corsOrigin ? { corsOrigins: opts.corsOrigin } : {}),
            ...(rateLimit !== undefined ? { rateLimitPerMinute: rateLimit } : {}),
            ...(auditRate !== undefined ? { auditSampleRate: auditRate } : {}),
            ...(opts.webhooksAllowPrivate ? { webhookAllowPrivateTargets: true } : {}),
            ...(uploadTtl ? { uploadTtlSeconds: uploadTtl } : {}),
          },
          webhookRetry: retry,
          modules: [monitoringApi.module],
          logger: createLogger({ level: base.logLevel, destination: process.stderr, base: { app: 'ledgerx' } }),
        });
        try {
          api = await start(port ?? 8787);
        } catch (err) {
          // The default port taken (another serve, another program): any free port, announced below. A port asked
          // for explicitly is not replaced.
          if (port !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
          api = await start(0);
        }
        process.stderr.write(`api: ${api.url} (OpenAPI: ${api.url}/v1/openapi.json)\n`);
        process.stderr.write(`admin key (shown once, valid until this server stops): ${api.adminKey}\n`);
      }

      // awaitWriteFinish: a file being copied in is only picked up once its size stopped changing.
      const watcher = watch(inbox, {
        ignoreInitial: false,
        ignored: (path) => relative(inbox, path).split(/[\\/]/).some((part) => part.startsWith('.')),
        awaitWriteFinish: { stabilityThreshold: 300, pollInterval: 100 },
      });
      // The initial scan sees every file already in the folder: those taken in by an earlier run (same name and
      // content) answer with their invoice, settled or resumed, and are not imported again.
      watcher.on('add', async (path) => {
        const rel = relative(inbox, path).split('\\').join('/');
        try {
          const { invoiceId, existing } = await runtime.submitFile(path, `drop/${rel}`);
          files.set(invoiceId, rel);
          const record = existing ? await runtime.store.get(invoiceId) : null;
          if (record && SETTLED_STATUSES.has(record.status)) await report(invoiceId);
        } catch (err) {
          process.stderr.write(`could not take ${rel}: ${(err as Error).message}\n`);
        }
      });
      // Announce only once the initial scan is done: a file dropped before that could be missed.
      await new Promise<void>((ready) => watcher.once('ready', () => ready()));
      process.stderr.write(`watching ${inbox}: drop invoices there (Ctrl+C to stop)\n`);
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await watcher.close();
      await scheduler.stop();
      await api?.close();
      monitoringApi.close();
      await runtime.close();
    });
}

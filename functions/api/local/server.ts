/**
 * The API on the local stack, served by `ledgerx serve` on a loopback address: the same app as the `api`
 * function, over the local runtime's ports (SQLite, the folder bucket, the in-process bus), plus what only the
 * local server has: HMAC-signed upload URLs it serves itself, `/metrics`, and an admin key made at each start.
 *
 * The admin key is printed once by the caller and stored hashed; the previous start's admin key is revoked, so
 * only the running server's key works. Webhooks are delivered by a subscription of the local bus
 * (`webhooks` on `invoice-scored`): durable, so deliveries pending at a kill resume at the next start.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { InvoiceScoredSchema, Topics } from '../../core/messages.js';
import { openLedgerDatabase } from '../../adapters/local/sqlite/migrations.js';
import { localSecret, SqliteApiKeyStore } from '../../adapters/local/sqlite/api-key-store.js';
import { SqliteWebhookStore } from '../../adapters/local/sqlite/webhook-store.js';
import { MemoryRateLimiter } from '../../adapters/local/memory-rate-limiter.js';
import type { LocalRuntime } from '../../platform/local-runtime.js';
import { errorFields, silentLogger } from '../../platform/logger.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../core/api/webhook-delivery.js';
import type { Logger } from '../../core/ports.js';
import { createApiApp } from '../app.js';
import { issueApiKey } from '../api-keys.js';
import type { ApiDeps, ApiSettings } from '../context.js';
import type { ApiModule } from '../modules.js';
import { defaultSettings } from '../settings.js';
import { localUploadTarget } from '../uploads.js';
import { pushedUpdates } from '../updates.js';
import { deliverInvoiceScored } from '../webhooks/deliver.js';
import { postToTarget } from '../webhooks/target.js';
import { createLocalMetrics } from './metrics.js';
import { localLearningModules } from './learning-modules.js';
import { createWebSite } from '../web-site.js';
import { repoRoot } from '../../platform/repo-root.js';
import { loadLocalLearningConfig } from '../../platform/local-learning.js';

export interface LocalApiOptions {
  runtime: LocalRuntime;
  dataDir: string;
  /** A loopback address only (default 127.0.0.1). */
  host?: string;
  /** 0 = any free port (default 8787). */
  port?: number;
  settings?: Partial<ApiSettings>;
  webhookRetry?: RetryPolicy;
  webhookTimeoutMs?: number;
  /** Route modules of stores built elsewhere (see functions/api/modules.ts). */
  modules?: ApiModule[];
  staticSite?: ApiDeps['staticSite'];
  logger?: Logger;
}

export interface LocalApi {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The admin key of this start (shown once). */
  adminKey: string;
  deps: ApiDeps;
  close(): Promise<void>;
}

const SERVE_ADMIN = 'serve';

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new Error(`the local API listens on loopback only, not ${host}`);
  const log = options.logger ?? silentLogger;
  const { runtime } = options;
  // Listen first: a taken port fails here, before anything is created (the caller may retry on another port).
  const target: { handler?: (request: Request) => Response | Promise<Response> } = {};
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: (request) => (target.handler ? target.handler(request) : new Response(null, { status: 503 })), hostname: host, port: options.port ?? 8787 }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  // A connection of the API's own to the runtime's database file (WAL: readers never wait for the pipeline).
  const db = openLedgerDatabase(join(options.dataDir, 'ledgerx.db'));
  const keys = new SqliteApiKeyStore(db);
  const webhooks = new SqliteWebhookStore(db);
  const clock = runtime.deps.clock;

  for (const key of await keys.list()) if (key.createdBy === SERVE_ADMIN && !key.revokedAt) await keys.revoke(key.id, clock.now().toISOString());
  const admin = issueApiKey('ledgerx serve admin', 'admin', SERVE_ADMIN, clock.now());
  await keys.create(admin.record);

  const uploadKey = localSecret(db, 'local-upload-hmac', () => randomBytes(32).toString('hex'));
  const updates = pushedUpdates();
  const metrics = createLocalMetrics(db, runtime.deps.models);
  runtime.onSettled((invoiceId) => {
    void runtime.store.get(invoiceId).then((record) => {
      if (!record) return;
      metrics.observe(record);
      updates.emit({ invoiceId, status: record.status, decision: record.decision?.decision, at: clock.now().toISOString() });
    }, (err: unknown) => log.warn('update read failed', errorFields(err)));
  });

  const settings: ApiSettings = { ...defaultSettings('local'), ...options.settings };
  const retry = options.webhookRetry ?? DEFAULT_RETRY_POLICY;
  const webhookLog = log.child({ component: 'webhooks' });
  const subscription = runtime.bus.subscribe(
    Topics.invoiceScored,
    'webhooks',
    async (message) => {
      await deliverInvoiceScored(
        {
          webhooks, clock, log: webhookLog, retry,
          post: (url, body, headers) => postToTarget(url, body, headers, { timeoutMs: options.webhookTimeoutMs ?? 10_000, allowPrivate: settings.webhookAllowPrivateTargets }),
        },
        InvoiceScoredSchema.parse(message),
      );
    },
    // The bus's own redelivery is the retry loop: its backoff follows the webhook policy, and its attempt budget
    // is larger than the policy's so that a message is acked by the policy (delivery failed), not dead-lettered.
    { maxAttempts: Math.max(10, retry.maxAttempts * 4), minBackoffMs: retry.baseMs, maxBackoffMs: retry.maxMs, concurrency: 4 },
  );

  const deps: ApiDeps = {
    runtime: 'local',
    store: runtime.store,
    blobs: runtime.blobs,
    buckets: { inbox: runtime.deps.config.buckets.inbox, artifacts: runtime.deps.config.buckets.artifacts },
    keys,
    webhooks,
    rateLimiter: new MemoryRateLimiter(),
    uploads: localUploadTarget(uploadKey, () => baseUrl),
    localUploadKey: uploadKey,
    users: new Map(),
    updates,
    metrics: () => metrics.render(),
    modules: [...localLearningModules(db, loadLocalLearningConfig(options.dataDir)), ...(options.modules ?? [])],
    staticSite: options.staticSite ?? createWebSite({ dirs: [join(repoRoot(), 'dist', 'web')], runtime: 'local' }),
    settings,
    clock,
    log: log.child({ component: 'api' }),
  };
  const app = createApiApp(deps);
  target.handler = (request) => app.fetch(request);
  return {
    url: baseUrl,
    adminKey: admin.key,
    deps,
    async close() {
      subscription.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      db.close();
    },
  };
}

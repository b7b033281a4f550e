/**
 * The GCP composition of the API (`api` function) and of webhook delivery (`webhooks` function): Firestore
 * stores, Cloud Storage, V4 signing as the function's own identity, Google ID token verification. Clients are
 * built on the first request (SDKs imported dynamically: registering the function loads none and does no I/O).
 */
import type { Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import type { PubSub } from '@google-cloud/pubsub';
import { createLogger } from '../../platform/logger.js';
import { createGcsUploadSigner } from '../../platform/gcp/signed-url.js';
import type { Env } from '../../platform/gcp/config.js';
import { Topics, type Topic } from '../../core/messages.js';
import type { EventBus, Logger } from '../../core/ports.js';
import type { ApiDeps } from '../context.js';
import type { ApiModule } from '../modules.js';
import { monitoringModule } from '../routes/monitoring.js';
import { ApiProblem } from '../problem.js';
import { lazy } from '../../core/lazy.js';
import { parseBootstrapKeys } from '../api-keys.js';
import { createGoogleIdTokenVerifier } from '../id-token.js';
import { defaultSettings } from '../settings.js';
import { gcsUploadTarget } from '../uploads.js';
import { polledUpdates } from '../updates.js';
import { loadApiConfig, loadWebhooksConfig, type ApiFunctionConfig, type WebhooksFunctionConfig } from './config.js';
import type { WebhookWorkerDeps } from '../webhooks/deliver.js';
import { postToTarget } from '../webhooks/target.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebSite } from '../web-site.js';

export interface GcpClients {
  firestore: Firestore;
  storage: Storage;
  /** Injected Google certificates (tests); default: Google's, fetched by the library. */
  certs?: () => Promise<Record<string, string>>;
  logger?: Logger;
}

async function defaultClients(projectId: string, databaseId: string): Promise<GcpClients> {
  const [{ Firestore }, { Storage }] = await Promise.all([import('@google-cloud/firestore'), import('@google-cloud/storage')]);
  return {
    firestore: new Firestore({ projectId, databaseId, ignoreUndefinedProperties: true }),
    storage: new Storage({ projectId }),
  };
}

/**
 * Route modules of stores built elsewhere, on GCP (see functions/api/modules.ts). The learning-loop stores
 * plug in here, e.g. `(db) => [reviewsModule(new FirestoreReviewLabelStore(db))]`.
 */
export const GCP_MODULES: Array<(db: Firestore, clients: Pick<GcpClients, 'storage'>) => ApiModule> = [
  // Monitoring (drift reports, performance, operations log): configured from the function's environment on the
  // first request; a deployment without it answers 501 NOT_AVAILABLE on those routes.
  (db, { storage }) => monitoringModule(lazy(async () => {
    const [{ gcpMonitoring }, { loadMonitoringConfig }, { ConfigError }, { PubSub }, { createGcsBlobStore }] = await Promise.all([
      import('../../platform/gcp/runtimes/drift-check.js'), import('../../platform/gcp/monitoring-config.js'), import('../../platform/gcp/config.js'),
      import('@google-cloud/pubsub'), import('../../adapters/gcp/gcs-blob-store.js'),
    ]);
    let config;
    try {
      config = loadMonitoringConfig('api');
    } catch (err) {
      if (err instanceof ConfigError) throw new ApiProblem('NOT_AVAILABLE', 'monitoring is not configured on this deployment');
      throw err;
    }
    const topic = new PubSub({ projectId: config.projectId }).topic(config.retrainTopic);
    const log = createLogger({ level: config.logLevel, base: { function: 'api', environment: config.environment } });
    return gcpMonitoring({ config, db, blobs: createGcsBlobStore(storage), log, publishRetrain: (data) => topic.publishMessage({ data }) });
  })),
];

/** The api function's ports from its config (and clients, injectable for tests). */
export async function createGcpApiDeps(config: ApiFunctionConfig, clients?: GcpClients): Promise<ApiDeps> {
  const c = clients ?? (await defaultClients(config.projectId, config.databaseId));
  const [
    { FirestoreInvoiceStore }, { FirestoreApiKeyStore }, { FirestoreWebhookStore }, { FirestoreRateLimiter }, { createGcsBlobStore }, { createFirestoreUsageCounter },
  ] = await Promise.all([
    import('../../adapters/gcp/firestore-invoice-store.js'),
    import('../../adapters/gcp/firestore-api-key-store.js'),
    import('../../adapters/gcp/firestore-webhook-store.js'),
    import('../../adapters/gcp/firestore-rate-limiter.js'),
    import('../../adapters/gcp/gcs-blob-store.js'),
    import('../../adapters/gcp/usage-counter.js'),
  ]);
  const log = c.logger ?? createLogger({ level: config.logLevel, base: { function: 'api', environment: config.environment } });
  const clock = { now: () => new Date() };
  const store = new FirestoreInvoiceStore(c.firestore, { collection: config.invoicesCollection, clock });
  const defaults = defaultSettings('gcp');
  return {
    runtime: 'gcp',
    store,
    blobs: createGcsBlobStore(c.storage),
    buckets: { inbox: config.inboxBucket, artifacts: config.artifactsBucket },
    keys: new FirestoreApiKeyStore(c.firestore),
    webhooks: new FirestoreWebhookStore(c.firestore),
    rateLimiter: new FirestoreRateLimiter(c.firestore),
    uploads: gcsUploadTarget(createGcsUploadSigner(c.storage)),
    idTokens: config.oauthClientId ? createGoogleIdTokenVerifier({ audience: config.oauthClientId, certs: c.certs }) : undefined,
    users: config.users,
    bootstrapKeys: parseBootstrapKeys(config.bootstrapKeysText),
    usage: createFirestoreUsageCounter(c.firestore),
    updates: polledUpdates(store, { intervalMs: 5_000, now: clock.now, log }),
    // The web app: beside the bundle (dist/functions/api/web), or the repository's build when run from source.
    staticSite: createWebSite({
      dirs: [join(dirname(fileURLToPath(import.meta.url)), 'web'), join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'web')],
      runtime: 'gcp', oauthClientId: config.oauthClientId, connectSources: ['https://storage.googleapis.com'],
    }),
    modules: [...(await import('./learning-modules.js')).gcpLearningModules(c.firestore, config), ...GCP_MODULES.map((m) => m(c.firestore, { storage: c.storage }))],
    settings: {
      ...defaults,
      rateLimitPerMinute: config.rateLimitPerMinute,
      userRateLimitPerMinute: config.userRateLimitPerMinute,
      corsOrigins: config.corsOrigins,
      maxUploadBytes: config.maxUploadBytes,
      maxDirectUploadBytes: config.maxDirectUploadBytes,
      uploadTtlSeconds: config.uploadTtlSeconds,
      uploadPrefix: config.uploadPrefix,
      auditSampleRate: config.auditSampleRate,
      maxWaitSeconds: config.maxWaitSeconds,
    },
    clock,
    log,
  };
}

export async function createGcpApiDepsFromEnv(env: Env = process.env): Promise<ApiDeps> {
  return createGcpApiDeps(loadApiConfig(env));
}

export interface WebhooksRuntime {
  worker: WebhookWorkerDeps;
  bus: EventBus;
  log: Logger;
  config: WebhooksFunctionConfig;
}

/** The webhooks function's ports: the webhook store, a bus for dead letters, the guarded sender. */
export async function createWebhooksRuntime(env: Env = process.env, clients?: { firestore: Firestore; pubsub: PubSub; logger?: Logger }): Promise<WebhooksRuntime> {
  const config = loadWebhooksConfig(env);
  const [{ FirestoreWebhookStore }, { createPubSubBus }] = await Promise.all([
    import('../../adapters/gcp/firestore-webhook-store.js'),
    import('../../adapters/gcp/pubsub-bus.js'),
  ]);
  let firestore = clients?.firestore;
  let pubsub = clients?.pubsub;
  if (!firestore || !pubsub) {
    const [{ Firestore }, { PubSub }] = await Promise.all([import('@google-cloud/firestore'), import('@google-cloud/pubsub')]);
    firestore ??= new Firestore({ projectId: config.projectId, databaseId: config.databaseId, ignoreUndefinedProperties: true });
    pubsub ??= new PubSub({ projectId: config.projectId });
  }
  const log = clients?.logger ?? createLogger({ level: config.logLevel, base: { function: 'webhooks', environment: config.environment } });
  // This function publishes dead letters only; the other topics are named for completeness of the map.
  const topics = Object.fromEntries(Object.values(Topics).map((t) => [t, t])) as Record<Topic, string>;
  topics[Topics.deadLetter] = config.deadLetterTopic;
  return {
    config,
    log,
    bus: createPubSubBus(pubsub, topics),
    worker: {
      webhooks: new FirestoreWebhookStore(firestore),
      clock: { now: () => new Date() },
      log,
      retry: { maxAttempts: config.maxAttempts, baseMs: 10_000, maxMs: 600_000 },
      // On GCP targets are always checked: private, loopback and link-local addresses are refused (SSRF).
      post: (url, body, headers) => postToTarget(url, body, headers, { timeoutMs: config.timeoutMs, allowPrivate: false }),
    },
  };
}

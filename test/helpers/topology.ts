/**
 * The deployed topology on one machine, shared by the emulated-topology test and the cold-start benchmark:
 *
 *   Cloud Storage test server --notification (JSON_API_V1)--> Pub/Sub emulator `object-finalized`
 *     --push (dead-letter policy)--> ocr --ocr-completed--> features --features-computed--> inference
 *     -> Firestore emulator (SCORED) + invoice-scored;  ocr -> fake Document AI (gRPC)
 *
 * Each function runs as deployed: its bundle (dist/functions/<name>, built by `npm run build`) in a child
 * process under the functions-framework runner, configured only through the environment Terraform sets (names
 * as in infra/modules/pipeline/functions.tf), pointed at the emulators, the Cloud Storage test server and the
 * fake Document AI.
 *
 * The Pub/Sub emulator honours dead-letter policies but does not send `deliveryAttempt` in push bodies, which
 * Pub/Sub does for every subscription with a dead-letter policy. Push endpoints therefore go through a small
 * proxy that counts deliveries per subscription and message and adds the field, as the service would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { FirestoreInvoiceStore } from '../../functions/adapters/gcp/firestore-invoice-store.js';
import type { InvoiceStatus } from '../../functions/core/invoice/status.js';
import { invoiceIdFor } from '../../functions/core/pipeline/invoice-id.js';
import { startGcsTestServer, storageNotificationOf, type GcsTestServer } from '../gcs-server/server.js';
import { freePort, startEmulator, type RunningEmulator } from './emulators.js';
import { startFakeDocumentAi, type FakeDocumentAi } from './fake-documentai.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
const RUNNER = path.join(REPO, 'node_modules/@google-cloud/functions-framework/build/src/main.js');

export const PROJECT = 'ledgerx-e2e';
export const BUCKETS = { inbox: 'ledgerx-e2e-inbox', artifacts: 'ledgerx-e2e-artifacts', models: 'ledgerx-e2e-models', exports: 'ledgerx-e2e-exports' };
/** Topic ids as Terraform names them (local.topic_names). */
export const TOPICS = {
  objectFinalized: 'object-finalized',
  ocrCompleted: 'ocr-completed',
  features: 'features-computed',
  scored: 'invoice-scored',
  retrain: 'retrain-requested',
  deadLetter: 'dead-letter',
} as const;
export const DEAD_LETTER_HOLD = 'dead-letter-hold';
export const PROCESSOR_VERSION = `projects/${PROJECT}/locations/eu/processors/invoice/processorVersions/pretrained-invoice-v2.0-2023-12-06`;
export type FunctionName = 'ocr' | 'features' | 'inference' | 'upload-url';
const SOURCE_TOPIC: Record<Exclude<FunctionName, 'upload-url'>, string> = {
  ocr: TOPICS.objectFinalized,
  features: TOPICS.ocrCompleted,
  inference: TOPICS.features,
};

/**
 * Fails when a bundle is missing or older than a source file: the topology would test stale code.
 */
export function assertBundlesFresh(names: readonly FunctionName[]): void {
  const newest = (dir: string): number =>
    readdirSync(dir).reduce((latest, entry) => {
      const full = path.join(dir, entry);
      const stat = statSync(full);
      return Math.max(latest, stat.isDirectory() ? newest(full) : entry.endsWith('.ts') ? stat.mtimeMs : 0);
    }, 0);
  const sources = newest(path.join(REPO, 'functions'));
  for (const name of names) {
    const bundle = path.join(REPO, 'dist/functions', name, 'index.js');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
    if (statSync(bundle).mtimeMs < sources) throw new Error(`dist/functions/${name} is older than functions/: run \`npm run build\` first`);
  }
}

/** One function bundle running under the functions-framework runner. */
export interface RunningFunction {
  name: FunctionName;
  url: string;
  pid: number;
  /** When the process was spawned (performance.now()). */
  spawnedAt: number;
  /** Everything it wrote to stdout and stderr (its JSON log lines). */
  output(): string;
  /** Peak resident memory so far (VmHWM of /proc/<pid>/status), MiB; NaN where /proc is absent. */
  peakRssMiB(): number;
  /**
   * CPU time the process has used so far (user + system, /proc/<pid>/stat, 10 ms ticks), ms; NaN where /proc is
   * absent. Unlike wall time it does not grow when other processes hold the cores.
   */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Spawns `dist/functions/<name>` under the runner on a free port; resolves once it listens. */
export async function startFunction(name: FunctionName, env: Record<string, string>, nodeArgs: string[] = []): Promise<RunningFunction> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, RUNNER, `--target=${name}`, `--source=${path.join(REPO, 'dist/functions', name)}`, `--port=${port}`],
    { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const collect = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-200_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${out.slice(-3000)}`)), 60_000);
    const check = () => {
      if (/URL: http/.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before serving:\n${out.slice(-3000)}`));
    });
  });
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    spawnedAt,
    output: () => out,
    peakRssMiB() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) / 1024 : Number.NaN;
      } catch {
        return Number.NaN;
      }
    },
    cpuMs() {
      try {
        // Fields after the parenthesized command name: state is field 3, utime 14, stime 15.
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) * 10;
      } catch {
        return Number.NaN;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Adds `deliveryAttempt` to the push bodies it forwards (`/<function>/<path>` -> that function's URL + path),
 * counting deliveries per subscription and message id like Pub/Sub does for subscriptions with a dead-letter
 * policy; answers with the function's status.
 */
async function startAttemptProxy(targets: () => Partial<Record<FunctionName, string>>): Promise<{ url: string; close(): Promise<void> }> {
  const attempts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const [, fn = '', ...rest] = (req.url ?? '/').split('/');
        const target = targets()[fn as FunctionName];
        if (!target) return void res.writeHead(404).end();
        let body = Buffer.concat(chunks).toString('utf8');
        try {
          const push = JSON.parse(body) as { subscription?: string; message?: { messageId?: string }; deliveryAttempt?: number };
          const key = `${push.subscription}|${push.message?.messageId}`;
          const attempt = (attempts.get(key) ?? 0) + 1;
          attempts.set(key, attempt);
          body = JSON.stringify({ ...push, deliveryAttempt: attempt });
        } catch {
          // Not a push body: forwarded as it came.
        }
        const answer = await fetch(`${target}/${rest.join('/')}`, { method: req.method, headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') }, body });
        res.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer()));
      })().catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TopologyOptions {
  /** The pipeline functions to run behind push subscriptions (default ocr, features, inference). */
  functions?: Array<Exclude<FunctionName, 'upload-url'>>;
  /** Push subscriptions per topic: every message is delivered this many times (at-least-once taken seriously). */
  copies?: number;
  /** The subscriptions' max_delivery_attempts (Pub/Sub's minimum is 5). */
  maxDeliveryAttempts?: number;
  /** Install the repository's production models in the models bucket (default true). */
  models?: boolean;
  /** Extra environment of every function. */
  env?: Record<string, string>;
}

export interface Topology {
  pubsub: PubSub;
  storage: Storage;
  db: Firestore;
  invoices: FirestoreInvoiceStore;
  gcs: GcsTestServer;
  docai: FakeDocumentAi;
  emulators: { pubsub: RunningEmulator; firestore: RunningEmulator };
  /** The environment every function gets (Terraform's names), pointing at the local stand-ins. */
  env: Record<string, string>;
  functions: Partial<Record<FunctionName, RunningFunction>>;
  /** Uploads into the inbox as an upload would (finalize -> notification); returns the invoice id. */
  upload(name: string, bytes: Uint8Array, contentType: string): Promise<{ invoiceId: string; generation: string }>;
  /** Polls Firestore until every invoice is in one of `statuses`; returns the last statuses seen. */
  waitFor(invoiceIds: readonly string[], statuses: readonly InvoiceStatus[], timeoutMs?: number): Promise<Array<InvoiceStatus | undefined>>;
  /** Messages of `subscription` (a pull subscription), acked, once nothing arrived for `quietMs`. */
  drain(subscription: string, quietMs?: number): Promise<unknown[]>;
  close(): Promise<void>;
}

/** The environment Terraform gives every function (common_env + the function's own), for these stand-ins. */
export function functionEnv(hosts: { pubsub: string; firestore: string; storage: string; docai: string }, maxDeliveryAttempts: number): Record<string, string> {
  return {
    METADATA_SERVER_DETECTION: 'none',
    PUBSUB_EMULATOR_HOST: hosts.pubsub,
    FIRESTORE_EMULATOR_HOST: hosts.firestore,
    STORAGE_EMULATOR_HOST: hosts.storage,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    LEDGERX_RUNTIME: 'gcp',
    LEDGERX_ENVIRONMENT: 'e2e',
    LEDGERX_REGION: 'europe-west1',
    LEDGERX_LOG_LEVEL: 'warn',
    LEDGERX_INBOX_BUCKET: BUCKETS.inbox,
    LEDGERX_ARTIFACTS_BUCKET: BUCKETS.artifacts,
    LEDGERX_MODELS_BUCKET: BUCKETS.models,
    LEDGERX_EXPORTS_BUCKET: BUCKETS.exports,
    LEDGERX_FIRESTORE_DATABASE: '(default)',
    LEDGERX_COLLECTION_INVOICES: 'invoices',
    LEDGERX_COLLECTION_IDEMPOTENCY: 'idempotency',
    LEDGERX_TOPIC_OBJECT_FINALIZED: TOPICS.objectFinalized,
    LEDGERX_TOPIC_OCR_COMPLETED: TOPICS.ocrCompleted,
    LEDGERX_TOPIC_FEATURES: TOPICS.features,
    LEDGERX_TOPIC_INVOICE_SCORED: TOPICS.scored,
    LEDGERX_TOPIC_RETRAIN: TOPICS.retrain,
    LEDGERX_TOPIC_DEAD_LETTER: TOPICS.deadLetter,
    LEDGERX_MAX_EVENT_AGE_MS: String(6 * 3600_000),
    LEDGERX_MAX_DELIVERY_ATTEMPTS: String(maxDeliveryAttempts),
    // ocr (Terraform: event_functions.ocr.env); the quota share of one instance out of ten.
    LEDGERX_DOCAI_LOCATION: 'eu',
    LEDGERX_DOCAI_PROCESSOR_VERSION: PROCESSOR_VERSION,
    LEDGERX_DOCAI_REQUESTS_PER_MINUTE: '60',
    LEDGERX_DOCAI_BATCH_ENABLED: 'false',
    LEDGERX_DOCAI_ENDPOINT: hosts.docai,
    LEDGERX_UPLOAD_MAX_BYTES: String(40 * 1024 * 1024),
  };
}

/** Copies the registry and the production versions of the repository's models/ into the models bucket. */
export async function installModels(storage: Storage): Promise<number> {
  const dir = path.join(REPO, 'models');
  const registry = JSON.parse(readFileSync(path.join(dir, 'registry.json'), 'utf8')) as { models: Record<string, { versions: Array<{ version: string; stage: string }> }> };
  const bucket = storage.bucket(BUCKETS.models);
  let files = 0;
  await bucket.file('registry.json').save(readFileSync(path.join(dir, 'registry.json')), { resumable: false });
  for (const [model, entry] of Object.entries(registry.models)) {
    const prod = entry.versions.find((v) => v.stage === 'production');
    if (!prod) continue;
    const folder = path.join(dir, model, prod.version);
    for (const file of readdirSync(folder)) {
      if (statSync(path.join(folder, file)).isDirectory()) continue;
      await bucket.file(`${model}/${prod.version}/${file}`).save(readFileSync(path.join(folder, file)), { resumable: false });
      files++;
    }
  }
  return files;
}

/** Starts the emulators, the Cloud Storage test server, the fake Document AI and the function bundles. */
export async function startTopology(options: TopologyOptions = {}): Promise<Topology> {
  const names = options.functions ?? ['ocr', 'features', 'inference'];
  const copies = options.copies ?? 1;
  const maxDeliveryAttempts = options.maxDeliveryAttempts ?? 5;
  assertBundlesFresh(names);
  const cleanup: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  };
  try {
    const [ps, fs, docai] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore'), startFakeDocumentAi()]);
    cleanup.push(() => ps.stop(), () => fs.stop(), () => docai.close());
    process.env.PUBSUB_EMULATOR_HOST = ps.host;
    process.env.FIRESTORE_EMULATOR_HOST = fs.host;
    const pubsub = new PubSub({ projectId: PROJECT });
    cleanup.push(() => pubsub.close());

    const gcs = await startGcsTestServer({
      buckets: Object.values(BUCKETS),
      onFinalize: async (event) => {
        if (event.data.bucket !== BUCKETS.inbox) return;
        const { data, attributes } = storageNotificationOf(event, `projects/_/buckets/${BUCKETS.inbox}/notificationConfigs/1`);
        await pubsub.topic(TOPICS.objectFinalized).publishMessage({ data, attributes });
      },
    });
    cleanup.push(() => gcs.close());
    process.env.STORAGE_EMULATOR_HOST = gcs.url;
    const storage = new Storage({ projectId: PROJECT });
    if (options.models ?? true) await installModels(storage);

    for (const topic of Object.values(TOPICS)) await pubsub.createTopic(topic);
    await pubsub.topic(TOPICS.deadLetter).createSubscription(DEAD_LETTER_HOLD, { ackDeadlineSeconds: 60 });
    await pubsub.topic(TOPICS.scored).createSubscription('scored-observer');

    const env = { ...functionEnv({ pubsub: ps.host, firestore: fs.host, storage: gcs.url, docai: docai.endpoint }, maxDeliveryAttempts), ...options.env };
    const functions: Partial<Record<FunctionName, RunningFunction>> = {};
    const started = await Promise.all(names.map((name) => startFunction(name, env)));
    for (const f of started) {
      functions[f.name] = f;
      cleanup.push(() => f.stop());
    }
    const proxy = await startAttemptProxy(() => Object.fromEntries(Object.values(functions).map((f) => [f.name, f.url])));
    cleanup.push(() => proxy.close());
    // As pubsub.tf: one push subscription per function on its source topic, with a dead-letter policy and
    // backoff (the emulator shortens nothing: short bounds keep the test fast).
    for (const name of names) {
      for (let i = 0; i < copies; i++) {
        await pubsub.topic(SOURCE_TOPIC[name]).createSubscription(`${SOURCE_TOPIC[name]}-to-${name}${i ? `-${i}` : ''}`, {
          pushConfig: { pushEndpoint: `${proxy.url}/${name}/projects/${PROJECT}/topics/${SOURCE_TOPIC[name]}` },
          ackDeadlineSeconds: 60,
          deadLetterPolicy: { deadLetterTopic: pubsub.topic(TOPICS.deadLetter).name, maxDeliveryAttempts },
          retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 2 } },
        });
      }
    }

    const db = new Firestore({ projectId: PROJECT });
    cleanup.push(() => db.terminate());
    const invoices = new FirestoreInvoiceStore(db, { collection: 'invoices' });

    return {
      pubsub, storage, db, invoices, gcs, docai, env, functions,
      emulators: { pubsub: ps, firestore: fs },
      async upload(name, bytes, contentType) {
        const file = storage.bucket(BUCKETS.inbox).file(name);
        await file.save(Buffer.from(bytes), { contentType, resumable: false });
        const generation = String(file.metadata.generation);
        return { invoiceId: invoiceIdFor(BUCKETS.inbox, name, generation), generation };
      },
      async waitFor(ids, statuses, timeoutMs = 120_000) {
        const deadline = Date.now() + timeoutMs;
        const current = () => Promise.all(ids.map(async (id) => (await invoices.get(id))?.status));
        let seen = await current();
        while (Date.now() < deadline && !seen.every((s) => s !== undefined && statuses.includes(s))) {
          await new Promise((r) => setTimeout(r, 300));
          seen = await current();
        }
        return seen;
      },
      async drain(subscription, quietMs = 2_000) {
        const out: unknown[] = [];
        const sub = pubsub.subscription(subscription);
        let last = Date.now();
        const onMessage = (m: { data: Buffer; ack(): void }) => {
          out.push(JSON.parse(m.data.toString('utf8')) as unknown);
          m.ack();
          last = Date.now();
        };
        sub.on('message', onMessage);
        while (Date.now() - last < quietMs) await new Promise((r) => setTimeout(r, 200));
        sub.removeListener('message', onMessage);
        await sub.close();
        return out;
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

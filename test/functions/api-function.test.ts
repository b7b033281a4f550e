/**
 * The `api` function as Cloud Functions runs it: functions-framework (which parses the body first; the app reads
 * `req.rawBody`), over the GCP adapters: Firestore (emulator), Cloud Storage (the test server, which checks V4
 * signatures), Google ID tokens verified against certificates injected here. Two app instances share one
 * Firestore to show the rate limit holds across instances. The `webhooks` function refuses loopback targets.
 * Without the Cloud SDK's Firestore emulator the suite skips with a message.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { Firestore } from '@google-cloud/firestore';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApiHandler } from '../../functions/api.js';
import { makeWebhooksHandler } from '../../functions/webhooks.js';
import { loadApiConfig } from '../../functions/api/gcp/config.js';
import { createGcpApiDeps } from '../../functions/api/gcp/runtime.js';
import { OPENAPI_PATH } from '../../functions/api/app.js';
import { ACCESS_EXTENSION } from '../../functions/api/modules.js';
import { issueApiKey } from '../../functions/api/api-keys.js';
import { postToTarget } from '../../functions/api/webhooks/target.js';
import type { ApiDeps } from '../../functions/api/context.js';
import type { FirestoreInvoiceStore } from '../../functions/adapters/gcp/firestore-invoice-store.js';
import { FirestoreWebhookStore } from '../../functions/adapters/gcp/firestore-webhook-store.js';
import { Topics } from '../../functions/core/messages.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { emulatorAvailable, startEmulator, type RunningEmulator } from '../helpers/emulators.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { makeRecord } from '../contracts/invoice-records.js';
import { AUDIENCE, googleKeys, mintIdToken, tinyPdf } from '../api/helpers.js';
import { binaryMode, pubsubPublishedEvent } from './cloud-events.js';
import { createRecordingBus, serveFunction } from './fakes.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const PROJECT = 'ledgerx-test';
const EMAIL = 'ledgerx-api@ledgerx-test.iam.gserviceaccount.com';
const firestoreReady = emulatorAvailable('firestore');
if (!firestoreReady) console.warn('[api-function] Firestore emulator not installed (Cloud SDK): suite skipped');

describe.skipIf(!firestoreReady)('api function on functions-framework, Firestore emulator and the Cloud Storage test server', () => {
  let emulator: RunningEmulator;
  let firestore: Firestore;
  let gcs: GcsTestServer;
  let storage: Storage;
  const google = googleKeys();
  const servers: Array<{ url: string; close(): Promise<void> }> = [];
  let adminKey = '';

  const env = (extra: Record<string, string> = {}) => ({
    GOOGLE_CLOUD_PROJECT: PROJECT, LEDGERX_INBOX_BUCKET: 'inbox', LEDGERX_ARTIFACTS_BUCKET: 'artifacts', LEDGERX_OAUTH_CLIENT_ID: AUDIENCE,
    LEDGERX_API_USERS: JSON.stringify({ 'viewer@example.com': 'viewer', 'admin@example.com': 'admin' }), LEDGERX_LOG_LEVEL: 'silent', ...extra,
  });
  async function instance(name: string, extraEnv: Record<string, string> = {}): Promise<{ url: string; deps: ApiDeps }> {
    const deps = await createGcpApiDeps(loadApiConfig(env(extraEnv)), { firestore, storage, certs: async () => google.certs, logger: silentLogger });
    http(name, makeApiHandler(async () => deps));
    const server = getTestServer(name);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const handle = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
    servers.push(handle);
    return { url: handle.url, deps };
  }

  beforeAll(async () => {
    emulator = await startEmulator('firestore');
    process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
    firestore = new Firestore({ projectId: PROJECT, ignoreUndefinedProperties: true });
    // The monitoring routes configure themselves from the function's environment (Terraform's common_env).
    Object.assign(process.env, { GOOGLE_CLOUD_PROJECT: PROJECT, LEDGERX_MODELS_BUCKET: 'models', LEDGERX_ARTIFACTS_BUCKET: 'artifacts', LEDGERX_LOG_LEVEL: 'silent' });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    gcs = await startGcsTestServer({ buckets: ['inbox', 'artifacts'], signers: { [EMAIL]: { publicKey } } });
    storage = new Storage({ projectId: PROJECT, apiEndpoint: gcs.url, credentials: { client_email: EMAIL, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } });
    const issued = issueApiKey('bootstrap admin', 'admin', 'test', new Date());
    adminKey = issued.key;
    // Seeded the way the bootstrap secret would be: name, role, id and hash only.
    process.env.__LEDGERX_TEST_BOOT = `ops:admin:${issued.record.id}:${issued.record.secretSha256}`;
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) await s.close();
    await firestore?.terminate();
    await emulator?.stop();
    await gcs?.close();
  });

  it('serves every documented route through functions-framework with roles enforced (ID tokens and a bootstrap key)', async () => {
    const { url, deps } = await instance('api-t1', { LEDGERX_API_TOKENS: process.env.__LEDGERX_TEST_BOOT! });
    const store = deps.store as FirestoreInvoiceStore;
    await store.createIfAbsent(makeRecord({ id: 'inv_fs_1', at: 1, status: 'SCORED', decision: 'REVIEW', reasons: ['DUP_NEAR'], supplierKey: 'name:acme' }));
    await store.createIfAbsent(makeRecord({ id: 'inv_fs_2', at: 2, status: 'SCORED', decision: 'APPROVE', supplierKey: 'name:acme' }));
    const doc = (await (await fetch(`${url}${OPENAPI_PATH}`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const viewer = mintIdToken(google.privateKey, google.kid, { email: 'viewer@example.com' });
    const now = Math.floor(Date.now() / 1000);
    const expired = mintIdToken(google.privateKey, google.kid, { email: 'admin@example.com', iat: now - 7200, exp: now - 3600 });
    const failures: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const access = String(op[ACCESS_EXTENSION]);
        const target = url + path.replace('/v1/webhooks/{id}', '/v1/webhooks/wh_0000000000').replace('/v1/api-keys/{id}', '/v1/api-keys/00000000ff').replace('{id}', 'inv_missing').replace('{page}', '1');
        const send = async (authorization?: string) => {
          const res = await fetch(target, { method: method.toUpperCase(), headers: { ...(authorization ? { authorization } : {}), ...(method === 'get' ? {} : { 'content-type': 'application/json' }) }, body: method === 'get' || method === 'delete' ? undefined : '{}' });
          const body = res.headers.get('content-type')?.includes('json') ? ((await res.json()) as { code?: string }) : (await res.body?.cancel(), {});
          return { status: res.status, code: body.code };
        };
        if (access === 'public') continue;
        const none = await send();
        if (none.status !== 401) failures.push(`${method} ${path} without credentials: ${none.status}`);
        const old = await send(`Bearer ${expired}`);
        if (old.code !== 'EXPIRED_CREDENTIALS') failures.push(`${method} ${path} expired: ${old.status} ${old.code}`);
        const asViewer = await send(`Bearer ${viewer}`);
        if (access === 'viewer' ? [401, 403].includes(asViewer.status) || asViewer.status >= 500 && asViewer.code !== 'NOT_AVAILABLE' : asViewer.code !== 'FORBIDDEN') failures.push(`${method} ${path} as viewer: ${asViewer.status} ${asViewer.code}`);
        const asAdmin = await send(`Bearer ${adminKey}`);
        if ([401, 403, 429].includes(asAdmin.status) || asAdmin.status >= 500) failures.push(`${method} ${path} as admin: ${asAdmin.status} ${asAdmin.code}`);
      }
    }
    expect(failures).toEqual([]);
    const list = (await (await fetch(`${url}/v1/invoices?decision=REVIEW&reason=DUP_NEAR&supplier=Acme`, { headers: { authorization: `Bearer ${viewer}` } })).json()) as { items: Array<{ invoiceId: string }> };
    expect(list.items.map((i) => i.invoiceId)).toEqual(['inv_fs_1']);
    const health = await fetch(`${url}/v1/health`);
    expect(health.headers.get('strict-transport-security')).toContain('max-age');
  });

  it('takes a direct upload from the raw body into the inbox bucket, and signs V4 URLs bound to the exact size', async () => {
    const { url } = await instance('api-t2', { LEDGERX_API_TOKENS: process.env.__LEDGERX_TEST_BOOT! });
    const pdf = tinyPdf('gcp');
    const res = await fetch(`${url}/v1/invoices?name=Rechnung%20M%C3%A4rz.pdf`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/pdf' }, body: pdf });
    expect(res.status).toBe(202);
    const { invoiceId } = (await res.json()) as { invoiceId: string };
    expect(invoiceId).toMatch(/^inv_[0-9a-f]{24}$/);
    const [stored] = (await storage.bucket('inbox').getFiles({ prefix: 'api/' }))[0];
    expect(stored!.name).toMatch(/^api\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\/Rechnung-Marz\.pdf$/);
    expect(new Uint8Array((await stored!.download())[0])).toEqual(pdf);
    // A body that is not a supported file, by its bytes, is refused although declared as a PDF.
    expect((await fetch(`${url}/v1/invoices`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/pdf' }, body: 'MZ...' })).status).toBe(415);

    const signed = (await (await fetch(`${url}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ fileName: 'browser.pdf', contentType: 'application/pdf', sizeBytes: pdf.byteLength }) })).json()) as { url: string; headers: Record<string, string> };
    expect(signed.headers['x-goog-content-length-range']).toBe(`${pdf.byteLength},${pdf.byteLength}`);
    const short = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: pdf.subarray(0, pdf.byteLength - 1) });
    expect(short.status).toBeGreaterThanOrEqual(400);
    const wrongType = await fetch(signed.url, { method: 'PUT', headers: { ...signed.headers, 'Content-Type': 'image/png' }, body: pdf });
    expect(wrongType.status).toBe(403);
    const put = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: pdf });
    expect(put.status).toBe(200);
  });

  it('holds one rate limit across two instances sharing Firestore', async () => {
    // A key of its own: the earlier tests' calls count against the admin key's budget in this minute.
    const own = issueApiKey('limited', 'viewer', 'test', new Date());
    const tokens = `erp:viewer:${own.record.id}:${own.record.secretSha256}`;
    const a = await instance('api-t3a', { LEDGERX_API_TOKENS: tokens, LEDGERX_API_RATE_LIMIT_PER_MINUTE: '10' });
    const b = await instance('api-t3b', { LEDGERX_API_TOKENS: tokens, LEDGERX_API_RATE_LIMIT_PER_MINUTE: '10' });
    // Start at the beginning of a minute window so the 16 calls fall in one window.
    const intoWindow = Date.now() % 60_000;
    if (intoWindow > 50_000) await new Promise((r) => setTimeout(r, 60_000 - intoWindow + 50));
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 16; i++) {
      const res = await fetch(`${(i % 2 ? a : b).url}/v1/me`, { headers: { authorization: `Bearer ${own.key}` } });
      statuses.push(res.status);
      if (res.status === 429) refused = res;
      else await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused!.json()) as { code: string }).code).toBe('RATE_LIMITED');
  }, 90_000);

  it('webhooks function: refuses a loopback target on GCP (logged as failed at once), acks, and is idempotent per delivery', async () => {
    const hits: string[] = [];
    const receiver = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const webhooks = new FirestoreWebhookStore(firestore);
    const now = new Date().toISOString();
    await webhooks.create({ id: 'wh_loopback01', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/x`, description: '', events: ['invoice.scored'], secret: 's'.repeat(40), active: true, createdAt: now, createdBy: 'test', updatedAt: now });
    const bus = createRecordingBus();
    http('webhooks-t', makeWebhooksHandler(async () => ({
      config: { projectId: PROJECT, environment: 'dev', logLevel: 'silent', databaseId: '(default)', deadLetterTopic: 'dead-letter', maxEventAgeMs: 86_400_000, maxAttempts: 3, timeoutMs: 1_000 },
      log: silentLogger,
      bus,
      worker: { webhooks, clock: { now: () => new Date() }, log: silentLogger, retry: { maxAttempts: 3, baseMs: 10, maxMs: 20 }, post: (u, b, h) => postToTarget(u, b, h, { timeoutMs: 1_000, allowPrivate: false }) },
    })));
    const fn = await serveFunction('webhooks-t');
    try {
      const message = { schemaVersion: 1, invoiceId: 'inv_hook', revision: 1, featureSchemaVersion: 'v1', decision: 'APPROVE', modelVersions: {} };
      for (let i = 0; i < 2; i++) expect(await fn.post(binaryMode(pubsubPublishedEvent({ topic: Topics.invoiceScored, payload: message })))).toBe(204);
      const { items } = await webhooks.listDeliveries({ webhookId: 'wh_loopback01', limit: 10 });
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ status: 'failed', attempts: [{ error: 'TARGET_BLOCKED' }] });
      expect(hits).toEqual([]);
      // A payload that does not parse is dead-lettered and acked.
      expect(await fn.post(binaryMode(pubsubPublishedEvent({ topic: Topics.invoiceScored, payload: { nope: true } })))).toBe(204);
      expect(bus.of(Topics.deadLetter).map((d) => d.code)).toEqual(['INVALID_MESSAGE']);
    } finally {
      await fn.close();
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});

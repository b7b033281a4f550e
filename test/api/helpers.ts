/** Test scaffolding of the API: in-process apps over the embedded adapters, credentials of every kind. */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { MemoryRateLimiter } from '../../functions/adapters/local/memory-rate-limiter.js';
import { SqliteApiKeyStore } from '../../functions/adapters/local/sqlite/api-key-store.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import { SqliteWebhookStore } from '../../functions/adapters/local/sqlite/webhook-store.js';
import type { Role } from '../../functions/core/api/roles.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { createApiApp } from '../../functions/api/app.js';
import { issueApiKey } from '../../functions/api/api-keys.js';
import type { ApiDeps, ApiSettings } from '../../functions/api/context.js';
import { createGoogleIdTokenVerifier } from '../../functions/api/id-token.js';
import { defaultSettings } from '../../functions/api/settings.js';
import { localUploadTarget } from '../../functions/api/uploads.js';
import { pushedUpdates } from '../../functions/api/updates.js';
import { monitoringModule } from '../../functions/api/routes/monitoring.js';
import { lazy } from '../../functions/core/lazy.js';
import { openLocalLearning, type LocalLearning } from '../../functions/platform/local-learning.js';
import { openLocalMonitoring } from '../../functions/platform/local-monitoring.js';
import { localLearningModules } from '../../functions/api/local/learning-modules.js';
import type { PromotionMode } from '../../functions/core/learning/config.js';

export const AUDIENCE = '123456789-testclient.apps.googleusercontent.com';

/** An RSA key pair standing in for Google's signing keys, with the certificate map the verifier takes. */
export function googleKeys(): { privateKey: KeyObject; certs: Record<string, string>; kid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  return { privateKey, kid, certs: { [kid]: publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
}

/** An RS256 ID token as Google mints them; `claims` override the defaults (valid for an hour from now). */
export function mintIdToken(privateKey: KeyObject, kid: string, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', kid, typ: 'JWT' };
  const payload = { iss: 'https://accounts.google.com', aud: AUDIENCE, sub: '1000001', email: 'viewer@example.com', email_verified: true, iat: now - 10, exp: now + 3600, ...claims };
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${enc(header)}.${enc(payload)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

export interface TestApi {
  deps: ApiDeps;
  /** The API's database (the learning stores' tables too). */
  db: ReturnType<typeof openLedgerDatabase>;
  app: ReturnType<typeof createApiApp>;
  keys: Record<Role, string>;
  /** The temp data dir behind the app (monitoring routes read its database and local bucket). */
  dataDir: string;
  /** Issues and stores another key. */
  newKey(role: Role, name?: string): Promise<{ key: string; id: string }>;
  request(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  dispose(): Promise<void>;
}

/** The API app over the embedded adapters on a temp folder, with one key per role and ID tokens verified. */
export async function testApi(options: { settings?: Partial<ApiSettings>; users?: Record<string, Role>; certs?: Record<string, string>; local?: boolean; promotionMode?: PromotionMode } = {}): Promise<TestApi> {
  const dir = await mkdtemp(join(tmpdir(), 'ledgerx-api-'));
  const db = openLedgerDatabase(join(dir, 'ledgerx.db'));
  const keyStore = new SqliteApiKeyStore(db);
  // Monitoring routes over the same data dir (their own connection, opened on first use; no seed models).
  let learning: LocalLearning | undefined;
  const monitoring = lazy(async () => openLocalMonitoring((learning = await openLocalLearning({ dataDir: dir })), { dataDir: dir, logger: silentLogger }));
  const deps: ApiDeps = {
    runtime: options.local === false ? 'gcp' : 'local',
    store: new SqliteInvoiceStore(db),
    blobs: createFsBlobStore(join(dir, 'buckets')),
    buckets: { inbox: 'inbox', artifacts: 'artifacts' },
    keys: keyStore,
    webhooks: new SqliteWebhookStore(db),
    rateLimiter: new MemoryRateLimiter(),
    uploads: localUploadTarget('k'.repeat(64), () => 'http://127.0.0.1:1'),
    localUploadKey: 'k'.repeat(64),
    idTokens: options.certs ? createGoogleIdTokenVerifier({ audience: AUDIENCE, certs: async () => options.certs! }) : undefined,
    users: new Map(Object.entries(options.users ?? {})),
    updates: pushedUpdates(),
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'ledgerx_up 1\n' }),
    modules: [...localLearningModules(db, { promotion: { mode: options.promotionMode ?? 'auto', admins: [] } }), monitoringModule(monitoring)],
    settings: { ...defaultSettings(options.local === false ? 'gcp' : 'local'), rateLimitPerMinute: 100_000, userRateLimitPerMinute: 100_000, webhookAllowPrivateTargets: false, webhookRequireHttps: true, ...options.settings },
    clock: { now: () => new Date() },
    log: silentLogger,
  };
  const app = createApiApp(deps);
  const newKey = async (role: Role, name = `${role} key`) => {
    const issued = issueApiKey(name, role, 'test', new Date());
    await keyStore.create(issued.record);
    return { key: issued.key, id: issued.record.id };
  };
  const keys = { viewer: (await newKey('viewer')).key, reviewer: (await newKey('reviewer')).key, admin: (await newKey('admin')).key };
  return {
    deps, app, keys, newKey, db, dataDir: dir,
    request: (path, init = {}) => {
      const { key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key) headers.set('authorization', `Bearer ${key}`);
      return Promise.resolve(app.request(path, { ...rest, headers }));
    },
    dispose: async () => {
      learning?.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A minimal valid one-page PDF (enough for magic-byte sniffing and rendering). */
export function tinyPdf(text = 'Invoice 1'): Uint8Array<ArrayBuffer> {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const stream = `BT /F1 12 Tf 20 50 Td (${text}) Tj ET`;
  objects[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}

/**
 * The learning loop over HTTP, on the embedded adapters and on Firestore (emulator; skipped without the Cloud
 * SDK): review actions written as review labels tied to the model versions judged (approve, reject, corrected
 * fields with a note), the same action twice and at the same time, hostile corrections; reviewed invoices leave
 * the review queue; models promoted, rolled back and approved through the registry's rules; runs and jobs listed.
 */
import { FEATURE_SCHEMA_VERSION } from '../../functions/core/features/schema.js';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../../functions/api/app.js';
import { issueApiKey } from '../../functions/api/api-keys.js';
import { loadApiConfig } from '../../functions/api/gcp/config.js';
import { createGcpApiDeps } from '../../functions/api/gcp/runtime.js';
import { FirestoreModelRegistryStore } from '../../functions/adapters/gcp/firestore-model-registry.js';
import { FirestoreRunStore } from '../../functions/adapters/gcp/firestore-run-store.js';
import { SqliteModelRegistryStore } from '../../functions/adapters/local/sqlite/model-registry-store.js';
import { SqliteRunStore } from '../../functions/adapters/local/sqlite/run-store.js';
import type { Role } from '../../functions/core/api/roles.js';
import type { ModelRegistryStore } from '../../functions/core/learning/model-registry.js';
import type { RunStore } from '../../functions/core/learning/runs.js';
import type { InvoiceStore } from '../../functions/core/ports.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { makeRecord } from '../contracts/invoice-records.js';
import { emulatorAvailable, startEmulator, type RunningEmulator } from '../helpers/emulators.js';
import { testApi } from './helpers.js';

interface Harness {
  call(path: string, role: Role | 'admin2' | 'reviewer2', init?: { method?: string; body?: unknown }): Promise<{ status: number; body: Record<string, unknown> & { code?: string } }>;
  store: InvoiceStore;
  registry: ModelRegistryStore;
  runs: RunStore;
  dispose(): Promise<void>;
}

const SHA = (c: string) => c.repeat(64);
const version = (v: string, sha: string) => ({
  name: 'quality', version: v, kind: 'gbdt', createdAt: '2026-11-01T00:00:00.000Z', modelSha256: SHA(sha), metrics: { test: { f1: 0.9 } },
  lineage: { dataSnapshot: { sha256: SHA('d'), rows: 4000 }, featureSchemaVersion: FEATURE_SCHEMA_VERSION, codeRevision: null, parameters: {}, runId: 'run_1' },
});

function scenario(name: string, ready: boolean, make: (mode: 'auto' | 'approval') => Promise<Harness>) {
  describe.skipIf(!ready)(`learning routes (${name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await make('auto');
      await h.store.createIfAbsent(makeRecord({ id: 'inv_rev_1', at: 1, status: 'SCORED', decision: 'REVIEW', reasons: ['LOW_FIELD_CONFIDENCE'], total: 100, currency: 'EUR', date: '2025-02-01', models: { quality: 'v7', risk: 'v3' } }));
      await h.store.createIfAbsent(makeRecord({ id: 'inv_rev_2', at: 2, status: 'SCORED', decision: 'REVIEW', reasons: ['DUP_NEAR'], total: 50, currency: 'EUR', date: '2025-02-02', models: { quality: 'v7' } }));
      await h.store.createIfAbsent(makeRecord({ id: 'inv_busy', at: 3, status: 'OCR_DONE' }));
    }, 60_000);
    afterAll(async () => h?.dispose());

    it('stores an approval with corrections and a note as a label tied to the model versions; the queue drops it', async () => {
      const queue = async () => ((await h.call('/v1/review-queue?limit=50', 'reviewer')).body.items as Array<{ invoiceId: string }>).map((i) => i.invoiceId);
      expect(await queue()).toEqual(['inv_rev_1', 'inv_rev_2']);
      const hostileName = '<img src=x onerror=alert(1)>';
      const res = await h.call('/v1/invoices/inv_rev_1/review', 'reviewer', { method: 'POST', body: { decision: 'approve', corrections: { total_amount: 119, invoice_date: '2025-03-01', supplier_name: hostileName }, note: 'total read from the wrong line' } });
      expect(res.status).toBe(200);
      expect(res.body.replaced).toBe(false);
      expect(res.body.label).toMatchObject({ invoiceId: 'inv_rev_1', revision: 1, decision: 'approve', corrections: { total_amount: 119, invoice_date: '2025-03-01', supplier_name: hostileName }, note: 'total read from the wrong line', modelVersions: { quality: 'v7', risk: 'v3' } });
      expect(String((res.body.label as { reviewer: string }).reviewer)).toMatch(/^key:/);
      expect(await queue()).toEqual(['inv_rev_2']);
      const history = await h.call('/v1/invoices/inv_rev_1/reviews', 'viewer');
      expect((history.body.items as unknown[]).length).toBe(1);
    });

    it('stores the same action sent twice and at the same time once; a changed judgement replaces it', async () => {
      const send = (decision = 'reject') => h.call('/v1/invoices/inv_rev_2/review', 'reviewer', { method: 'POST', body: { decision, note: 'not ours' } });
      const [a, b] = await Promise.all([send(), send()]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect([a.body.unchanged, b.body.unchanged].sort()).toEqual([false, true]);
      const c = await send();
      expect(c.body).toMatchObject({ replaced: false, unchanged: true });
      let items = (await h.call('/v1/invoices/inv_rev_2/reviews', 'viewer')).body.items as Array<{ current: boolean; decision: string }>;
      expect(items.map((i) => [i.decision, i.current])).toEqual([['reject', true]]);
      expect((await send('approve')).body).toMatchObject({ replaced: true, unchanged: false });
      items = (await h.call('/v1/invoices/inv_rev_2/reviews', 'viewer')).body.items as typeof items;
      expect(items.map((i) => [i.decision, i.current])).toEqual([['reject', false], ['approve', true]]);
    });

    it('takes one of two reviewers approving at the same time; the other gets 409 ALREADY_REVIEWED, later ones too', async () => {
      await h.store.createIfAbsent(makeRecord({ id: 'inv_race', at: 50, status: 'SCORED', decision: 'REVIEW', models: { quality: 'v7' } }));
      for (let round = 0; round < 3; round++) {
        const id = round === 0 ? 'inv_race' : `inv_race_${round}`;
        if (round > 0) await h.store.createIfAbsent(makeRecord({ id, at: 50 + round, status: 'SCORED', decision: 'REVIEW' }));
        const approve = (role: 'reviewer' | 'reviewer2') => h.call(`/v1/invoices/${id}/review`, role, { method: 'POST', body: { decision: 'approve' } });
        // 503 means the store's contention outlasted its retries: a client sends the action again.
        const answers = await Promise.all((['reviewer', 'reviewer2'] as const).map(async (role) => {
          let answer = await approve(role);
          for (let resend = 0; answer.status === 503 && resend < 3; resend++) answer = await approve(role);
          return answer;
        }));
        expect(answers.map((r) => r.status).sort(), JSON.stringify(answers.map((r) => r.body))).toEqual([200, 409]);
        const refused = answers.find((r) => r.status === 409)!;
        expect(refused.body.code).toBe('ALREADY_REVIEWED');
        expect(String(refused.body.detail)).toContain('already reviewed by');
        const winner = answers.find((r) => r.status === 200)!.body.label as { reviewer: string };
        const items = (await h.call(`/v1/invoices/${id}/reviews`, 'viewer')).body.items as Array<{ reviewer: string; current: boolean }>;
        expect(items).toEqual([expect.objectContaining({ reviewer: winner.reviewer, current: true })]);
        // Sequentially as well: the revision is taken by the winner, who may still change their own judgement.
        const [winnerRole, loserRole] = answers[0]!.status === 200 ? (['reviewer', 'reviewer2'] as const) : (['reviewer2', 'reviewer'] as const);
        expect((await approve(loserRole)).body.code).toBe('ALREADY_REVIEWED');
        expect((await h.call(`/v1/invoices/${id}/review`, winnerRole, { method: 'POST', body: { decision: 'reject' } })).body).toMatchObject({ replaced: true });
      }
    });

    it('refuses hostile and impossible review actions with a stable code, storing nothing', async () => {
      const post = (id: string, body: unknown) => h.call(`/v1/invoices/${id}/review`, 'reviewer', { method: 'POST', body });
      for (const body of [
        { decision: 'approve', corrections: { nope: 1 } },
        { decision: 'approve', corrections: { invoice_date: '2025-13-40' } },
        { decision: 'approve', corrections: { supplier_name: 'a\u0000b' } },
        { decision: 'approve', corrections: { currency: 'XXQ' } },
        { decision: 'approve', corrections: { total_amount: 'DROP TABLE' } },
        { decision: 'approve', revision: 99 },
        { decision: 'approve', note: 'x'.repeat(2001) },
        { decision: 'maybe' },
      ]) {
        const res = await post('inv_rev_1', body);
        expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(res.body.code).toBe('INVALID_REQUEST');
      }
      expect((await post('inv_missing', { decision: 'approve' })).body.code).toBe('NOT_FOUND');
      expect((await post('inv_busy', { decision: 'approve' })).body.code).toBe('CONFLICT');
      expect((await post('inv_rev_1', { decision: 'approve' }).then(() => h.call('/v1/invoices/inv_rev_1/reviews', 'viewer'))).body.items).toHaveLength(2);
      expect((await h.call('/v1/invoices/inv_rev_1/review', 'viewer', { method: 'POST', body: { decision: 'approve' } })).body.code).toBe('FORBIDDEN');
    });

    it('promotes and rolls back through the registry as an admin; rules answer 404 and 409', async () => {
      await h.registry.register(version('v1', 'a'), { actor: 'test', reason: 'seed', at: new Date() });
      await h.registry.register(version('v2', 'b'), { actor: 'test', reason: 'seed', at: new Date() });
      const promote = (v: string, role: Role = 'admin') => h.call(`/v1/models/quality/versions/${v}/promote`, role, { method: 'POST', body: { reason: 'better on the holdout' } });
      expect((await promote('v1')).body.outcome).toBe('promoted');
      expect((await promote('v2')).body.outcome).toBe('promoted');
      expect((await promote('v2', 'reviewer')).body.code).toBe('FORBIDDEN');
      let listing = (await h.call('/v1/models', 'viewer')).body as { production: Record<string, string>; versions: Array<{ version: string; stage: string }> };
      expect(listing.production.quality).toBe('v2');
      expect(listing.versions.find((v) => v.version === 'v1')?.stage).toBe('archived');
      const back = await h.call('/v1/models/quality/rollback', 'admin', { method: 'POST', body: { reason: 'v2 misreads French scans' } });
      expect(back.status).toBe(200);
      expect((back.body.version as { version: string }).version).toBe('v1');
      listing = (await h.call('/v1/models', 'viewer')).body as typeof listing;
      expect(listing.production.quality).toBe('v1');
      expect((await h.call('/v1/models/quality/rollback', 'admin', { method: 'POST', body: { reason: 'again' } })).body.code).toBe('CONFLICT');
      expect((await promote('v9')).body.code).toBe('NOT_FOUND');
      expect((await h.call('/v1/models/quality/versions/v2/promote', 'admin', { method: 'POST', body: {} })).body.code).toBe('INVALID_REQUEST');
      const audit = (await h.call('/v1/models/quality/audit', 'viewer')).body.items as Array<{ action: string }>;
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['promote', 'rollback']));
    });

    it('lists experiment runs and jobs', async () => {
      await h.runs.put({ id: 'run_api_1', kind: 'retrain', status: 'succeeded', startedAt: '2026-11-02T00:00:00Z', parameters: {}, versions: { quality: 'v2' } });
      const runs = await h.call('/v1/runs', 'viewer');
      expect((runs.body.items as Array<{ id: string }>).map((r) => r.id)).toContain('run_api_1');
      expect((await h.call('/v1/runs/run_api_1', 'viewer')).body.versions).toEqual({ quality: 'v2' });
      expect((await h.call('/v1/runs/run_nope', 'viewer')).body.code).toBe('NOT_FOUND');
      expect((await h.call('/v1/jobs?status=running', 'viewer')).status).toBe(200);
      expect((await h.call('/v1/jobs?status=bogus', 'viewer')).body.code).toBe('INVALID_REQUEST');
    });

    it('with approvals required: a promotion waits, its requester cannot approve it, another admin can', async () => {
      const a = await make('approval');
      try {
        await a.registry.register(version('v1', 'a'), { actor: 'test', reason: 'seed', at: new Date() });
        const opened = await a.call('/v1/models/quality/versions/v1/promote', 'admin', { method: 'POST', body: { reason: 'first model' } });
        expect(opened.body.outcome).toBe('pending');
        const id = (opened.body.request as { id: string }).id;
        expect(((await a.call('/v1/models', 'viewer')).body.pending as unknown[]).length).toBe(1);
        const own = await a.call(`/v1/models/requests/${id}/approve`, 'admin', { method: 'POST', body: { comment: 'looks fine' } });
        expect(own.body.code).toBe('CONFLICT');
        const other = await a.call(`/v1/models/requests/${id}/approve`, 'admin2', { method: 'POST', body: { comment: 'checked the slices' } });
        expect(other.status).toBe(200);
        expect((other.body.request as { status: string }).status).toBe('approved');
        expect(((await a.call('/v1/models', 'viewer')).body.production as Record<string, string>).quality).toBe('v1');
        expect((await a.call(`/v1/models/requests/${id}/reject`, 'admin2', { method: 'POST', body: { comment: 'too late' } })).body.code).toBe('CONFLICT');
      } finally {
        await a.dispose();
      }
    });
  });
}

scenario('embedded database', true, async (mode) => {
  const api = await testApi({ promotionMode: mode });
  const admin2 = (await api.newKey('admin', 'second admin')).key;
  const reviewer2 = (await api.newKey('reviewer', 'second reviewer')).key;
  return {
    store: api.deps.store,
    registry: new SqliteModelRegistryStore(api.db),
    runs: new SqliteRunStore(api.db),
    async call(path, role, init = {}) {
      const key = role === 'admin2' ? admin2 : role === 'reviewer2' ? reviewer2 : api.keys[role];
      const res = await api.request(path, { method: init.method ?? 'GET', key, ...(init.body !== undefined ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } } : {}) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    dispose: () => api.dispose(),
  };
});

const firestoreReady = emulatorAvailable('firestore');
if (!firestoreReady) console.warn('[learning-routes] Firestore emulator not installed (Cloud SDK): GCP run skipped');
let emulator: RunningEmulator | undefined;
let prefixes = 0;
afterAll(async () => emulator?.stop());

scenario('Firestore emulator', firestoreReady, async (mode) => {
  emulator ??= await startEmulator('firestore');
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  const firestore = new Firestore({ projectId: 'ledgerx-test', ignoreUndefinedProperties: true });
  const prefix = `t${++prefixes}_`;
  const deps = await createGcpApiDeps(
    loadApiConfig({
      GOOGLE_CLOUD_PROJECT: 'ledgerx-test', LEDGERX_INBOX_BUCKET: 'inbox', LEDGERX_ARTIFACTS_BUCKET: 'artifacts', LEDGERX_LOG_LEVEL: 'silent',
      LEDGERX_COLLECTION_INVOICES: `${prefix}invoices`, LEDGERX_LEARNING_COLLECTION_PREFIX: prefix, LEDGERX_PROMOTION_MODE: mode,
    }),
    { firestore, storage: new Storage({ projectId: 'ledgerx-test' }), logger: silentLogger },
  );
  const app = createApiApp(deps);
  const keys: Record<string, string> = {};
  for (const role of ['viewer', 'reviewer', 'admin', 'admin2', 'reviewer2'] as const) {
    const issued = issueApiKey(role, role === 'admin2' ? 'admin' : role === 'reviewer2' ? 'reviewer' : role, 'test', new Date());
    await deps.keys.create(issued.record);
    keys[role] = issued.key;
  }
  return {
    store: deps.store,
    registry: new FirestoreModelRegistryStore(firestore, { prefix }),
    runs: new FirestoreRunStore(firestore, { collection: `${prefix}runs` }),
    async call(path, role, init = {}) {
      const res = await app.request(path, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${keys[role]}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    dispose: () => firestore.terminate(),
  };
});

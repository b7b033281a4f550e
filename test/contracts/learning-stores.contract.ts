/**
 * One contract per learning-loop port (prediction log, label store, model registry, job store, run store),
 * run against the SQLite adapters (local-learning.test.ts) and the Firestore adapters on the emulator
 * (gcp-learning.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { JobStore } from '../../functions/core/learning/jobs.js';
import { RegistryConflictError, type ModelRegistryStore, type NewModelVersion } from '../../functions/core/learning/model-registry.js';
import type { PredictionLog, PredictionLogEntryInput } from '../../functions/core/learning/prediction-log.js';
import type { LabelStore, ReviewLabelInput } from '../../functions/core/learning/review-labels.js';
import type { RunStore } from '../../functions/core/learning/runs.js';

type Factory<T> = () => Promise<{ store: T; dispose: () => Promise<void> }>;

const SHA = (c: string) => c.repeat(64).slice(0, 64);
const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

export function entry(invoiceId: string, minutes: number, versions: Record<string, string> = { failure: 'v1', quality: 'v1' }, revision = 1): PredictionLogEntryInput {
  return {
    invoiceId, revision, featureSchemaVersion: 'inv-features-v1', features: { total: minutes, missing: null },
    scores: Object.fromEntries(Object.keys(versions).map((n) => [n, { raw: 0.1, calibrated: 0.2 }])),
    modelVersions: versions, decision: 'APPROVE', basis: Object.keys(versions).length ? 'models+rules' : 'rules',
    slices: { language: 'en', scan: 'digital', einvoice: 'document', captureSource: 'drop' }, scoredAt: at(minutes).toISOString(),
  };
}

export function runPredictionLogContract(name: string, make: Factory<PredictionLog> & { retentionMs?: number }): void {
  describe(`PredictionLog contract: ${name}`, () => {
    it('records idempotently per invoice, revision and model versions; a new version set is a new entry', async () => {
      const { store, dispose } = await make();
      try {
        await store.record(entry('inv-a', 1));
        await store.record(entry('inv-a', 1));
        await store.record(entry('inv-a', 2, { failure: 'v2', quality: 'v1' }));
        await store.record(entry('inv-a', 3, {}, 2));
        const all = await store.forInvoice('inv-a');
        expect(all.map((e) => [e.revision, e.modelVersions.failure ?? 'rules'])).toEqual([[1, 'v1'], [1, 'v2'], [2, 'rules']]);
        expect(all[0]!.features).toEqual({ total: 1, missing: null });
        expect(all[0]!.scores.quality).toEqual({ raw: 0.1, calibrated: 0.2 });
      } finally {
        await dispose();
      }
    });

    it('queries a time window and a model version, in order, paged with a cursor', async () => {
      const { store, dispose } = await make();
      try {
        for (let i = 0; i < 7; i++) await store.record(entry(`inv-${i}`, i, { failure: i % 2 === 0 ? 'v1' : 'v2' }));
        const window = await store.query({ from: at(1).toISOString(), to: at(5).toISOString(), limit: 10 });
        expect(window.items.map((e) => e.invoiceId)).toEqual(['inv-1', 'inv-2', 'inv-3', 'inv-4']);
        expect(window.nextCursor).toBeUndefined();
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.query({ model: { name: 'failure', version: 'v1' }, limit: 2, ...(cursor ? { cursor } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(2);
          seen.push(...page.items.map((e) => e.invoiceId));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).toEqual(['inv-0', 'inv-2', 'inv-4', 'inv-6']);
        const v2InWindow = await store.query({ model: { name: 'failure', version: 'v2' }, from: at(2).toISOString(), limit: 10 });
        expect(v2InWindow.items.map((e) => e.invoiceId)).toEqual(['inv-3', 'inv-5']);
        await expect(store.query({ limit: 2, cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
      } finally {
        await dispose();
      }
    });

    it('refuses an invalid entry', async () => {
      const { store, dispose } = await make();
      try {
        await expect(store.record({ ...entry('inv-x', 1), decision: 'MAYBE' as never })).rejects.toThrow();
        await expect(store.record({ ...entry('', 1) })).rejects.toThrow();
      } finally {
        await dispose();
      }
    });
  });
}

const review = (over: Partial<ReviewLabelInput> = {}): ReviewLabelInput => ({
  invoiceId: 'inv-1', revision: 1, reviewer: 'alice', reviewedAt: at(0).toISOString(), decision: 'approve', corrections: {}, modelVersions: { failure: 'v1' }, ...over,
});

export function runLabelStoreContract(name: string, make: Factory<LabelStore>): void {
  describe(`LabelStore contract: ${name}`, () => {
    it('keeps every review in the history; the same reviewer and revision replaces the current label', async () => {
      const { store, dispose } = await make();
      try {
        expect((await store.put(review())).replaced).toBe(false);
        const second = await store.put(review({ reviewedAt: at(1).toISOString(), decision: 'reject', corrections: { total_amount: 12.5 }, note: 'wrong total' }));
        expect(second.replaced).toBe(true);
        await store.put(review({ reviewer: 'bob', reviewedAt: at(2).toISOString() }));
        const current = await store.current('inv-1');
        expect(current.map((l) => [l.reviewer, l.decision])).toEqual([['bob', 'approve'], ['alice', 'reject']]);
        const history = await store.history('inv-1');
        expect(history.map((h) => [h.reviewer, h.decision, h.current])).toEqual([['alice', 'approve', false], ['alice', 'reject', true], ['bob', 'approve', true]]);
        expect(history[1]!.corrections).toEqual({ total_amount: 12.5 });
        expect(history[1]!.note).toBe('wrong total');
        expect((await store.effective('inv-1'))?.reviewer).toBe('bob');
        // A later revision wins over a later review of an earlier revision.
        await store.put(review({ revision: 2, reviewer: 'carol', reviewedAt: at(0).toISOString(), decision: 'reject' }));
        expect((await store.effective('inv-1'))?.reviewer).toBe('carol');
        expect(await store.effective('inv-none')).toBeNull();
      } finally {
        await dispose();
      }
    });

    it('two identical reviews at the same time end in one current label and two history entries', async () => {
      const { store, dispose } = await make();
      try {
        const results = await Promise.all([store.put(review()), store.put(review())]);
        expect(results.map((r) => r.replaced).sort()).toEqual([false, true]);
        expect(await store.current('inv-1')).toHaveLength(1);
        const history = await store.history('inv-1');
        expect(history).toHaveLength(2);
        expect(history.filter((h) => h.current)).toHaveLength(1);
      } finally {
        await dispose();
      }
    });

    it('lists the effective label of every reviewed invoice, paged', async () => {
      const { store, dispose } = await make();
      try {
        for (const id of ['inv-c', 'inv-a', 'inv-b']) await store.put(review({ invoiceId: id }));
        await store.put(review({ invoiceId: 'inv-a', reviewer: 'bob', decision: 'reject', reviewedAt: at(5).toISOString() }));
        const seen: Array<[string, string]> = [];
        let cursor: string | undefined;
        do {
          const page = await store.listEffective({ limit: 2, cursor });
          seen.push(...page.items.map((l): [string, string] => [l.invoiceId, l.decision]));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).toEqual([['inv-a', 'reject'], ['inv-b', 'approve'], ['inv-c', 'approve']]);
      } finally {
        await dispose();
      }
    });

    it('refuses hostile labels: unknown fields, bad values, oversized notes, control characters', async () => {
      const { store, dispose } = await make();
      try {
        await expect(store.put(review({ corrections: { iban_hack: 'x' } }))).rejects.toThrow(/unknown field/);
        await expect(store.put(review({ corrections: { total_amount: 'lots' } }))).rejects.toThrow();
        await expect(store.put(review({ corrections: { invoice_date: '2025-02-30' } }))).rejects.toThrow();
        await expect(store.put(review({ corrections: { currency: 'XXY' } }))).rejects.toThrow();
        await expect(store.put(review({ note: 'x'.repeat(2001) }))).rejects.toThrow();
        await expect(store.put(review({ reviewer: 'a\u0000b' }))).rejects.toThrow();
        await expect(store.put(review({ corrections: { supplier_name: 'ACME\u0007' } }))).rejects.toThrow();
        expect(await store.history('inv-1')).toEqual([]);
      } finally {
        await dispose();
      }
    });
  });
}

export function version(name: string, v: string, bytes = 'a', minutes = 0): NewModelVersion {
  return {
    name, version: v, kind: 'gbdt', createdAt: at(minutes).toISOString(), modelSha256: SHA(bytes), metrics: { test: { f1: 0.9 } },
    lineage: { dataSnapshot: { sha256: SHA('d'), rows: 100 }, featureSchemaVersion: 'inv-features-v1', codeRevision: null, parameters: { seed: 1 }, runId: 'run-1' },
  };
}

export function runModelRegistryContract(name: string, make: Factory<ModelRegistryStore>, options: { admins?: string[] } = {}): void {
  const ctx = (actor = 'ops', minutes = 10) => ({ actor, reason: 'test', at: at(minutes), evidence: { ticket: 'T-1' } });
  describe(`ModelRegistryStore contract: ${name}`, () => {
    it('registers in staging, idempotently for the same bytes, never over other bytes', async () => {
      const { store, dispose } = await make();
      try {
        expect((await store.register(version('failure', 'v1'), ctx())).created).toBe(true);
        expect((await store.register(version('failure', 'v1'), ctx())).created).toBe(false);
        await expect(store.register(version('failure', 'v1', 'b'), ctx())).rejects.toMatchObject({ code: 'VERSION_EXISTS' });
        expect((await store.get('failure', 'v1'))?.stage).toBe('staging');
        expect(await store.production()).toEqual({});
        expect((await store.audit('failure', 'v1')).map((a) => a.action)).toEqual(['register']);
      } finally {
        await dispose();
      }
    });

    it('promotion flips the pointer and archives the previous version; rollback restores it exactly; every step audited', async () => {
      const { store, dispose } = await make();
      try {
        for (const [i, v] of ['v1', 'v2', 'v3'].entries()) await store.register(version('failure', v, String(i), i), ctx());
        await store.promote('failure', 'v1', ctx('alice', 11));
        await store.promote('failure', 'v2', ctx('alice', 12));
        await store.promote('failure', 'v2', ctx('alice', 13));
        expect(await store.production()).toEqual({ failure: 'v2' });
        expect((await store.list('failure')).map((v) => [v.version, v.stage])).toEqual([['v1', 'archived'], ['v2', 'production'], ['v3', 'staging']]);
        const before = await store.get('failure', 'v1');
        const restored = await store.rollback('failure', ctx('bob', 14));
        expect(restored.version).toBe('v1');
        expect(await store.production()).toEqual({ failure: 'v1' });
        expect({ ...(await store.get('failure', 'v1'))!, stage: 'archived' }).toEqual(before);
        expect((await store.get('failure', 'v2'))?.stage).toBe('archived');
        await expect(store.rollback('failure', ctx())).rejects.toMatchObject({ code: 'NO_ROLLBACK_TARGET' });
        await expect(store.promote('failure', 'v9', ctx())).rejects.toBeInstanceOf(RegistryConflictError);
        const audit = await store.audit('failure');
        expect(audit.filter((a) => a.action !== 'register').map((a) => `${a.action}:${a.version}:${a.fromStage}>${a.toStage}:${a.actor}`)).toEqual([
          'promote:v1:staging>production:alice',
          'promote:v2:staging>production:alice',
          'archive:v1:production>archived:alice',
          'archive:v2:production>archived:bob',
          'rollback:v1:archived>production:bob',
        ]);
        expect(audit.every((a) => a.reason === 'test' && a.evidence.ticket === 'T-1')).toBe(true);
      } finally {
        await dispose();
      }
    });

    it('a rollback never crosses a feature-schema change: it restores the latest earlier version of the same schema, or refuses', async () => {
      const { store, dispose } = await make();
      const v2schema = (v: string, bytes: string, minutes: number) => {
        const record = version('quality', v, bytes, minutes);
        return { ...record, lineage: { ...record.lineage, featureSchemaVersion: 'inv-features-v2' } };
      };
      try {
        await store.register(version('quality', 'old-a', 'a', 0), ctx());
        await store.register(v2schema('new-a', 'b', 1), ctx());
        await store.register(version('quality', 'old-b', 'c', 2), ctx());
        await store.register(v2schema('new-b', 'd', 3), ctx());
        for (const v of ['old-a', 'new-a', 'old-b', 'new-b']) await store.promote('quality', v, ctx('alice', 11));
        expect((await store.rollback('quality', ctx('bob', 14))).version).toBe('new-a');
        expect(await store.production()).toEqual({ quality: 'new-a' });
        // Only versions of the earlier schema remain before it: refused, production unchanged.
        await expect(store.rollback('quality', ctx('bob', 15))).rejects.toMatchObject({ code: 'NO_ROLLBACK_TARGET', message: expect.stringContaining('inv-features-v2') });
        expect(await store.production()).toEqual({ quality: 'new-a' });
        expect((await store.get('quality', 'old-b'))?.stage).toBe('archived');
      } finally {
        await dispose();
      }
    });

    it('a promotion waiting for approval: one pending request, approved by someone else, stale once production moved', async () => {
      const { store, dispose } = await make();
      try {
        for (const [i, v] of ['v1', 'v2', 'v3'].entries()) await store.register(version('quality', v, String(i), i), ctx());
        await store.promote('quality', 'v1', ctx());
        const request = await store.requestPromotion('quality', 'v2', ctx('retrain-job'));
        expect(request).toMatchObject({ status: 'pending', championAtRequest: 'v1', requestedBy: 'retrain-job' });
        expect((await store.requestPromotion('quality', 'v2', ctx('retrain-job'))).id).toBe(request.id);
        expect(await store.production()).toEqual({ quality: 'v1' });
        await expect(store.decide(request.id, 'approve', { ...ctx('retrain-job'), comment: 'self' })).rejects.toMatchObject({ code: 'NOT_ALLOWED' });
        const approved = await store.decide(request.id, 'approve', { ...ctx(options.admins?.[0] ?? 'admin', 20), comment: 'looks good' });
        expect(approved).toMatchObject({ status: 'approved', decidedBy: options.admins?.[0] ?? 'admin', comment: 'looks good' });
        expect(await store.production()).toEqual({ quality: 'v2' });
        await expect(store.decide(request.id, 'reject', { ...ctx('admin'), comment: 'again' })).rejects.toMatchObject({ code: 'REQUEST_DECIDED' });
        // Evidence against v2 goes stale when production moves before the decision.
        const r3 = await store.requestPromotion('quality', 'v3', ctx('retrain-job'));
        await store.rollback('quality', ctx());
        await expect(store.decide(r3.id, 'approve', { ...ctx(options.admins?.[0] ?? 'admin'), comment: 'late' })).rejects.toMatchObject({ code: 'STALE_REQUEST' });
        const rejected = await store.decide(r3.id, 'reject', { ...ctx(options.admins?.[0] ?? 'admin'), comment: 'stale' });
        expect(rejected.status).toBe('rejected');
        expect((await store.requests({ status: 'pending' }))).toEqual([]);
        expect((await store.requests({ name: 'quality' })).map((r) => [r.version, r.status]).sort()).toEqual([['v2', 'approved'], ['v3', 'rejected']]);
        const actions = (await store.audit('quality')).map((a) => `${a.action}:${a.version}`);
        expect(actions).toEqual(expect.arrayContaining(['request:v2', 'approve:v2', 'promote:v2', 'request:v3', 'reject:v3']));
        await expect(store.decide('pr-unknown', 'approve', { ...ctx(), comment: 'x' })).rejects.toMatchObject({ code: 'UNKNOWN_REQUEST' });
      } finally {
        await dispose();
      }
    });

    it('concurrent promotions of one model leave one production version and a consistent history', async () => {
      const { store, dispose } = await make();
      try {
        for (const [i, v] of ['v1', 'v2', 'v3', 'v4'].entries()) await store.register(version('anomaly', v, String(i), i), ctx());
        await Promise.all(['v1', 'v2', 'v3', 'v4'].map((v) => store.promote('anomaly', v, ctx())));
        const versions = await store.list('anomaly');
        expect(versions.filter((v) => v.stage === 'production')).toHaveLength(1);
        const pointer = await store.pointer('anomaly');
        expect(pointer.production).toBe(versions.find((v) => v.stage === 'production')!.version);
        expect(pointer.history.at(-1)).toBe(pointer.production);
        expect(new Set(pointer.history).size).toBe(pointer.history.length);
      } finally {
        await dispose();
      }
    });
  });
}

export function runJobStoreContract(name: string, make: Factory<JobStore>): void {
  describe(`JobStore contract: ${name}`, () => {
    it('creates at most one job per key, also under concurrent creates', async () => {
      const { store, dispose } = await make();
      try {
        const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.create({ id: `job-${i}`, kind: 'retrain', key: 'retrain:2025-03-03T03:00:00.000Z', params: { i }, now: at(0) })));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
        expect((await store.byKey('retrain:2025-03-03T03:00:00.000Z'))?.status).toBe('queued');
      } finally {
        await dispose();
      }
    });

    it('claims with a lease, checkpoints, takes over an expired lease, and only the owner finishes', async () => {
      const { store, dispose } = await make();
      try {
        await store.create({ id: 'job-1', kind: 'retrain', key: 'k1', params: {}, now: at(0) });
        const a = await store.claim('job-1', 'runner-a', 60_000, at(0));
        expect(a).toMatchObject({ status: 'running', owner: 'runner-a', attempts: 1 });
        expect(await store.claim('job-1', 'runner-b', 60_000, at(0.5))).toBeNull();
        expect(await store.heartbeat('job-1', 'runner-a', { checkpoint: { phase: 'snapshot' }, counts: { rows: 10 }, leaseMs: 60_000, now: at(0.5) })).toEqual({ held: true, cancelRequested: false });
        // Runner a dies: its lease runs out and b takes over with the checkpoint.
        const b = await store.claim('job-1', 'runner-b', 60_000, at(2));
        expect(b).toMatchObject({ owner: 'runner-b', attempts: 2, checkpoint: { phase: 'snapshot' }, counts: { rows: 10 } });
        expect((await store.heartbeat('job-1', 'runner-a', { leaseMs: 60_000, now: at(2.1) })).held).toBe(false);
        expect(await store.finish('job-1', 'runner-a', { status: 'succeeded', now: at(2.2) })).toBe(false);
        expect(await store.finish('job-1', 'runner-b', { status: 'succeeded', result: { ok: 1 }, now: at(2.3) })).toBe(true);
        expect(await store.get('job-1')).toMatchObject({ status: 'succeeded', result: { ok: 1 }, owner: null });
        expect(await store.claim('job-1', 'runner-c', 60_000, at(5))).toBeNull();
        // takeOverFrom: a live lease of a known-dead owner.
        await store.create({ id: 'job-2', kind: 'retrain', key: 'k2', params: {}, now: at(0) });
        await store.claim('job-2', 'dead-runner', 600_000, at(0));
        expect(await store.claim('job-2', 'runner-d', 60_000, at(1), { takeOverFrom: 'other' })).toBeNull();
        expect(await store.claim('job-2', 'runner-d', 60_000, at(1), { takeOverFrom: 'dead-runner' })).toMatchObject({ owner: 'runner-d', attempts: 2 });
      } finally {
        await dispose();
      }
    });

    it('release records the error and requeues; cancel stops queued jobs at once and running ones at the next heartbeat', async () => {
      const { store, dispose } = await make();
      try {
        await store.create({ id: 'job-1', kind: 'retrain', key: 'k1', params: {}, now: at(0) });
        await store.claim('job-1', 'r', 60_000, at(0));
        expect(await store.release('job-1', 'r', { code: 'BOOM', reason: 'disk full' }, at(1))).toBe(true);
        expect(await store.get('job-1')).toMatchObject({ status: 'queued', owner: null, errors: [{ code: 'BOOM', reason: 'disk full', attempt: 1 }] });
        await store.claim('job-1', 'r', 60_000, at(2));
        expect((await store.cancel('job-1', at(3)))?.status).toBe('running');
        expect(await store.heartbeat('job-1', 'r', { leaseMs: 60_000, now: at(3.5) })).toEqual({ held: true, cancelRequested: true });
        await store.finish('job-1', 'r', { status: 'cancelled', now: at(4) });
        await store.create({ id: 'job-2', kind: 'retrain', key: 'k2', params: {}, now: at(0) });
        expect((await store.cancel('job-2', at(1)))?.status).toBe('cancelled');
        expect(await store.claim('job-2', 'r', 60_000, at(2))).toBeNull();
        expect((await store.list({ kind: 'retrain', limit: 10 })).map((j) => j.status).sort()).toEqual(['cancelled', 'cancelled']);
        expect(await store.list({ status: 'queued', limit: 10 })).toEqual([]);
      } finally {
        await dispose();
      }
    });
  });
}

export function runRunStoreContract(name: string, make: Factory<RunStore>): void {
  describe(`RunStore contract: ${name}`, () => {
    it('stores, replaces and lists runs newest first, paged', async () => {
      const { store, dispose } = await make();
      try {
        for (let i = 0; i < 5; i++) await store.put({ id: `run-${i}`, kind: 'retrain', status: 'running', startedAt: at(i).toISOString(), parameters: { i } });
        await store.put({ id: 'run-2', kind: 'retrain', status: 'succeeded', startedAt: at(2).toISOString(), parameters: { i: 2 }, metrics: { failure: { kind: 'gbdt', splits: { test: { f1: 0.9 } }, slices: { language: { en: { f1: 0.8 } } } } } });
        expect((await store.get('run-2'))?.metrics.failure?.slices.language?.en?.f1).toBe(0.8);
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list({ limit: 2, cursor });
          ids.push(...page.items.map((r) => r.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(ids).toEqual(['run-4', 'run-3', 'run-2', 'run-1', 'run-0']);
        expect(await store.get('run-9')).toBeNull();
      } finally {
        await dispose();
      }
    });
  });
}

/** `make` builds a registry told that the serving code computes feature schema `inv-features-v2`. */
export function runServableVersionContract(name: string, make: Factory<ModelRegistryStore>): void {
  describe(`ModelRegistryStore serving schema: ${name}`, () => {
    it('refuses to promote (directly or by an approved request) a version of another feature schema, changing nothing', async () => {
      const { store, dispose } = await make();
      const ctx = (actor = 'ops') => ({ actor, reason: 'test', at: at(10) });
      try {
        const current = version('quality', 'new', 'a');
        await store.register({ ...current, lineage: { ...current.lineage, featureSchemaVersion: 'inv-features-v2' } }, ctx());
        await store.register(version('quality', 'old', 'b'), ctx());
        await store.promote('quality', 'new', ctx());
        await expect(store.promote('quality', 'old', ctx())).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH', message: expect.stringContaining('inv-features-v1') });
        const request = await store.requestPromotion('quality', 'old', ctx('retrain-job'));
        await expect(store.decide(request.id, 'approve', { ...ctx('admin'), comment: 'ok' })).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
        expect(await store.production()).toEqual({ quality: 'new' });
        expect((await store.get('quality', 'old'))?.stage).toBe('staging');
      } finally {
        await dispose();
      }
    });
  });
}

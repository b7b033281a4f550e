/** Contract suites of the monitoring ports (drift reports, operations log), run against every adapter. */
import { describe, expect, it } from 'vitest';
import { MonitoringConfigSchema } from '../../functions/core/monitoring/config.js';
import { OpsConflictError, type OpsAction, type OpsStore } from '../../functions/core/monitoring/ops.js';
import { newFinding, planActions } from '../../functions/core/monitoring/ops-policy.js';
import type { DriftReport, DriftReportStore } from '../../functions/core/monitoring/report.js';

type Factory<T> = () => Promise<{ store: T; dispose: () => Promise<void> }>;

const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

export function report(id: string, minutes: number): DriftReport {
  return {
    id, createdAt: at(minutes).toISOString(), window: { from: at(minutes - 60).toISOString(), to: at(minutes).toISOString() }, models: { quality: 'v1' },
    baseline: { model: 'quality', version: 'v1', source: 'training', rows: 100 }, status: 'ok',
    drift: { rows: 40, features: [], scores: [], driftedFeatures: 0, driftedShare: 0, datasetDrifted: false, driftedScores: [] },
    performance: [], shares: { current: { rows: 40, reject: 0, lowConfidence: 0 }, previous: { rows: 0, reject: 0, lowConfidence: 0 }, failed: null },
    findingIds: [], html: { bucket: 'artifacts', name: `reports/drift/${id}.html` }, durationMs: 12,
  };
}

export function finding(kind: 'data-drift' | 'performance-drop' | 'reject-share-rising', minutes: number, subject = 'dataset') {
  return newFinding({ kind, subject, summary: `${kind} seen`, evidence: { share: 0.6 }, reportId: 'drift-x', windowEnd: at(minutes).toISOString() }, at(minutes));
}

const config = MonitoringConfigSchema.parse({});

export function actionsOf(kind: 'data-drift' | 'performance-drop' | 'reject-share-rising', minutes: number, subject = 'dataset'): OpsAction[] {
  return planActions(finding(kind, minutes, subject), config, { production: { quality: 'v2' } }, at(minutes));
}

export function runDriftReportStoreContract(name: string, make: Factory<DriftReportStore>): void {
  describe(`DriftReportStore contract: ${name}`, () => {
    it('stores a report and reads it back; the same id twice is one report with the last content', async () => {
      const { store, dispose } = await make();
      try {
        await store.put(report('drift-a', 0));
        await store.put({ ...report('drift-a', 0), status: 'drift' });
        expect((await store.get('drift-a'))?.status).toBe('drift');
        expect(await store.get('drift-missing')).toBeNull();
        expect((await store.list({ limit: 10 })).items.map((r) => r.id)).toEqual(['drift-a']);
      } finally {
        await dispose();
      }
    });

    it('lists newest first in pages, and refuses a cursor it did not issue', async () => {
      const { store, dispose } = await make();
      try {
        await Promise.all([0, 10, 20, 30, 40].map((m, i) => store.put(report(`drift-${i}`, m))));
        const first = await store.list({ limit: 2 });
        expect(first.items.map((r) => r.id)).toEqual(['drift-4', 'drift-3']);
        const second = await store.list({ limit: 2, cursor: first.nextCursor });
        const third = await store.list({ limit: 2, cursor: second.nextCursor });
        expect([...second.items, ...third.items].map((r) => r.id)).toEqual(['drift-2', 'drift-1', 'drift-0']);
        expect(third.nextCursor).toBeUndefined();
        await expect(store.list({ limit: 2, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(/invalid cursor/);
      } finally {
        await dispose();
      }
    });

    it('refuses an invalid report', async () => {
      const { store, dispose } = await make();
      try {
        await expect(store.put({ ...report('bad id/../x', 0) })).rejects.toThrow();
      } finally {
        await dispose();
      }
    });
  });
}

export function runOpsStoreContract(name: string, make: Factory<OpsStore>, makeWithAdmins?: Factory<OpsStore>): void {
  describe(`OpsStore contract: ${name}`, () => {
    it('records a finding once per key, also when recorded five times at once', async () => {
      const { store, dispose } = await make();
      try {
        const f = finding('data-drift', 0);
        const results = await Promise.all(Array.from({ length: 5 }, () => store.recordFinding(f)));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect((await store.recordFinding(f)).created).toBe(false);
        await store.recordFinding(finding('data-drift', 60));
        expect((await store.findings({ limit: 10 })).map((x) => x.windowEnd)).toEqual([at(60).toISOString(), at(0).toISOString()]);
      } finally {
        await dispose();
      }
    });

    it('proposes an action once per key; another finding asking for it is added to it', async () => {
      const { store, dispose } = await make();
      try {
        const [retrain] = actionsOf('data-drift', 0);
        const results = await Promise.all(Array.from({ length: 4 }, () => store.proposeAction(retrain!)));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const other = { ...retrain!, findingIds: ['fnd-other'] };
        const merged = await store.proposeAction(other);
        expect(merged.created).toBe(false);
        expect(merged.action.findingIds.sort()).toEqual([...retrain!.findingIds, 'fnd-other'].sort());
        expect((await store.action(retrain!.id))?.findingIds).toHaveLength(2);
      } finally {
        await dispose();
      }
    });

    it('an admin decides a pending action once; unknown and decided actions are refused', async () => {
      const { store, dispose } = await make();
      try {
        const rollback = actionsOf('performance-drop', 0, 'quality').find((a) => a.type === 'rollback')!;
        expect(rollback.status).toBe('pending-approval');
        await store.proposeAction(rollback);
        const approved = await store.decide(rollback.id, 'approve', 'admin@example.com', 'looks right', at(5));
        expect(approved).toMatchObject({ status: 'approved', decidedBy: 'admin@example.com', comment: 'looks right' });
        await expect(store.decide(rollback.id, 'reject', 'admin@example.com', 'no', at(6))).rejects.toMatchObject({ code: 'NOT_PENDING' });
        await expect(store.decide('act-unknown', 'approve', 'a', '', at(6))).rejects.toBeInstanceOf(OpsConflictError);
        const hold = actionsOf('reject-share-rising', 0, 'pipeline').find((a) => a.type === 'hold-promotions')!;
        await store.proposeAction(hold);
        const decisions = await Promise.allSettled([store.decide(hold.id, 'approve', 'a', '', at(7)), store.decide(hold.id, 'reject', 'b', '', at(7))]);
        expect(decisions.filter((d) => d.status === 'fulfilled')).toHaveLength(1);
        expect((await store.actions({ status: 'pending-approval', limit: 10 }))).toHaveLength(0);
      } finally {
        await dispose();
      }
    });

    it('one runner claims an approved action, also when two try at once; only it finishes; an expired lease is taken over', async () => {
      const { store, dispose } = await make();
      try {
        const [retrain] = actionsOf('data-drift', 0);
        await store.proposeAction(retrain!);
        const claims = await Promise.all([store.claim(retrain!.id, 'one', 60_000, at(1)), store.claim(retrain!.id, 'two', 60_000, at(1))]);
        expect(claims.filter((c) => c !== null)).toHaveLength(1);
        const winner = claims.find((c) => c !== null)!.owner!;
        const loser = winner === 'one' ? 'two' : 'one';
        expect(await store.finish(retrain!.id, loser, { status: 'executed' }, at(2))).toBe(false);
        expect(await store.claim(retrain!.id, loser, 60_000, at(1.5))).toBeNull();
        // The winner died: after its lease, the other takes over; the winner can no longer finish.
        const taken = await store.claim(retrain!.id, loser, 60_000, at(3));
        expect(taken).toMatchObject({ owner: loser, attempts: 2, status: 'running' });
        expect(await store.finish(retrain!.id, winner, { status: 'executed' }, at(3.5))).toBe(false);
        expect(await store.finish(retrain!.id, loser, { status: 'executed', result: { jobId: 'j' } }, at(4))).toBe(true);
        expect(await store.action(retrain!.id)).toMatchObject({ status: 'executed', result: { jobId: 'j' }, leaseUntil: null });
        expect(await store.claim(retrain!.id, 'three', 60_000, at(100))).toBeNull();
        expect((await store.actions({ status: 'executed', limit: 10 })).map((a) => a.id)).toEqual([retrain!.id]);
      } finally {
        await dispose();
      }
    });

    it('a pending action cannot be claimed before its approval', async () => {
      const { store, dispose } = await make();
      try {
        const rollback = actionsOf('performance-drop', 0, 'quality').find((a) => a.type === 'rollback')!;
        await store.proposeAction(rollback);
        expect(await store.claim(rollback.id, 'one', 60_000, at(1))).toBeNull();
        await store.decide(rollback.id, 'reject', 'admin', 'not now', at(2));
        expect(await store.claim(rollback.id, 'one', 60_000, at(3))).toBeNull();
      } finally {
        await dispose();
      }
    });

    if (makeWithAdmins) {
      it('only configured admins decide', async () => {
        const { store, dispose } = await makeWithAdmins();
        try {
          const rollback = actionsOf('performance-drop', 0, 'quality').find((a) => a.type === 'rollback')!;
          await store.proposeAction(rollback);
          await expect(store.decide(rollback.id, 'approve', 'mallory', '', at(1))).rejects.toMatchObject({ code: 'NOT_ALLOWED' });
          expect((await store.decide(rollback.id, 'approve', 'root', '', at(1))).status).toBe('approved');
        } finally {
          await dispose();
        }
      });
    }
  });
}

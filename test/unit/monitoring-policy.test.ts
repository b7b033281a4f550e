import { describe, expect, it } from 'vitest';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteModelRegistryStore } from '../../functions/adapters/local/sqlite/model-registry-store.js';
import { SqliteOpsStore } from '../../functions/adapters/local/sqlite/monitoring-store.js';
import { MonitoringConfigSchema, type MonitoringConfigInput } from '../../functions/core/monitoring/config.js';
import { applyPolicy, decideAction, HOLD_MS, newFinding, planActions, POLICY, promotionHold, runReadyActions, type OpsExecutors, type PolicyDeps } from '../../functions/core/monitoring/ops-policy.js';
import { FindingKindSchema, type Finding } from '../../functions/core/monitoring/ops.js';
import { registryEffects } from '../../functions/platform/monitoring.js';
import { silentLogger } from '../../functions/platform/logger.js';

const T0 = Date.parse('2026-01-05T06:00:00.000Z');
const WINDOW = new Date(T0).toISOString();

function finding(kind: Finding['kind'], subject = 'quality', windowEnd = WINDOW): Finding {
  return newFinding({ kind, subject, summary: `${kind} on ${subject}`, evidence: { x: 1 }, reportId: 'drift-1', windowEnd }, new Date(T0));
}

/** Executors that record what they were asked to do (the effects themselves are tested on real stores below). */
function recordingExecutors(fail: Set<string> = new Set()) {
  const calls: Array<{ type: string; input: Record<string, unknown> }> = [];
  const executors: OpsExecutors = {
    async requestRetraining(input) {
      calls.push({ type: 'request-retraining', input });
      if (fail.has('request-retraining')) throw new Error('topic unavailable');
      return { requestId: input.requestId };
    },
    async rollback(input) {
      calls.push({ type: 'rollback', input });
      return { rolledBack: true };
    },
    async alert(input) {
      calls.push({ type: 'alert', input });
      return { logged: true };
    },
  };
  return { calls, executors };
}

function setup(config: MonitoringConfigInput = {}, fail?: Set<string>) {
  const db = openLedgerDatabase(':memory:');
  const store = new SqliteOpsStore(db);
  const { calls, executors } = recordingExecutors(fail);
  const deps = (owner = 'runner-1'): PolicyDeps => ({ store, executors, config: MonitoringConfigSchema.parse(config), owner, log: silentLogger, now: () => new Date(T0 + 60_000) });
  return { db, store, calls, deps };
}

const context = { production: { quality: 'v2', failure: 'v2' } };

describe('the operations policy', () => {
  it.each(FindingKindSchema.options)('maps %s to its actions, low risk approved by the policy, the rest pending', (kind) => {
    const actions = planActions(finding(kind), MonitoringConfigSchema.parse({}), context, new Date(T0));
    expect(actions.map((a) => a.type).sort()).toEqual(POLICY[kind].map((r) => r.type).sort());
    for (const a of actions) expect(a.status).toBe(a.risk === 'low' ? 'approved' : 'pending-approval');
    const rollback = actions.find((a) => a.type === 'rollback');
    if (rollback) expect(rollback.params).toEqual({ model: 'quality', fromVersion: 'v2' });
  });

  it('drift confirmed requests retraining at once; a performance drop asks an admin before rolling back', async () => {
    const { calls, deps, store } = setup();
    const out = await applyPolicy(deps(), [finding('data-drift', 'dataset'), finding('performance-drop', 'quality')], context);
    expect(out.findings.every((f) => f.created)).toBe(true);
    // One retraining for the window although both findings ask for one.
    expect(calls.filter((c) => c.type === 'request-retraining')).toHaveLength(1);
    expect(calls.filter((c) => c.type === 'alert')).toHaveLength(2);
    expect(calls.filter((c) => c.type === 'rollback')).toHaveLength(0);
    const retrain = (await store.actions({ limit: 20 })).find((a) => a.type === 'request-retraining')!;
    expect(retrain.findingIds).toHaveLength(2);
    expect(retrain.status).toBe('executed');
    const pending = await store.actions({ status: 'pending-approval', limit: 10 });
    expect(pending.map((a) => a.type)).toEqual(['rollback']);
  });

  it('nothing runs twice: the same findings again, and two runners at the same time', async () => {
    const { calls, deps } = setup();
    const findings = [finding('data-drift', 'dataset'), finding('prediction-drift', 'failure')];
    await Promise.all([applyPolicy(deps('a'), findings, context), applyPolicy(deps('b'), findings, context)]);
    const again = await applyPolicy(deps('c'), findings, context);
    expect(again.findings.every((f) => !f.created)).toBe(true);
    expect(again.executed).toEqual([]);
    expect(calls.filter((c) => c.type === 'request-retraining')).toHaveLength(1);
    expect(calls.filter((c) => c.type === 'alert')).toHaveLength(2);
  });

  it('honours approvals: an approved action runs once, a rejected one never, a second decision is refused', async () => {
    const { calls, deps, store } = setup();
    await applyPolicy(deps(), [finding('performance-drop', 'quality'), finding('reject-share-rising', 'pipeline')], context);
    const pending = await store.actions({ status: 'pending-approval', limit: 10 });
    const rollback = pending.find((a) => a.type === 'rollback')!;
    const hold = pending.find((a) => a.type === 'hold-promotions')!;
    const approved = await decideAction(deps(), rollback.id, 'approve', 'admin@example.com', 'F1 fell');
    expect(approved.status).toBe('executed');
    expect(calls.filter((c) => c.type === 'rollback')).toEqual([{ type: 'rollback', input: { model: 'quality', fromVersion: 'v2', actionId: rollback.id } }]);
    await expect(decideAction(deps(), rollback.id, 'approve', 'admin@example.com', '')).rejects.toMatchObject({ code: 'NOT_PENDING' });
    expect((await decideAction(deps(), hold.id, 'reject', 'admin@example.com', 'expected')).status).toBe('rejected');
    expect(await runReadyActions(deps())).toEqual([]);
    expect(calls.filter((c) => c.type === 'rollback')).toHaveLength(1);
    await expect(decideAction(deps(), 'act-00000000000000000000', 'approve', 'admin@example.com', '')).rejects.toMatchObject({ code: 'UNKNOWN_ACTION' });
  });

  it('only configured admins decide', async () => {
    const { deps, store } = setup({ policy: { admins: ['root'] } });
    await applyPolicy(deps(), [finding('performance-drop', 'quality')], context);
    const [rollback] = await store.actions({ status: 'pending-approval', limit: 10 });
    await expect(decideAction(deps(), rollback!.id, 'approve', 'mallory', '')).rejects.toMatchObject({ code: 'NOT_ALLOWED' });
    expect((await store.action(rollback!.id))?.status).toBe('pending-approval');
  });

  it('auto-runs medium risk when configured so; an executor failure is recorded and not retried', async () => {
    const { deps, store, calls } = setup({ policy: { autoRunMaxRisk: 'medium' } }, new Set(['request-retraining']));
    await applyPolicy(deps(), [finding('low-confidence-rising', 'pipeline')], context);
    const retrain = (await store.actions({ limit: 10 })).find((a) => a.type === 'request-retraining')!;
    expect(retrain.risk).toBe('medium');
    expect(retrain).toMatchObject({ status: 'failed', error: 'topic unavailable' });
    await runReadyActions(deps());
    expect(calls.filter((c) => c.type === 'request-retraining')).toHaveLength(1);
  });

  it('a hold on promotions makes the policy\'s retraining gate without promoting', async () => {
    const { deps, store, calls } = setup();
    await applyPolicy(deps(), [finding('failed-share-rising', 'pipeline')], context);
    const [hold] = await store.actions({ status: 'pending-approval', limit: 10 });
    await decideAction(deps(), hold!.id, 'approve', 'admin', '');
    await applyPolicy(deps(), [finding('data-drift', 'dataset', new Date(T0 + 6 * 3_600_000).toISOString())], context);
    expect(calls.find((c) => c.type === 'request-retraining')?.input).toMatchObject({ promote: false });
  });

  it('a hold is in force from its execution for HOLD_MS, for every retraining that asks, then lapses', async () => {
    const { deps, store } = setup();
    expect(await promotionHold(store, new Date(T0))).toBeNull();
    await applyPolicy(deps(), [finding('reject-share-rising', 'pipeline')], context);
    const [pending] = await store.actions({ status: 'pending-approval', limit: 10 });
    // Pending is not in force: only an admin's approval (which executes it) holds promotions.
    expect(await promotionHold(store, new Date(T0 + 120_000))).toBeNull();
    await decideAction(deps(), pending!.id, 'approve', 'admin', '');
    const executedAt = Date.parse((await store.action(pending!.id))!.executedAt!);
    expect(await promotionHold(store, new Date(executedAt + HOLD_MS - 1))).toEqual({ actionId: pending!.id, until: new Date(executedAt + HOLD_MS).toISOString() });
    expect(await promotionHold(store, new Date(executedAt + HOLD_MS))).toBeNull();
  });

  it('a runner killed mid-action is taken over after its lease; the rollback effect itself happens once', async () => {
    const db = openLedgerDatabase(':memory:');
    const registry = new SqliteModelRegistryStore(db);
    const at = new Date(T0);
    for (const v of ['v1', 'v2']) {
      await registry.register({ name: 'quality', version: v, kind: 'gbdt', createdAt: at.toISOString(), modelSha256: (v === 'v1' ? 'a' : 'b').repeat(64), metrics: {}, lineage: { dataSnapshot: { sha256: 'c'.repeat(64), rows: 1 }, featureSchemaVersion: 'inv-features-v1', codeRevision: null, parameters: {}, runId: null } }, { actor: 't', reason: 'r', at });
      await registry.promote('quality', v, { actor: 't', reason: 'r', at });
    }
    const effects = registryEffects(registry, silentLogger, () => at);
    const first = await effects.rollback({ model: 'quality', fromVersion: 'v2', actionId: 'act-1' });
    expect(first).toMatchObject({ rolledBack: true, to: 'v1' });
    // The same rollback again (a rerun after a kill between the effect and the record): nothing more happens.
    expect(await effects.rollback({ model: 'quality', fromVersion: 'v2', actionId: 'act-1' })).toMatchObject({ rolledBack: false });
    expect((await registry.pointer('quality')).production).toBe('v1');

    const store = new SqliteOpsStore(db);
    const [action] = planActions(finding('data-drift', 'dataset'), MonitoringConfigSchema.parse({}), context, at);
    await store.proposeAction(action!);
    expect(await store.claim(action!.id, 'dead-runner', 60_000, at)).not.toBeNull();
    expect(await store.claim(action!.id, 'next-runner', 60_000, new Date(T0 + 30_000))).toBeNull();
    expect((await store.claim(action!.id, 'next-runner', 60_000, new Date(T0 + 61_000)))?.attempts).toBe(2);
    db.close();
  });
});

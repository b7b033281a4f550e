/**
 * The monitoring routes on the embedded runtime: drift reports as JSON and HTML, the ops log, and an admin's
 * approval (the same approval twice and at the same time: one runs, the other is a 409), rejection, and
 * hostile ids. The records come from a real drift check and the real policy on the test app's data dir.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newFinding } from '../../functions/core/monitoring/ops-policy.js';
import { applyPolicy } from '../../functions/core/monitoring/ops-policy.js';
import { runDriftCheck } from '../../functions/core/monitoring/drift-check.js';
import { openLocalLearning, type LocalLearning } from '../../functions/platform/local-learning.js';
import { openLocalMonitoring, type LocalMonitoring } from '../../functions/platform/local-monitoring.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { testApi, type TestApi } from './helpers.js';

describe('monitoring routes', () => {
  let api: TestApi;
  let learning: LocalLearning;
  let monitoring: LocalMonitoring;
  const end = new Date('2026-06-01T06:00:00.000Z');

  beforeAll(async () => {
    api = await testApi();
    learning = await openLocalLearning({ dataDir: api.dataDir });
    monitoring = openLocalMonitoring(learning, { dataDir: api.dataDir, logger: silentLogger });
    // No production model yet: the check reports so, and writes its page.
    await runDriftCheck(monitoring.driftCheckDeps(silentLogger), end);
    const finding = (kind: 'performance-drop' | 'reject-share-rising') => newFinding({ kind, subject: kind === 'performance-drop' ? 'quality' : 'pipeline', summary: kind, evidence: {}, reportId: null, windowEnd: end.toISOString() }, end);
    await applyPolicy(monitoring.policy(silentLogger), [finding('performance-drop'), finding('reject-share-rising')], { production: { quality: 'v9' } });
  });
  afterAll(async () => {
    learning?.close();
    await api?.dispose();
  });

  it('lists reports and serves one as JSON and as an HTML page without scripts', async () => {
    const list = (await (await api.request('/v1/drift/reports', { key: api.keys.viewer })).json()) as { items: Array<{ id: string; status: string }> };
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.status).toBe('no-baseline');
    const id = list.items[0]!.id;
    const one = await api.request(`/v1/drift/reports/${id}`, { key: api.keys.viewer });
    expect(one.status).toBe(200);
    expect(((await one.json()) as { id: string }).id).toBe(id);
    const html = await api.request(`/v1/drift/reports/${id}/html`, { key: api.keys.viewer });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await html.text();
    expect(text).toContain('Drift report');
    expect(text).not.toMatch(/<script/);
    expect((await api.request('/v1/drift/reports/drift-nope', { key: api.keys.viewer })).status).toBe(404);
    expect((await api.request('/v1/drift/reports/..%2F..%2Fetc', { key: api.keys.viewer })).status).toBe(400);
    expect((await api.request('/v1/drift/reports?cursor=bogus', { key: api.keys.viewer })).status).toBe(400);
  });

  it('shows the ops log and lets only an admin decide; the same approval twice at once runs once', async () => {
    const log = (await (await api.request('/v1/ops/log?status=pending-approval', { key: api.keys.viewer })).json()) as { actions: Array<{ id: string; type: string }> };
    const rollback = log.actions.find((a) => a.type === 'rollback')!;
    const hold = log.actions.find((a) => a.type === 'hold-promotions')!;
    const post = (id: string, decision: string, key: string, body = '{"comment":"ok"}') => api.request(`/v1/ops/actions/${id}/${decision}`, { method: 'POST', key, headers: { 'content-type': 'application/json' }, body });
    expect((await post(rollback.id, 'approve', api.keys.reviewer)).status).toBe(403);
    const [a, b] = await Promise.all([post(rollback.id, 'approve', api.keys.admin), post(rollback.id, 'approve', api.keys.admin)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const done = (await (a.status === 200 ? a : b).json()) as { status: string; decidedBy: string; error: string | null };
    // No rollback target in an empty registry: the action ran and recorded why nothing changed.
    expect(done.status).toBe('executed');
    expect(done.decidedBy).toBe('admin key');
    const rejected = await post(hold.id, 'reject', api.keys.admin, '{}');
    expect(rejected.status).toBe(200);
    expect(((await rejected.json()) as { status: string }).status).toBe('rejected');
    expect((await post('act-00000000000000000000', 'approve', api.keys.admin)).status).toBe(404);
    expect((await post('not-an-action', 'approve', api.keys.admin)).status).toBe(400);
    expect((await post(hold.id, 'approve', api.keys.admin, '{"comment":' + JSON.stringify('x'.repeat(3000)) + '}')).status).toBe(400);
    const all = (await (await api.request('/v1/ops/log', { key: api.keys.viewer })).json()) as { findings: unknown[]; actions: Array<{ status: string }> };
    expect(all.findings).toHaveLength(2);
    expect(all.actions.filter((x) => x.status === 'pending-approval')).toHaveLength(0);
  });

  it('reports performance of the production models (none yet)', async () => {
    const res = await api.request('/v1/performance?hours=24', { key: api.keys.viewer });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { models: unknown[] }).models).toEqual([]);
    expect((await api.request('/v1/performance?hours=0', { key: api.keys.viewer })).status).toBe(400);
  });
});

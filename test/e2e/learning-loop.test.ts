/**
 * The learning loop end to end on the local runtime, through the real `ledgerx` command (child processes of
 * bin/ledgerx.mjs): invoices scored and logged, reviewed (including the unhappy paths: the same review twice at
 * the same time, hostile input, an unknown invoice), a retrain killed with SIGKILL mid-run and restarted (it
 * resumes from its checkpoint, no version is registered without its files, one run record), the promotion
 * waiting for an admin's approval, then the new versions serving invoices and recorded in the prediction log.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../functions/generator/index.js';
import { openLocalLearning, type LocalLearning } from '../../functions/platform/local-learning.js';
import { tempDir } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';
import { ledgerx as runLedgerx, LEDGERX_BIN } from '../helpers/cli.js';


describe('learning loop through the ledgerx command', () => {
  let dataDir: string;
  let seedDir: string;
  let inbox: string;
  let inbox2: string;
  const cleanup: Array<() => Promise<void>> = [];
  const scored: string[] = [];

  const ledgerx = (args: string[], actor = 'alice') => runLedgerx(['--data-dir', dataDir, ...args], { LEDGERX_ACTOR: actor, LEDGERX_MODELS_DIR: seedDir });
  const learning = async <T>(fn: (l: LocalLearning) => Promise<T>): Promise<T> => {
    const l = await openLocalLearning({ dataDir, seedDir });
    try {
      return await fn(l);
    } finally {
      l.close();
    }
  };

  beforeAll(async () => {
    const dirs = await Promise.all(['loop-data', 'loop-seed', 'loop-in', 'loop-in2'].map((p) => tempDir(p)));
    cleanup.push(...dirs.map((d) => d.dispose));
    [dataDir, seedDir, inbox, inbox2] = dirs.map((d) => d.dir) as [string, string, string, string];
    // An empty seed: the first retrain has no champion. Approval required; only `admin` decides.
    writeFileSync(join(dataDir, 'learning.json'), JSON.stringify({ promotion: { mode: 'approval', admins: ['admin'] }, registryRefreshSeconds: 1, retrain: { seed: 7, trials: 3, baseCount: 120, baseScans: 0 } }));
    await generateCorpus({ outDir: inbox, count: 6, seed: 31, mix: { bornDigital: 1, scan: 0, einvoicePdf: 0.3, einvoiceXml: 0 }, problemRates: NO_PROBLEMS });
    await mkdir(inbox2, { recursive: true });
    await generateCorpus({ outDir: inbox2, count: 3, seed: 32, mix: BORN_DIGITAL_ONLY, problemRates: NO_PROBLEMS });
  }, 120_000);
  afterAll(async () => {
    for (const c of cleanup) await c();
  });

  it('scores invoices and logs every scoring (rules only: no production model yet)', async () => {
    const r = await ledgerx(['process', inbox, '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { invoiceId: string; status: string });
    scored.push(...lines.filter((l) => l.status === 'SCORED').map((l) => l.invoiceId));
    expect(scored.length).toBeGreaterThanOrEqual(4);
    await learning(async (l) => {
      const page = await l.predictions.query({ limit: 100 });
      expect(page.items.map((e) => e.invoiceId).sort()).toEqual([...scored].sort());
      expect(page.items.every((e) => e.basis === 'rules' && Object.keys(e.modelVersions).length === 0 && e.revision === 1)).toBe(true);
      expect(Object.keys(page.items[0]!.features)).toHaveLength(61);
    });
  });

  it('records reviews under the API rule: the same review twice at the same time is stored once, another reviewer of the revision is refused', async () => {
    const [a, b, c] = scored;
    expect((await ledgerx(['review', a!, 'reject', '--note', 'duplicate of a paper invoice'])).code).toBe(0);
    const fix = await ledgerx(['review', b!, 'correct', 'total_amount=119,00', 'invoice_date=2025-02-01'], 'bob');
    expect(fix.code).toBe(0);
    expect(fix.stdout).toContain('total_amount');
    const twice = await Promise.all([0, 1].map(() => ledgerx(['review', c!, 'approve'], 'carol')));
    expect(twice.map((t) => t.code)).toEqual([0, 0]);
    // The same action again (a double submit) is `unchanged`, as the API answers it: one label, one history entry.
    expect(twice.filter((t) => t.stdout.includes('already recorded: unchanged'))).toHaveLength(1);
    // Another reviewer of a reviewed revision: the API's 409 ALREADY_REVIEWED, here exit 3 naming the first reviewer.
    const second = await ledgerx(['review', c!, 'reject', '--note', 'second opinion'], 'dave');
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/already reviewed: .* was reviewed by carol at .* \(approve\); one reviewer per revision/);
    // The first reviewer may still change their judgement (a new label replacing theirs).
    const changed = await ledgerx(['review', c!, 'reject'], 'carol');
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('replaces your earlier review');
    const history = await ledgerx(['review', c!, 'history', '--json']);
    const entries = history.stdout.trim().split('\n').map((l) => JSON.parse(l) as { current: boolean; reviewer: string; decision: string });
    expect(entries.map((e) => [e.reviewer, e.decision, e.current])).toEqual([['carol', 'approve', false], ['carol', 'reject', true]]);
    await learning(async (l) => {
      expect(await l.labels.effective(b!)).toMatchObject({ reviewer: 'bob', decision: 'approve', corrections: { total_amount: 119, invoice_date: '2025-02-01' } });
      expect((await l.labels.current(c!))).toEqual([expect.objectContaining({ reviewer: 'carol', decision: 'reject' })]);
    });
  });

  it('refuses hostile reviews with a usage error and stores nothing', async () => {
    const id = scored[3]!;
    const cases: Array<[string[], RegExp]> = [
      [['review', id, 'correct', 'iban_override=DE00'], /unknown field/],
      [['review', id, 'correct', 'total_amount=lots'], /must be a number/],
      [['review', id, 'correct', 'invoice_date=2025-13-40'], /invalid review/],
      [['review', id, 'correct', 'currency=EURO'], /invalid review/],
      [['review', id, 'approve', '--note', 'x'.repeat(5000)], /invalid review/],
      [['review', id, 'approve', '--reviewer', 'eve\u0007'], /invalid review|reviewer/],
      [['review', id, 'correct'], /at least one/],
      [['review', id, 'delete'], /action must be/],
      [['review', 'inv_does_not_exist', 'approve'], /unknown invoice/],
      [['review', '../../etc/passwd', 'approve'], /invoice ids/],
    ];
    for (const [args, message] of cases) {
      const r = await ledgerx([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    await learning(async (l) => expect(await l.labels.history(id)).toEqual([]));
  });

  it('a retrain killed with SIGKILL resumes from its checkpoint when restarted; no version without files, one run', async () => {
    const child = spawn(process.execPath, [LEDGERX_BIN, '--data-dir', dataDir, '--models', seedDir, 'retrain', '--reason', 'e2e'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LEDGERX_ACTOR: 'alice' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Kill it as soon as the snapshot is checkpointed (the base corpus went through the pipeline): mid-training.
    const deadline = Date.now() + 240_000;
    let checkpointed = false;
    while (Date.now() < deadline && !checkpointed && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
      checkpointed = existsSync(join(dataDir, 'ledgerx.db')) && (await learning(async (l) => (await l.jobs.list({ kind: 'retrain', limit: 5 })).some((j) => (j.checkpoint as { phase?: string } | undefined)?.phase === 'snapshot')));
    }
    expect(checkpointed, stderr.slice(-2000)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    const killed = await learning(async (l) => {
      const [job] = await l.jobs.list({ kind: 'retrain', limit: 5 });
      // Whatever was registered before the kill has its files.
      for (const v of await l.registry.list()) expect(await l.artifacts.exists(v.name, v.version), `${v.name}@${v.version}`).toBe(true);
      expect(await l.registry.production()).toEqual({});
      return job!;
    });
    expect(killed.status).toBe('running');
    const runId = (killed.checkpoint as { runId: string }).runId;

    const again = await ledgerx(['retrain', '--json']);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(again.stderr).toContain(`resuming job ${killed.id}`);
    const job = JSON.parse(again.stdout.trim()) as { status: string; attempts: number; result: { runId: string; outcomes: Array<{ model: string; outcome: string; requestId: string; reasons: string[] }> } };
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, result: { runId } });
    const outcome = (m: string) => job.result.outcomes.find((o) => o.model === m)!;
    expect([outcome('failure').outcome, outcome('failure').reasons]).toEqual(['pending-approval', ['NO_CHAMPION']]);
    // A small born-digital corpus may hold one class only on its held-out split (every extraction right: the
    // quality label; no injected unusual amount: the anomaly model's weak labels). A model that cannot be judged
    // is not promoted.
    for (const m of ['quality', 'anomaly']) expect([['pending-approval', ['NO_CHAMPION']], ['blocked', ['NO_SIGNAL']]], m).toContainEqual([outcome(m).outcome, outcome(m).reasons]);
    await learning(async (l) => {
      const versions = await l.registry.list();
      expect(versions).toHaveLength(3);
      expect(versions.every((v) => v.stage === 'staging' && v.lineage.runId === runId)).toBe(true);
      const { items } = await l.runs.list({ limit: 10 });
      expect(items.map((r) => [r.id, r.status])).toEqual([[runId, 'succeeded']]);
      // The reviewed invoices are in the snapshot with their review labels.
      expect(items[0]!.dataSnapshot?.sources).toMatchObject({ reviewed: 3 });
      expect(items[0]!.dataSnapshot?.rows).toBe((items[0]!.dataSnapshot?.sources.base ?? 0) + 3);
    });
  }, 400_000);

  it('waits for an admin to approve; then the new versions score invoices and the prediction log says so', async () => {
    const pending = (await ledgerx(['models', 'requests', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; name: string; version: string; requestedBy: string });
    expect(pending.map((p) => p.name)).toContain('failure');
    expect(pending.every((p) => p.requestedBy === 'retrain-job')).toBe(true);
    const denied = await ledgerx(['models', 'approve', pending[0]!.id, '--comment', 'mine'], 'mallory');
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('NOT_ALLOWED');
    for (const p of pending) {
      const ok = await ledgerx(['models', 'approve', p.id, '--comment', 'reviewed the gate evidence'], 'admin');
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('now production');
    }
    const version = pending[0]!.version;
    const audit = (await ledgerx(['models', 'audit', 'failure', version, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; actor: string });
    expect(audit.map((a) => `${a.action}:${a.actor}`)).toEqual(['register:retrain-job', 'gate:retrain-job', 'request:retrain-job', 'approve:admin', 'promote:admin']);

    const r = await ledgerx(['process', inbox2, '--json']);
    expect(r.code).toBe(0);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { invoiceId: string; status: string });
    await learning(async (l) => {
      expect(await l.registry.production()).toEqual(Object.fromEntries(pending.map((p) => [p.name, version]).sort()));
      const served = await l.predictions.query({ model: { name: 'failure', version }, limit: 100 });
      expect(served.items.map((e) => e.invoiceId).sort()).toEqual(results.filter((x) => x.status === 'SCORED').map((x) => x.invoiceId).sort());
      expect(served.items.every((e) => e.basis === 'models+rules' && e.scores.failure!.raw !== null && e.scores.failure!.calibrated !== null)).toBe(true);
    });
    // Rollback has nothing to go back to (one production version so far): a usage error, nothing changes.
    const rb = await ledgerx(['models', 'rollback', 'failure', '--reason', 'test'], 'admin');
    expect(rb.code).toBe(2);
    expect(rb.stderr).toContain('NO_ROLLBACK_TARGET');
    const runs = await ledgerx(['runs', 'list', '--json']);
    const [only] = runs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    const cmp = await ledgerx(['runs', 'compare', only!.id, only!.id]);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toMatch(/failure\tsplit:test\tf1\t[\d.]+\t[\d.]+\t\+0\.0000/);
    expect(cmp.stdout).toMatch(/language:/);
  }, 200_000);
});

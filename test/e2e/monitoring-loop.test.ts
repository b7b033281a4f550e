/**
 * The monitoring half of the learning loop end to end on the local runtime, through the real `ledgerx`
 * command (child processes): a first model in production (trained here, so it ships a drift baseline),
 * drifted invoices scored by it, a drift check killed with SIGKILL mid-run and run again (one report, each
 * finding and action once), the finding turned into `retrain-requested` by the operations policy (a queued
 * retraining job), the retraining gated against the champion and promoted, and the next invoice scored by the
 * new version. Small corpora and few trials keep it fast; the seeds make it deterministic.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../functions/core/monitoring/report.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { openLocalLearning, type LocalLearning } from '../../functions/platform/local-learning.js';
import { tempDir } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';
import { ledgerx as runLedgerx, LEDGERX_BIN } from '../helpers/cli.js';


describe('monitoring loop through the ledgerx command', () => {
  let dataDir: string;
  let seedDir: string;
  let drifted: string;
  let later: string;
  const cleanup: Array<() => Promise<void>> = [];
  const T1 = new Date(Date.now() + 60_000).toISOString();

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
    const dirs = await Promise.all(['mon-data', 'mon-seed', 'mon-drifted', 'mon-later'].map((p) => tempDir(p)));
    cleanup.push(...dirs.map((d) => d.dispose));
    [dataDir, seedDir, drifted, later] = dirs.map((d) => d.dir) as [string, string, string, string];
    // Gate: the challenger must not be worse overall (margin 0); slices are not judged on corpora this small.
    writeFileSync(join(dataDir, 'learning.json'), JSON.stringify({ promotion: { mode: 'auto' }, registryRefreshSeconds: 1, gate: { margin: 0, sliceTolerance: 1 }, retrain: { seed: 7, trials: 2, baseCount: 120, baseScans: 0 } }));
    writeFileSync(join(dataDir, 'monitoring.json'), JSON.stringify({ drift: { minRows: 5, datasetDriftShare: 0.2 }, policy: { retrainTrials: 2 } }));
    // Production saw born-digital PDFs; the window is standalone XML e-invoices only: no page, no OCR, every field from XML.
    await generateCorpus({ outDir: drifted, count: 12, seed: 41, mix: { bornDigital: 0, scan: 0, einvoicePdf: 0, einvoiceXml: 1 }, problemRates: NO_PROBLEMS });
    await generateCorpus({ outDir: later, count: 2, seed: 42, mix: BORN_DIGITAL_ONLY, problemRates: NO_PROBLEMS });
  }, 120_000);
  afterAll(async () => {
    for (const c of cleanup) await c();
  });

  it('trains a first production model that ships its drift baseline', async () => {
    const r = await ledgerx(['retrain', '--reason', 'bootstrap', '--base-count', '60', '--trials', '1', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    await learning(async (l) => {
      const production = await l.registry.production();
      expect(Object.keys(production)).toContain('failure');
      const dir = await l.artifacts.materialize('failure', production.failure!);
      expect(existsSync(join(dir, 'baseline.json'))).toBe(true);
    });
  }, 300_000);

  it('scores the drifted invoices with the production model', async () => {
    const r = await ledgerx(['process', drifted, '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    await learning(async (l) => {
      const { items } = await l.predictions.query({ limit: 100 });
      expect(items.length).toBe(12);
      expect(items.every((e) => e.modelVersions.failure)).toBe(true);
    });
  }, 120_000);

  it('a drift check killed with SIGKILL mid-run and run again gives one report, each finding and action once', async () => {
    const key = `drift-check:cli:${T1}`;
    let killedMidRun = false;
    for (let attempt = 0; attempt < 5 && !killedMidRun; attempt++) {
      const child = spawn(process.execPath, [LEDGERX_BIN, '--data-dir', dataDir, 'drift', 'run', '--window-end', T1], { stdio: 'ignore', env: { ...process.env, LEDGERX_MODELS_DIR: seedDir } });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const db = new Database(join(dataDir, 'ledgerx.db'), { readonly: true, fileMustExist: true });
      try {
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline && child.exitCode === null) {
          const row = db.prepare("SELECT status FROM jobs WHERE key = ?").get(key) as { status: string } | undefined;
          if (row?.status === 'running' && child.exitCode === null) {
            killedMidRun = child.kill('SIGKILL');
            break;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      } finally {
        db.close();
      }
      await exited;
      const status = await learning(async (l) => (await l.jobs.byKey(key))?.status);
      if (status === 'succeeded') break;
    }
    // Same window again, and twice at the same time: the job is resumed (or found done), never duplicated.
    const [a, b] = await Promise.all([ledgerx(['drift', 'run', '--window-end', T1, '--json']), ledgerx(['drift', 'run', '--window-end', T1, '--json'])]);
    const ok = [a, b].filter((r) => r.code === 0);
    expect(ok.length, a.stderr + b.stderr).toBeGreaterThanOrEqual(1);
    const again = await ledgerx(['drift', 'run', '--window-end', T1, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as DriftReport;
    expect(report.status).toBe('drift');
    expect(report.drift!.datasetDrifted).toBe(true);
    expect(report.drift!.features.find((f) => f.name === 'is_einvoice')?.drifted).toBe(true);
    await learning(async (l) => {
      const job = await l.jobs.byKey(key);
      expect(job?.status).toBe('succeeded');
      if (killedMidRun) expect(job!.attempts).toBeGreaterThanOrEqual(2);
    });
    const list = await ledgerx(['drift', 'list', '--json']);
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    const html = await ledgerx(['drift', 'show', report.id, '--html']);
    expect(html.stdout).toContain('<svg');
    expect(html.stdout).not.toContain('<script');
    const log = (await ledgerx(['ops', 'log', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { finding?: { kind: string }; action?: { type: string; status: string; params: Record<string, unknown> } });
    const findings = log.flatMap((x) => (x.finding ? [x.finding.kind] : []));
    expect(findings.filter((k) => k === 'data-drift')).toHaveLength(1);
    const retrains = log.flatMap((x) => (x.action?.type === 'request-retraining' ? [x.action] : []));
    expect(retrains).toHaveLength(1);
    expect(retrains[0]!.status).toBe('executed');
    const queued = await learning(async (l) => l.jobs.list({ kind: 'retrain', status: 'queued', limit: 10 }));
    expect(queued).toHaveLength(1);
    expect(queued[0]!.params).toMatchObject({ reason: 'ops data-drift', trigger: 'ops', trials: 2 });
    console.info(`[monitoring-loop] drift check killed mid-run: ${killedMidRun}; drifted ${report.drift!.driftedFeatures} of ${report.drift!.features.length} features`);
  }, 200_000);

  it('the requested retraining runs, passes the gate, and the new version scores the next invoice', async () => {
    const before = await learning((l) => l.registry.production());
    const r = await ledgerx(['retrain', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const job = JSON.parse(r.stdout.trim()) as { params: { reason: string }; status: string; result: { outcomes: Array<{ model: string; version: string; outcome: string; reasons: string[] }> } };
    expect(job.params.reason).toBe('ops data-drift');
    expect(job.status).toBe('succeeded');
    const promoted = job.result.outcomes.filter((o) => o.outcome === 'promoted');
    expect(promoted.map((o) => o.model), JSON.stringify(job.result.outcomes)).toContain('failure');
    const after = await learning((l) => l.registry.production());
    expect(after.failure).not.toBe(before.failure);
    const p = await ledgerx(['process', later, '--json']);
    expect(p.code, p.stderr.slice(-2000)).toBe(0);
    await learning(async (l) => {
      const { items } = await l.predictions.query({ limit: 100 });
      const latest = items.slice(-2);
      expect(latest.every((e) => e.modelVersions.failure === after.failure)).toBe(true);
    });
  }, 400_000);
});

/**
 * The local pipeline as a new user meets it: a folder with repeated files, two copies at the same time, a
 * kill -9 and a rerun, a restarted `serve`, a stage that never finishes. Every test runs real files through the
 * real CLI (a child process of bin/ledgerx.mjs) or the real local runtime.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { submitBatch } from '../../functions/platform/local-batch.js';
import { inputFiles, processFiles, tempDir, testRuntime } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';
import { ledgerx, LEDGERX_BIN } from '../helpers/cli.js';


type Line = { file: string; invoiceId: string; status: string; decision: string | null; reasons: Array<{ code: string }> };
const parse = (stdout: string): Line[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
/** What a user compares between two runs, file by file. */
const outcome = (l: Line) => `${l.status} ${l.decision} ${l.reasons.map((r) => r.code).sort().join(',')}`;

describe('restarts and repeats on the local stack', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let unique: string[];
  let src: string;
  let work: string;

  beforeAll(async () => {
    const a = await tempDir('restarts');
    cleanup.push(a.dispose);
    work = a.dir;
    src = join(work, 'src');
    await generateCorpus({
      outDir: src, count: 48, seed: 21,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    unique = (await readdir(src)).filter((f) => f.endsWith('.pdf')).sort();
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  /** `copies(i)` copies of each unique file under different names, adjacent so copies run at the same time. */
  async function folderWithRepeats(name: string, copies: (i: number) => number): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    for (const [i, f] of unique.entries()) {
      for (let c = 0; c < copies(i); c++) await copyFile(join(src, f), join(dir, `${f.slice(0, -4)}-copy${c}.pdf`));
    }
    return dir;
  }

  it('process --json accounts for every one of 240 files with repeats: one line each, one original per content', async () => {
    const dir = await folderWithRepeats('repeats', () => 5);
    const { stdout, code, stderr } = await ledgerx(['--data-dir', join(work, 'data-repeats'), 'process', '--json', dir]);
    expect(stderr).not.toMatch(/did not settle/);
    expect(code).toBe(0);
    const lines = parse(stdout);
    expect(lines).toHaveLength(240);
    expect(new Set(lines.map((l) => l.file)).size).toBe(240);
    expect(lines.every((l) => l.status === 'SCORED')).toBe(true);
    // Per content, exactly one copy is not a duplicate.
    for (const f of unique) {
      const group = lines.filter((l) => basename(l.file).startsWith(`${f.slice(0, -4)}-copy`));
      expect(group, f).toHaveLength(5);
      const originals = group.filter((l) => !l.reasons.some((r) => r.code === 'DUP_CONTENT_HASH'));
      expect(originals, f).toHaveLength(1);
    }
  }, 300_000);

  it('never approves two of 20 copies of one invoice processed at the same time', async () => {
    const { runtime, dispose } = await testRuntime({ bus: { concurrency: 8 } });
    try {
      const dir = join(work, 'twenty');
      await mkdir(dir, { recursive: true });
      const names = Array.from({ length: 20 }, (_, i) => `same-${i}.pdf`);
      for (const n of names) await copyFile(join(src, unique[0]!), join(dir, n));
      const results = await processFiles(runtime, dir, names);
      const decisions = [...results.values()].map((r) => r.record?.decision?.decision);
      expect(decisions.filter((d) => d !== 'REJECT')).toHaveLength(1);
      const dupReasons = [...results.values()].filter((r) => r.record?.decision?.reasons.some((x) => x.code === 'DUP_CONTENT_HASH'));
      expect(dupReasons).toHaveLength(19);
    } finally {
      await dispose();
    }
  }, 120_000);

  it('after kill -9 mid-batch, the same command again ends every file as an uninterrupted run does', async () => {
    // 80 different invoices: with copies, which copy is the original depends on timing even without a kill.
    const dir = join(work, 'killed');
    await generateCorpus({
      outDir: dir, count: 80, seed: 33,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    await (await import('node:fs/promises')).rm(join(dir, 'manifest.json'));
    expect((await readdir(dir)).length).toBe(80);
    const reference = parse((await ledgerx(['--data-dir', join(work, 'data-reference'), 'process', '--json', dir])).stdout);
    expect(reference).toHaveLength(80);

    const dataDir = join(work, 'data-killed');
    const child: ChildProcess = spawn(process.execPath, [LEDGERX_BIN, '--data-dir', dataDir, '--log-level', 'info', 'process', '--json', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Kill it once part of the batch has been scored, while the rest is in flight.
    let scored = 0;
    await new Promise<void>((resolveKill, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        scored += (d.toString().match(/"invoice scored"/g) ?? []).length;
        if (scored >= 20 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolveKill();
        }
      });
      child.on('exit', () => (scored >= 20 ? resolveKill() : reject(new Error(`exited before the kill, ${scored} scored`))));
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');
    // Work was left in flight: stored messages of the durable bus.
    const db = openLedgerDatabase(join(dataDir, 'ledgerx.db'));
    const inFlight = (db.connection.prepare('SELECT COUNT(*) AS n FROM bus_messages').get() as { n: number }).n;
    const settled = (db.connection.prepare(`SELECT COUNT(*) AS n FROM invoices WHERE status IN ('SCORED','REJECTED','FAILED')`).get() as { n: number }).n;
    db.close();
    expect(inFlight + (80 - settled)).toBeGreaterThan(0);

    const rerun = await ledgerx(['--data-dir', dataDir, 'process', '--json', dir]);
    expect(rerun.code).toBe(0);
    const lines = parse(rerun.stdout);
    expect(lines).toHaveLength(80);
    const byFile = new Map(reference.map((l) => [l.file, outcome(l)]));
    for (const l of lines) expect(outcome(l), l.file).toBe(byFile.get(l.file));
    // Nothing was imported twice: one invoice per file, none rejected as a duplicate of itself.
    const db2 = openLedgerDatabase(join(dataDir, 'ledgerx.db'));
    const invoices = (db2.connection.prepare('SELECT COUNT(*) AS n FROM invoices').get() as { n: number }).n;
    const stuck = (db2.connection.prepare(`SELECT COUNT(*) AS n FROM idempotency WHERE status = 'IN_PROGRESS'`).get() as { n: number }).n;
    db2.close();
    expect(invoices).toBe(80);
    expect(stuck).toBe(0);
  }, 300_000);

  it('after kill -9 while PP-OCR reads scans, the same command again ends every scan once', async () => {
    const dir = join(work, 'killed-scans');
    await generateCorpus({
      outDir: dir, count: 6, seed: 41, scanFormats: ['png'],
      mix: { bornDigital: 0, scan: 1, einvoicePdf: 0, einvoiceXml: 0 },
      problemRates: NO_PROBLEMS,
    });
    await (await import('node:fs/promises')).rm(join(dir, 'manifest.json'));
    const env = { ...process.env, LEDGERX_SCAN_ENGINE: 'ppocr' };
    const dataDir = join(work, 'data-killed-scans');
    const child = spawn(process.execPath, [LEDGERX_BIN, '--data-dir', dataDir, '--log-level', 'info', 'process', '--json', dir], { stdio: ['ignore', 'pipe', 'pipe'], env });
    await new Promise<void>((resolveKill, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        if (/"invoice scored"/.test(d.toString()) && child.exitCode === null) {
          child.kill('SIGKILL');
          resolveKill();
        }
      });
      child.on('exit', () => (child.signalCode === 'SIGKILL' ? resolveKill() : reject(new Error('exited before the kill'))));
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
    expect(child.signalCode).toBe('SIGKILL');

    const rerun = await ledgerx(['--data-dir', dataDir, 'process', '--json', dir], { LEDGERX_SCAN_ENGINE: 'ppocr' });
    expect(rerun.code).toBe(0);
    const lines = parse(rerun.stdout);
    expect(lines).toHaveLength(6);
    expect(lines.every((l) => l.status === 'SCORED')).toBe(true);
    expect(lines.some((l) => l.reasons.some((r) => r.code === 'DUP_CONTENT_HASH'))).toBe(false);
    const db = openLedgerDatabase(join(dataDir, 'ledgerx.db'));
    const invoices = (db.connection.prepare('SELECT COUNT(*) AS n FROM invoices').get() as { n: number }).n;
    db.close();
    expect(invoices).toBe(6);
  }, 240_000);

  it('a restarted serve answers the files already taken in with their invoices instead of importing them again', async () => {
    const dataDir = join(work, 'data-serve');
    const drop = join(work, 'drop');
    await mkdir(drop, { recursive: true });
    for (const f of unique.slice(0, 3)) await copyFile(join(src, f), join(drop, f));
    const serve = async (expected: number) => {
      const child = spawn(process.execPath, [LEDGERX_BIN, '--data-dir', dataDir, 'serve', '--inbox', drop], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      for (let i = 0; i < 600 && out.trim().split('\n').filter(Boolean).length < expected; i++) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      return parse(out);
    };
    const first = await serve(3);
    expect(first.map((l) => l.status)).toEqual(['SCORED', 'SCORED', 'SCORED']);
    const second = await serve(3);
    expect(second.map((l) => l.invoiceId).sort()).toEqual(first.map((l) => l.invoiceId).sort());
    const db = openLedgerDatabase(join(dataDir, 'ledgerx.db'));
    expect((db.connection.prepare('SELECT COUNT(*) AS n FROM invoices').get() as { n: number }).n).toBe(3);
    db.close();
    // A changed file under the same name is new work.
    await writeFile(join(drop, unique[0]!), await (await import('node:fs/promises')).readFile(join(src, unique[3]!)));
    const third = await serve(3);
    expect(new Set(third.map((l) => l.invoiceId)).size).toBe(3);
    const db3 = openLedgerDatabase(join(dataDir, 'ledgerx.db'));
    expect((db3.connection.prepare('SELECT COUNT(*) AS n FROM invoices').get() as { n: number }).n).toBe(4);
    db3.close();
  }, 180_000);

  it('refuses a second pipeline process on the same data folder', async () => {
    const dataDir = join(work, 'data-locked');
    const child = spawn(process.execPath, [LEDGERX_BIN, '--data-dir', dataDir, 'serve', '--inbox', join(work, 'empty-drop')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 300 && !err.includes('watching'); i++) await new Promise((r) => setTimeout(r, 100));
    const second = await ledgerx(['--data-dir', dataDir, 'process', join(src, unique[0]!)]);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/in use by process \d+/);
    // Reading records needs no lock.
    expect((await ledgerx(['--data-dir', dataDir, 'export', '--format', 'jsonl'])).code).toBe(0);
  }, 60_000);

  it('reports an input that never settles instead of ending silently', async () => {
    // A model registry that never answers: inference hangs on the first invoice.
    const { runtime, dispose } = await testRuntime({ models: { loadProduction: () => new Promise(() => undefined) }, bus: { closeGraceMs: 100 } });
    try {
      const outcome = await submitBatch(runtime, inputFiles(src, unique.slice(0, 2)), { progress: false, stallMs: 8_000 });
      expect(outcome.submissions).toHaveLength(2);
      expect(outcome.unsettled.map((s) => s.file.display).sort()).toEqual(unique.slice(0, 2));
      // Both got as far as scoring, which never returns.
      for (const s of outcome.unsettled) expect((await runtime.store.get(s.invoiceId))?.status).toBe('FEATURES_DONE');
    } finally {
      await dispose();
    }
  }, 60_000);
});

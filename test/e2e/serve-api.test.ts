/**
 * `ledgerx serve` as a user runs it: a real child process that prints its API address and an admin key,
 * serves the API and the drop folder, is killed with SIGKILL mid-work, and after a restart answers again with
 * everything it had (the old admin key revoked, a new one printed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../functions/generator/index.js';
import { tempDir } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';
import { LEDGERX_BIN } from '../helpers/cli.js';


interface Serving { child: ChildProcess; url: string; key: string; stderr: () => string }

async function startServe(dataDir: string): Promise<Serving> {
  const child = spawn(process.execPath, [LEDGERX_BIN, '--data-dir', dataDir, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start:\n${err}`)), 60_000);
    const check = () => {
      if (/watching /.test(err) && /admin key .*: lxk_/.test(err)) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${err}`)));
  });
  const url = /api: (http:\/\/127\.0\.0\.1:\d+)/.exec(err)![1]!;
  const key = /admin key [^:]*: (lxk_\S+)/.exec(err)![1]!;
  return { child, url, key, stderr: () => err };
}

describe('ledgerx serve: the API in a real process, killed and restarted', () => {
  let work: { dir: string; dispose: () => Promise<void> };
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    work = await tempDir('serve-api');
    await generateCorpus({ outDir: join(work.dir, 'in'), count: 3, seed: 5, mix: BORN_DIGITAL_ONLY, problemRates: NO_PROBLEMS });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await work?.dispose();
  });

  it('prints a loopback address and an admin key, answers, survives SIGKILL and answers again after a restart', async () => {
    const dataDir = join(work.dir, 'data');
    const pdfs = (await readdir(join(work.dir, 'in'))).filter((f) => f.endsWith('.pdf')).sort();
    const first = await startServe(dataDir);
    children.push(first.child);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    expect((await fetch(`${first.url}/v1/health`)).status).toBe(200);
    const done = (await (await fetch(`${first.url}/v1/invoices?name=a.pdf&wait=60s`, { method: 'POST', headers: auth(first.key), body: await readFile(join(work.dir, 'in', pdfs[0]!)) })).json()) as { invoiceId: string; status: string };
    expect(done.status).toBe('SCORED');
    // Work in flight when the process dies.
    const inFlight = (await (await fetch(`${first.url}/v1/invoices?name=b.pdf`, { method: 'POST', headers: auth(first.key), body: await readFile(join(work.dir, 'in', pdfs[1]!)) })).json()) as { invoiceId: string };
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await expect(fetch(`${first.url}/v1/health`)).rejects.toThrow();

    const second = await startServe(dataDir);
    children.push(second.child);
    expect(second.key).not.toBe(first.key);
    expect((await fetch(`${second.url}/v1/health`)).status).toBe(200);
    expect((await fetch(`${second.url}/v1/me`, { headers: auth(first.key) })).status).toBe(401);
    expect((await (await fetch(`${second.url}/v1/invoices/${done.invoiceId}`, { headers: auth(second.key) })).json())).toMatchObject({ invoice: { status: 'SCORED' } });
    // The upload accepted before the kill is finished by the restarted process.
    const resumed = await (async () => {
      for (let i = 0; i < 600; i++) {
        const r = (await (await fetch(`${second.url}/v1/invoices/${inFlight.invoiceId}`, { headers: auth(second.key) })).json()) as { invoice?: { status: string } };
        if (r.invoice && ['SCORED', 'REJECTED', 'FAILED'].includes(r.invoice.status)) return r.invoice.status;
        await new Promise((res) => setTimeout(res, 100));
      }
      return 'not settled';
    })();
    expect(resumed).toBe('SCORED');
    second.child.kill('SIGTERM');
    expect(await new Promise((r) => second.child.once('exit', r))).toBe(0);
  }, 240_000);
});

/**
 * What the browser tests and the web bench share: a real `ledgerx serve` child process on a temp data folder
 * (its admin key read from its stderr), Debian's Chromium driven by playwright-core (never a downloaded browser),
 * sign-in through the page, axe-core injected from node_modules, and screenshots into reports/web/.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
export const SKIP_MESSAGE = `[web] ${CHROMIUM} not found: browser tests skipped (install Debian's chromium: apt-get install -y chromium)`;
export const SCREENSHOTS = join(ROOT, 'reports', 'web', 'screenshots');

/** The CLI and the web app, built when this checkout has not been built yet (npm test builds first). */
export function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), 'cli'], { stdio: 'inherit' });
  if (!existsSync(join(ROOT, 'dist', 'web', 'app.js'))) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), 'web'], { stdio: 'inherit' });
}

export interface Served {
  url: string;
  adminKey: string;
  dataDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `ledgerx serve --port 0` on `dataDir` and resolves once it watches its folder. */
export async function startServe(dataDir: string, args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, ['--max-old-space-size=1024', join(ROOT, 'bin', 'ledgerx.mjs'), 'serve', '--data-dir', dataDir, '--port', '0', ...args], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LEDGERX_ACTOR: 'web-test' },
  });
  let stderr = '';
  const ready = await new Promise<{ url: string; adminKey: string }>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`serve did not start in 60 s:\n${stderr.slice(-2000)}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = /api: (http:\/\/\S+)/.exec(stderr)?.[1];
      const adminKey = /admin key[^:]*: (lxk_\S+)/.exec(stderr)?.[1];
      if (url && adminKey && /watching /.test(stderr)) {
        clearTimeout(timer);
        res({ url, adminKey });
      }
    });
    child.once('exit', (code) => rej(new Error(`serve exited (${code}):\n${stderr.slice(-2000)}`)));
  });
  return {
    ...ready,
    dataDir,
    child,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

export async function tempDataDir(): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ledgerx-web-'));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A tab signed in with `key` through the sign-in form; collects CSP violations and dialogs. */
export async function signedInPage(context: BrowserContext, url: string, key: string): Promise<{ page: Page; violations: string[]; dialogs: string[] }> {
  const page = await context.newPage();
  const violations: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`${url}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('who').waitFor();
  return { page, violations, dialogs };
}

let axeSource: string | undefined;

/** axe-core's serious and critical violations on the page (injected over the DevTools protocol: the CSP stays on). */
export async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const result = (await page.evaluate(() => (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<unknown> } }).axe.run(document, { resultTypes: ['violations'] }))) as {
    violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }>;
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)).join(', ')})`);
}

/** Screenshots of the page at 1280 and 390 px wide: reports/web/screenshots/<name>-<width>.png. */
export async function screenshots(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

export async function apiCall<T>(url: string, key: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${key}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

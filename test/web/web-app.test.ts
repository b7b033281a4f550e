/**
 * The web app in a real headless Chromium (Debian's, driven by playwright-core) against a real `ledgerx serve`:
 * sign-in, the live table with filters and sorting in the URL, files dropped onto the page (signed uploads with
 * a progress bar each, refusals for an unsupported type, an oversized file and an expired URL) and one invoice
 * reaching its decision, a chosen folder (subfolders walked, hidden files skipped), the table as cards at
 * 390 px, the invoice page with its fields outlined on the page image, the review queue worked with the keyboard
 * alone (labels checked through the API), a model rolled back and promoted by an admin after a confirmation, a
 * viewer refused, a hostile supplier name shown as text with no dialog, the CSP on every page, axe-core on every
 * page, and screenshots at 1280 and 390 px (reports/web/screenshots). One browser, one server. Skips with a
 * message when /usr/bin/chromium is absent.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../functions/generator/index.js';
import { openLocalLearning } from '../../functions/platform/local-learning.js';
import { registerCopy } from '../helpers/model-copy.js';
import { HOSTILE_SUPPLIER, seedInvoices, seededRecord } from './seed.js';
import {
  apiCall, axeViolations, chromiumAvailable, ensureBuilt, launchChromium, screenshots, signedInPage, SKIP_MESSAGE, startServe, tempDataDir, type Served,
} from './harness.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

if (!chromiumAvailable) console.warn(SKIP_MESSAGE);

const idOf = (i: number) => `inv_${i.toString(16).padStart(24, '0')}`;
/** The shipped production version of the quality model (the registry seed in models/). */
const SHIPPED = (JSON.parse(readFileSync(join(import.meta.dirname, '../../models/registry.json'), 'utf8')) as { models: { quality: { productionHistory: string[] } } }).models.quality.productionHistory.at(-1)!;
const RERUN = `${SHIPPED}-rerun`;

/** A second version of the shipped quality model's schema in the data folder, promoted, so that a rollback has a version to restore. */
async function promoteRerun(dataDir: string): Promise<void> {
  const learning = await openLocalLearning({ dataDir, seedDir: join(import.meta.dirname, '../../models') });
  try {
    await registerCopy(learning, 'quality', SHIPPED, RERUN, 'a rerun of the shipped model');
    await learning.registry.promote('quality', RERUN, { actor: 'test', reason: 'a rerun of the shipped model', at: new Date() });
  } finally {
    learning.close();
  }
}
const HOSTILE_ID = idOf(100);

describe.skipIf(!chromiumAvailable)('the web app in Chromium', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let served: Served;
  let browser: Browser;
  let admin: { context: BrowserContext; page: Page; violations: string[]; dialogs: string[] };
  const keys: Record<'reviewer' | 'viewer', string> = { reviewer: '', viewer: '' };
  let pdfs: Array<{ name: string; base64: string }> = [];
  let uploadedId = '';
  const allViolations: string[] = [];
  const axeFindings: string[] = [];

  const check = async (page: Page, name: string) => {
    axeFindings.push(...(await axeViolations(page)).map((v) => `${name}: ${v}`));
    await screenshots(page, name);
  };

  beforeAll(async () => {
    ensureBuilt();
    data = await tempDataDir();
    await seedInvoices(data.dir, 20, [seededRecord(100, { decision: 'REVIEW', supplierName: HOSTILE_SUPPLIER })]);
    const corpus = join(data.dir, 'corpus');
    await generateCorpus({ outDir: corpus, count: 2, seed: 5, mix: BORN_DIGITAL_ONLY, problemRates: NO_PROBLEMS });
    const names = (await readdir(corpus)).filter((f) => f.endsWith('.pdf')).sort();
    pdfs = await Promise.all(names.map(async (name) => ({ name, base64: (await readFile(join(corpus, name))).toString('base64') })));
    [served, browser] = await Promise.all([startServe(data.dir, ['--audit-rate', '0', '--upload-ttl', '4']), launchChromium()]);
    await promoteRerun(data.dir);
    for (const role of ['reviewer', 'viewer'] as const) {
      const made = await apiCall<{ key: string }>(served.url, served.adminKey, '/v1/api-keys', { method: 'POST', body: { name: `${role} clerk`, role } });
      keys[role] = made.body.key;
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const signin = await context.newPage();
    await signin.goto(`${served.url}/`);
    await signin.getByLabel('API key').waitFor();
    await check(signin, 'signin');
    await signin.getByLabel('API key').fill('lxk_0123456789abcdef_nope');
    await signin.getByRole('button', { name: 'Sign in', exact: true }).click();
    await signin.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await signin.close();
    admin = { context, ...(await signedInPage(context, served.url, served.adminKey)) };
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await data?.dispose();
  });

  it('shows the table with the hostile supplier name as text, filters and sorting in the URL', async () => {
    const { page } = admin;
    await page.locator('tbody tr').first().waitFor();
    const hostile = page.locator(`tr[data-invoice="${HOSTILE_ID}"] td.supplier a`);
    await expect.poll(() => hostile.textContent()).toBe(HOSTILE_SUPPLIER);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await page.getByLabel('Decision').selectOption('REVIEW');
    await expect.poll(() => page.url()).toContain('decision=REVIEW');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(5);
    expect(await page.locator('tbody .badge').allTextContents()).toEqual(Array(5).fill('REVIEW'));
    await page.getByRole('button', { name: 'Total' }).click();
    await expect.poll(() => page.url()).toContain('sort=total');
    const totals = await page.locator('tbody td.num').allTextContents();
    const numbers = totals.map((t) => Number(t.replace(/[^\d.,]/g, '').replace(/,/g, '')));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    // The URL alone restores the view.
    await page.goto(`${served.url}/?decision=REJECT&order=oldest`);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(4);
    expect(await page.getByLabel('Decision').inputValue()).toBe('REJECT');
    await page.goto(`${served.url}/`);
    await page.locator(`tr[data-invoice="${HOSTILE_ID}"]`).waitFor();
    await check(page, 'invoices');
    expect(admin.dialogs).toEqual([]);
  });

  it('takes dropped files through signed URLs with a progress bar each, refuses what it must with the reason, and one reaches a decision', async () => {
    const { page } = admin;
    // The "late" upload is held back past its URL's 4 s validity, as a slow link would.
    await page.route('**/v1/uploads/local**', async (route) => {
      if (route.request().url().includes('late.pdf')) await new Promise((r) => setTimeout(r, 5_000));
      await route.continue();
    });
    const transfer = await page.evaluateHandle((files: Array<{ name: string; base64: string }>) => {
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: 'application/pdf' }));
      dt.items.add(new File(['just some notes'], 'notes.txt', { type: 'text/plain' }));
      dt.items.add(new File([new Uint8Array(41 * 1024 * 1024)], 'huge.pdf', { type: 'application/pdf' }));
      dt.items.add(new File([Uint8Array.from(atob(files[0]!.base64), (c) => c.charCodeAt(0))], 'late.pdf', { type: 'application/pdf' }));
      return dt;
    }, pdfs);
    await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: transfer });
    const item = (name: string) => page.getByTestId('upload-item').filter({ hasText: name });
    await expect.poll(() => page.getByTestId('upload-item').count()).toBe(5);
    expect(await page.locator('[data-testid=upload-item] progress').count()).toBe(5);
    await item('notes.txt').filter({ hasText: 'Not a supported file type' }).waitFor();
    await item('huge.pdf').filter({ hasText: 'Too large' }).waitFor();
    for (const pdf of pdfs) await item(pdf.name).filter({ hasText: 'Uploaded' }).waitFor({ timeout: 30_000 });
    expect(await item(pdfs[0]!.name).locator('progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(1);
    await item('late.pdf').filter({ hasText: 'expired' }).waitFor({ timeout: 30_000 });
    const href = await item(pdfs[0]!.name).getByRole('link', { name: 'open' }).getAttribute('href');
    uploadedId = decodeURIComponent(href!.split('/').pop()!);
    // The live table (server-sent events) shows it settling, without a reload.
    await page.locator(`tr[data-invoice="${uploadedId}"] .badge.approve, tr[data-invoice="${uploadedId}"] .badge.review, tr[data-invoice="${uploadedId}"] .badge.reject`).waitFor({ timeout: 60_000 });
    await page.unroute('**/v1/uploads/local**');
  });

  it('takes a chosen folder, subfolders included, skipping hidden files and refusing what is not an invoice', async () => {
    const { page } = admin;
    const folder = join(data.dir, 'folder');
    await mkdir(join(folder, 'march'), { recursive: true });
    await writeFile(join(folder, 'folder-a.pdf'), Buffer.from(pdfs[0]!.base64, 'base64'));
    await writeFile(join(folder, 'march', 'folder-b.pdf'), Buffer.from(pdfs[1]!.base64, 'base64'));
    await writeFile(join(folder, 'march', 'folder-notes.txt'), 'not an invoice');
    await writeFile(join(folder, '.DS_Store'), 'finder junk');
    await page.getByLabel('Choose a folder of invoices').setInputFiles(folder);
    const item = (name: string) => page.getByTestId('upload-item').filter({ hasText: name });
    for (const name of ['folder-a.pdf', 'folder-b.pdf']) await item(name).filter({ hasText: 'Uploaded' }).waitFor({ timeout: 30_000 });
    await item('folder-notes.txt').filter({ hasText: 'Not a supported file type' }).waitFor();
    expect(await item('.DS_Store').count()).toBe(0);
    // Both reached the API as uploads of their own.
    await expect.poll(async () => (await apiCall<{ items: Array<{ fileName: string }> }>(served.url, served.adminKey, '/v1/invoices?limit=50')).body.items.filter((i) => i.fileName.startsWith('folder-')).length, { timeout: 30_000 }).toBe(2);
  });

  it('lays the invoice table out as cards at 390 px: nothing scrolls sideways', async () => {
    const { page } = admin;
    await page.goto(`${served.url}/`);
    await page.locator('tbody tr').first().waitFor();
    await page.setViewportSize({ width: 390, height: 900 });
    try {
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const wrap = page.locator('.table-wrap').filter({ has: page.getByTestId('invoice-table') });
      expect(await wrap.evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0);
      // Each cell says what it is.
      expect(await page.locator('tbody tr').first().locator('td[data-label="Total"]').evaluate((td) => getComputedStyle(td, '::before').content)).toBe('"Total"');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('opens the invoice: page image with the extracted fields outlined, confidences, checks, words and history', async () => {
    const { page } = admin;
    await page.locator(`tr[data-invoice="${uploadedId}"] td.supplier a`).click();
    await page.locator('.page img').waitFor();
    await expect.poll(() => page.locator('.page img').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(100);
    expect(await page.locator('svg.boxes rect').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('table.fields td .conf').count()).toBeGreaterThanOrEqual(3);
    await page.getByRole('heading', { name: 'Checks' }).waitFor();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    expect(await page.locator('.history li').first().textContent()).toContain('Received as');
    await check(page, 'invoice');
  });

  it('works the review queue with the keyboard alone: a correction in three keys plus typing, approve-and-next in one', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const { page, dialogs } = await signedInPage(context, served.url, keys.reviewer);
      await page.goto(`${served.url}/review`);
      const current = () => page.getByTestId('review-item').getAttribute('data-invoice');
      // A decision is a POST and a queue refresh: under a loaded test run that can outlast poll's 1 s default.
      const afterDecision = { timeout: 10_000 };
      await expect.poll(current).toBe(idOf(3));
      await page.locator('table.fields').waitFor();
      await check(page, 'review');
      await page.keyboard.press('j');
      await expect.poll(current).toBe(idOf(8));
      await page.keyboard.press('k');
      await expect.poll(current).toBe(idOf(3));
      // E, the field's key (C = Total, shown in the table), the new value, Enter.
      await page.keyboard.press('e');
      await page.keyboard.press('c');
      await page.keyboard.type('120.50');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('correction').textContent()).toBe('120.5');
      // A fast reviewer's R the moment the next invoice is on screen, before the page's effects have run (the
      // key handler is re-attached after each paint): it rejects the invoice shown, never the one just approved.
      await page.evaluate((next) => {
        const seen = new MutationObserver(() => {
          if (document.querySelector('[data-testid="review-item"]')?.getAttribute('data-invoice') !== next) return;
          seen.disconnect();
          document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'r', bubbles: true }));
        });
        seen.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-invoice'] });
      }, idOf(8));
      await page.keyboard.press('a');
      await expect.poll(current, afterDecision).toBe(idOf(13));
      const approved = await apiCall<{ items: Array<{ decision: string; corrections: Record<string, unknown>; modelVersions: Record<string, string>; reviewer: string; current: boolean }> }>(served.url, served.adminKey, `/v1/invoices/${idOf(3)}/reviews`);
      expect(approved.body.items).toHaveLength(1);
      expect(approved.body.items[0]).toMatchObject({ decision: 'approve', corrections: { total_amount: 120.5 }, modelVersions: { quality: 'v1-s42-2db4544e86' }, current: true });
      const rejected = await apiCall<{ items: Array<{ decision: string }> }>(served.url, served.adminKey, `/v1/invoices/${idOf(8)}/reviews`);
      expect(rejected.body.items.map((i) => i.decision)).toEqual(['reject']);
      // Reviewed invoices have left the queue; the hostile name is text here too.
      const queue = await apiCall<{ items: Array<{ invoiceId: string }> }>(served.url, keys.reviewer, '/v1/review-queue');
      expect(queue.body.items.map((i) => i.invoiceId)).not.toContain(idOf(3));
      await page.keyboard.press('j');
      await page.keyboard.press('j');
      await expect.poll(current).toBe(HOSTILE_ID);
      expect(await page.getByTestId('review-supplier').textContent()).toBe(HOSTILE_SUPPLIER);
      expect(dialogs).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('opens the field editor only once the invoice has loaded, so that typing replaces the loaded value', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const { page, dialogs } = await signedInPage(context, served.url, keys.reviewer);
      // Hold the invoice's detail back: E and the field's key come before its values do.
      let release!: () => void;
      let held = new Promise<void>((resolve) => { release = resolve; });
      await page.route(/\/v1\/invoices\/[^/?]+$/, async (route) => { await held; await route.continue(); });
      await page.goto(`${served.url}/review`);
      await page.getByTestId('review-item').waitFor();
      await page.keyboard.press('e');
      await page.keyboard.press('c');
      release();
      await page.locator('table.fields').waitFor();
      await page.keyboard.type('55.50');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('correction').textContent()).toBe('55.5');
      // The whole correction, Enter included, typed before the next invoice's values arrive: kept, not lost.
      held = new Promise<void>((resolve) => { release = resolve; });
      const first = await page.getByTestId('review-item').getAttribute('data-invoice');
      await page.keyboard.press('j');
      await expect.poll(() => page.getByTestId('review-item').getAttribute('data-invoice')).not.toBe(first);
      await page.keyboard.press('e');
      await page.keyboard.press('c');
      await page.keyboard.type('77.00');
      await page.keyboard.press('Enter');
      release();
      await expect.poll(() => page.getByTestId('correction').textContent()).toBe('77');
      expect(dialogs).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('rolls back and promotes a model as admin, each after a confirmation', async () => {
    const { page } = admin;
    const production = async () => (await apiCall<{ production: Record<string, string> }>(served.url, served.adminKey, '/v1/models')).body.production.quality;
    expect(await production()).toBe(RERUN);
    await page.goto(`${served.url}/models`);
    await page.getByTestId('rollback-quality').click();
    // Cancel changes nothing.
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await production()).toBe(RERUN);
    await page.getByTestId('rollback-quality').click();
    await page.getByRole('dialog').getByLabel(/Why/).fill('checking the rollback path');
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('status').filter({ hasText: 'done' }).waitFor();
    expect(await production()).toBe(SHIPPED);
    await page.getByRole('button', { name: `Promote ${RERUN}` }).click();
    await page.getByRole('dialog').getByLabel(/Why/).fill('back to the better model');
    await check(page, 'models-confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Promote' }).click();
    await expect.poll(production).toBe(RERUN);
    await page.locator(`tr[data-version="quality@${RERUN}"] .badge.stage-production`).waitFor();
    await check(page, 'models');
  });

  it('refuses a viewer what needs a higher role, in the page and at the API', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const { page } = await signedInPage(context, served.url, keys.viewer);
      expect(await page.getByTestId('who').textContent()).toContain('(viewer)');
      expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Review' }).count()).toBe(0);
      expect(await page.getByTestId('dropzone').count()).toBe(0);
      await page.goto(`${served.url}/review`);
      await page.getByTestId('forbidden').waitFor();
      await page.goto(`${served.url}/models`);
      await page.getByText('needs the admin role').waitFor();
      expect(await page.getByRole('button', { name: /Promote|Roll back/ }).count()).toBe(0);
      const status = await page.evaluate(async (key) => (await fetch('/v1/models/quality/rollback', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"reason":"not mine"}' })).status, keys.viewer);
      expect(status).toBe(403);
      const review = await apiCall<{ code: string }>(served.url, keys.viewer, `/v1/invoices/${idOf(13)}/review`, { method: 'POST', body: { decision: 'approve' } });
      expect(review.body.code).toBe('FORBIDDEN');
    } finally {
      await context.close();
    }
  });

  it('shows monitoring as far as this deployment has it', async () => {
    const { page } = admin;
    await page.goto(`${served.url}/monitoring`);
    for (const id of ['drift-title', 'performance-title', 'ops-title', 'usage-title', 'jobs-title']) {
      const section = page.locator(`section[data-section="${id}"]`);
      await section.waitFor();
      await expect.poll(async () => (await section.locator('.empty, .error, table, p, figure, ol').count()) > 0 && (await section.getByText('Loading…').count()) === 0).toBe(true);
      expect(await section.locator('.error').count(), id).toBe(0);
    }
    // Document AI is GCP only: the local server answers 501, the page says so.
    await page.locator('section[data-section="usage-title"] [data-testid=not-available]').waitFor();
    await check(page, 'monitoring');
  });

  it('keeps the live table through a kill -9 of the server and its restart: the stream reconnects by itself', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const { page } = await signedInPage(context, served.url, keys.viewer);
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
      const port = new URL(served.url).port;
      served.child.kill('SIGKILL');
      await new Promise((r) => served.child.once('exit', r));
      await page.getByRole('status').filter({ hasText: 'Connecting' }).waitFor();
      served = await startServe(data.dir, ['--audit-rate', '0', '--port', port]);
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 40_000 });
      // A file dropped into the watched folder after the restart shows up settled, without a reload.
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(data.dir, 'drop', 'after-restart.pdf'), Buffer.from(pdfs[1]!.base64, 'base64'));
      await page.locator('tbody tr').filter({ hasText: /APPROVE|REVIEW|REJECT/ }).filter({ has: page.locator('td.supplier a[href]') }).first().waitFor();
      await expect.poll(async () => (await apiCall<{ items: Array<{ fileName: string; status: string }> }>(served.url, keys.viewer, '/v1/invoices?limit=5')).body.items.find((i) => i.fileName === 'after-restart.pdf')?.status, { timeout: 60_000 }).toMatch(/SCORED|REJECTED/);
      const newest = (await apiCall<{ items: Array<{ invoiceId: string; fileName: string }> }>(served.url, keys.viewer, '/v1/invoices?limit=5')).body.items.find((i) => i.fileName === 'after-restart.pdf')!;
      await page.locator(`tr[data-invoice="${newest.invoiceId}"] .badge`).filter({ hasText: /APPROVE|REVIEW|REJECT/ }).waitFor({ timeout: 30_000 });
    } finally {
      await context.close();
    }
  });

  it('serves every page under a strict CSP with no violation, and axe finds nothing serious', async () => {
    for (const path of ['/', '/review', '/app.js', '/app.css']) {
      const res = await fetch(`${served.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(csp, path).not.toContain('unsafe-eval');
      expect(res.headers.get('x-ledgerx-page-csp')).toBeNull();
    }
    const html = await (await fetch(`${served.url}/`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    allViolations.push(...admin.violations);
    expect(allViolations).toEqual([]);
    expect(admin.dialogs).toEqual([]);
    expect(axeFindings).toEqual([]);
  });
});

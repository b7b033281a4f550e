/**
 * The monitoring page in a real headless Chromium against a real `ledgerx serve`, on records made by the real
 * drift check over real prediction-log rows (test/web/seed.ts): the verdict and the drifted features of the
 * latest report with its HTML page, the drifted share over the history, realized against estimated
 * performance ("no labels yet"), a pending operations action approved by an admin after a confirmation (its
 * status changes; the same approval from a stale tab is the API's 409, shown in words), a viewer without buttons whom the API
 * refuses too, the batch jobs with progress bars, Document AI "not available" locally; axe and the CSP, and
 * screenshots at 1280 and 390 px. Skips with a message when /usr/bin/chromium is absent.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsAction } from '../../functions/core/monitoring/ops.js';
import { apiCall, axeViolations, ROOT, chromiumAvailable, ensureBuilt, launchChromium, screenshots, signedInPage, SKIP_MESSAGE, startServe, tempDataDir, type Served } from './harness.js';
import { seedInvoices, seedMonitoring } from './seed.js';

if (!chromiumAvailable) console.warn(SKIP_MESSAGE);
const run = promisify(execFile);

describe.skipIf(!chromiumAvailable)('the monitoring page in Chromium', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let served: Served;
  let browser: Browser;
  let seeded: Awaited<ReturnType<typeof seedMonitoring>>;
  let viewerKey = '';
  const contexts: BrowserContext[] = [];

  const open = async (key: string): Promise<{ page: Page; violations: string[]; dialogs: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const signed = await signedInPage(context, served.url, key);
    await signed.page.getByRole('link', { name: 'Monitoring' }).click();
    await signed.page.getByTestId('verdict').waitFor();
    return signed;
  };

  beforeAll(async () => {
    ensureBuilt();
    data = await tempDataDir();
    await seedInvoices(data.dir, 5);
    seeded = await seedMonitoring(data.dir);
    // A batch job through the real command: the daily summary.
    await run(process.execPath, [join(ROOT, 'bin', 'ledgerx.mjs'), '--data-dir', data.dir, 'summary', '--json'], { cwd: ROOT });
    [served, browser] = await Promise.all([startServe(data.dir), launchChromium()]);
    viewerKey = (await apiCall<{ key: string }>(served.url, served.adminKey, '/v1/api-keys', { method: 'POST', body: { name: 'viewer clerk', role: 'viewer' } })).body.key;
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await served?.stop();
    await data?.dispose();
  });

  it('seeds what the page must show: a drifted report and an action waiting for an admin', () => {
    expect(seeded.pending.map((a) => a.type)).toContain('hold-promotions');
  });

  it('shows the verdict, the drifted features with their tests, the history chart and the HTML report', async () => {
    const { page, violations, dialogs } = await open(served.adminKey);
    const report = (await apiCall<{ status: string; drift: { driftedFeatures: number; features: Array<{ name: string; drifted: boolean; method: string }> } }>(served.url, served.adminKey, `/v1/drift/reports/${seeded.reportId}`)).body;
    expect(report.status).toBe('drift');
    expect(await page.getByTestId('verdict').textContent()).toBe('Drift detected');
    expect(await page.getByTestId('drifted-share').textContent()).toContain(`${report.drift.driftedFeatures} of ${report.drift.features.length} features drifted`);
    const drifted = report.drift.features.filter((f) => f.drifted);
    const rows = page.locator('[data-testid=drifted-features] tbody tr[data-feature]');
    expect(await rows.count()).toBe(Math.min(drifted.length, 15));
    // The shifted reading-confidence column, with its method as the report has it.
    const conf = page.locator('tr[data-feature="ocr_conf_mean"]');
    expect(await conf.locator('td').first().textContent()).toBe(drifted.find((f) => f.name === 'ocr_conf_mean')!.method);
    // Two reports: the chart of the drifted share is drawn.
    await page.locator('section[data-section="drift-title"] figure.chart svg polyline').waitFor();
    // The HTML report, fetched with the credential, opens in a tab of its own.
    const link = page.getByTestId('html-report');
    await link.waitFor();
    expect(await link.getAttribute('href')).toMatch(/^blob:/);
    const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await tab.waitForLoadState();
    expect(await tab.content()).toContain('ocr_conf_mean');
    await tab.close();
    // Performance: estimated from the scores, no review labels yet.
    const perf = page.locator('section[data-section="performance-title"]');
    await perf.locator('[data-model=quality]').waitFor();
    const quality = perf.locator('[data-model=quality]');
    expect(await quality.getByTestId('no-labels').textContent()).toBe('No labels yet');
    // Every row of the window was scored by the production version: the estimate covers them all.
    expect(await quality.locator('tr', { hasText: 'Estimated on every prediction' }).locator('td').last().textContent()).toBe('48');
    // Jobs: the retraining the policy queued (cancelled) and the daily summary (a batch job), each with a bar.
    const jobs = page.locator('section[data-section="jobs-title"]');
    await jobs.locator('tr[data-job=retrain] progress').first().waitFor();
    expect(await jobs.locator('tr[data-job=retrain]').first().textContent()).toContain('cancelled');
    expect(await jobs.locator('tr[data-job=summary] progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(1);
    await page.locator('section[data-section="usage-title"] [data-testid=not-available]').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'monitoring');
    expect(violations).toEqual([]);
    expect(dialogs).toEqual([]);
  });

  it('lets an admin approve the pending action after a confirmation; approving it again from a stale tab is a 409, shown in words', async () => {
    const hold = seeded.pending.find((a) => a.type === 'hold-promotions')!;
    // Two tabs open while the action waits: the second one goes stale when the first decides.
    const [first, stale] = [await open(served.adminKey), await open(served.adminKey)];
    const item = (page: Page) => page.locator(`ul.pending li[data-action="${hold.id}"]`);
    await item(stale.page).waitFor();
    await item(first.page).getByRole('button', { name: /^Approve/ }).click();
    const dialog = first.page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByLabel(/Comment/).fill('the scanner was replaced: hold until retrained');
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    await first.page.getByTestId('ops-notice').filter({ hasText: 'approved, now executed' }).waitFor();
    await expect.poll(() => first.page.locator(`[data-testid=ops-actions] tr[data-action="${hold.id}"] [data-testid=action-status]`).textContent()).toBe('executed');
    expect(await item(first.page).count()).toBe(0);
    const stored = (await apiCall<{ actions: OpsAction[] }>(served.url, viewerKey, '/v1/ops/log?limit=50')).body.actions.find((a) => a.id === hold.id)!;
    expect(stored.status).toBe('executed');
    expect(stored.decidedBy).toBe((await apiCall<{ label: string }>(served.url, served.adminKey, '/v1/me')).body.label);
    expect(stored.comment).toBe('the scanner was replaced: hold until retrained');

    await item(stale.page).getByRole('button', { name: /^Approve/ }).click();
    await stale.page.getByRole('dialog').getByRole('button', { name: 'Approve', exact: true }).click();
    await stale.page.getByTestId('ops-notice').filter({ hasText: 'no longer waiting for a decision' }).waitFor();
    // The page reloaded the log after the refusal: the action shows as executed, once.
    await expect.poll(() => stale.page.locator(`[data-testid=ops-actions] tr[data-action="${hold.id}"] [data-testid=action-status]`).textContent()).toBe('executed');
    expect([...first.violations, ...stale.violations]).toEqual([]);
  });

  it('shows a viewer no decision buttons, and the API refuses the viewer too', async () => {
    const { page } = await open(viewerKey);
    await page.locator('section[data-section="ops-title"] h3').first().waitFor();
    expect(await page.locator('section[data-section="ops-title"] button').count()).toBe(0);
    const pending = (await apiCall<{ actions: OpsAction[] }>(served.url, viewerKey, '/v1/ops/log?status=pending-approval')).body.actions;
    if (pending.length > 0) await page.getByTestId('ops-admin-only').waitFor();
    const target = pending[0]?.id ?? seeded.pending[0]!.id;
    const refused = await apiCall<{ code: string }>(served.url, viewerKey, `/v1/ops/actions/${target}/approve`, { method: 'POST', body: { comment: 'me too' } });
    expect(refused.status).toBe(403);
    expect(await axeViolations(page)).toEqual([]);
  });
});

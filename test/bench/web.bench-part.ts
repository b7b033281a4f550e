/**
 * The web app's first screen at 10,000 invoices (BENCH_WEB_INVOICES) in the embedded database, in Debian's
 * Chromium against a real `ledgerx serve`: from the start of the navigation to the first table row on screen,
 * and to the table showing only the filtered rows after a filter is chosen at once (target: both within 1 s).
 * Also a filtered view opened from its URL. Median and worst of 7 runs each (cold first run excluded), and the
 * script the first screen loads.
 * Skipped (no metrics) without /usr/bin/chromium.
 */
import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromiumAvailable, ROOT, ensureBuilt, launchChromium, signedInPage, SKIP_MESSAGE, startServe, tempDataDir } from '../web/harness.js';
import { seedInvoices } from '../web/seed.js';

/** Bytes of script the first screen loads: app.js and the chunks index.html preloads (the other pages' chunks load when shown). */
function firstScreenScriptBytes(): number {
  const dir = join(ROOT, 'dist', 'web');
  const files = ['app.js', ...[...readFileSync(join(dir, 'index.html'), 'utf8').matchAll(/rel="modulepreload" href="\/([^"]+)"/g)].map((m) => m[1]!)];
  return files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x);

export async function benchWeb(): Promise<Record<string, number>> {
  if (!chromiumAvailable) {
    process.stderr.write(`${SKIP_MESSAGE}\n`);
    return {};
  }
  ensureBuilt();
  const count = Number(process.env.BENCH_WEB_INVOICES ?? 10_000);
  const data = await tempDataDir();
  await seedInvoices(data.dir, count);
  const served = await startServe(data.dir);
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page } = await signedInPage(context, served.url, served.adminKey);
    // Measured in the page, from the navigation's start (performance.timeOrigin) to the frame that shows a
    // listing's rows: the app marks it (user timing `ledgerx:rows`, detail = the listing's query).
    const firstRow: number[] = [];
    const filtered: number[] = [];
    const fromUrl: number[] = [];
    const rowsShown = (query: string) =>
      page
        .waitForFunction((q) => (performance.getEntriesByName('ledgerx:rows') as PerformanceMark[]).find((m) => String(m.detail).includes(q))?.startTime, query)
        .then((h) => h.jsonValue() as Promise<number>);
    for (let run = 0; run < 8; run++) {
      await page.goto('about:blank');
      await page.goto(`${served.url}/`, { waitUntil: 'commit' });
      const t1 = await rowsShown('limit=50');
      await page.getByLabel('Decision').selectOption('REVIEW');
      const t2 = await rowsShown('decision=REVIEW');
      await page.goto('about:blank');
      await page.goto(`${served.url}/?decision=REJECT&sort=total&dir=desc`, { waitUntil: 'commit' });
      const t4 = await rowsShown('decision=REJECT');
      if (run === 0) continue;
      firstRow.push(t1);
      filtered.push(t2);
      fromUrl.push(t4);
    }
    return {
      [`invoices in the database`]: count,
      'first screen script bytes (app.js + preloaded chunks, minified)': firstScreenScriptBytes(),
      // These are latencies on a shared machine: the load says how contended it was while measuring.
      'machine load average (1 min) at the end': Math.round(loadavg()[0]! * 10) / 10,
      'first row visible ms (median)': round(median(firstRow)),
      'first row visible ms (worst)': round(Math.max(...firstRow)),
      'first row + filter applied ms (median)': round(median(filtered)),
      'first row + filter applied ms (worst)': round(Math.max(...filtered)),
      'filtered view from its URL ms (median)': round(median(fromUrl)),
    };
  } finally {
    await browser.close();
    await served.stop();
    await data.dispose();
  }
}

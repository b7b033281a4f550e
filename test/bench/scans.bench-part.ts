/**
 * Scan speed as the issue defines it: real receipts (sroie-dev, 20 by default) and the invoice2data PNG renders,
 * each through `ledgerx process` in a fresh data folder (start-up included: node, the pipeline, the OCR thread
 * and its tesseract worker, the models) and through native tesseract 5 (`tesseract <image> stdout -l eng`, one
 * thread: OMP_THREAD_LIMIT=1) in the same run, interleaved page by page with alternating order, so that a noisy
 * shared host moves both alike. Reports seconds per page, the ratio (target <= 1.0x native) and, as the guard that
 * speed was not bought with accuracy, how many receipts have their total, date and company in the OCR text.
 * Then each corpus's pages once more as one folder through one `ledgerx process` (start-up paid once, OCR on
 * every core), against native tesseract on the same pages one after another.
 * Native tesseract is optional: without it on the PATH only ledgerx's times are reported. Skips with a message
 * when the shared corpora are absent. `BENCH_SCAN_RECEIPTS` sets the receipt count, `BENCH_SCAN_ENGINES` the scan
 * engines compared (default every one: tesseract and ppocr, see LEDGERX_SCAN_ENGINE).
 * Called by `npm run bench`; alone: `npx tsx test/bench/scans.bench-part.ts` (after `npm run build`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultScanEngine, SCAN_ENGINES, type ScanEngine } from '../../functions/adapters/local/ocr/scan-engine.js';
import { sharedDataDir } from '../../functions/training/public-corpora.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/ledgerx.mjs');

export interface ScanPage {
  corpus: 'sroie-dev' | 'invoice2data';
  file: string;
  /** sroie-dev labels: total, date and company as printed. */
  key?: { total: string; date: string; company: string };
}

/** The pages of the scan bench, in a fixed order. */
export function scanPages(receipts: number): ScanPage[] {
  const data = sharedDataDir();
  const pages: ScanPage[] = [];
  const sroie = join(data, 'sroie-dev');
  if (existsSync(join(sroie, 'img'))) {
    for (const name of readdirSync(join(sroie, 'img')).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, receipts)) {
      const keyFile = join(sroie, 'key', name.replace(/\.jpe?g$/i, '.json'));
      const key = existsSync(keyFile) ? (JSON.parse(readFileSync(keyFile, 'utf8')) as ScanPage['key']) : undefined;
      pages.push({ corpus: 'sroie-dev', file: join(sroie, 'img', name), key });
    }
  }
  const i2d = join(data, 'invoice2data', 'compare');
  if (existsSync(i2d)) {
    for (const name of readdirSync(i2d).filter((f) => f.endsWith('.png')).sort()) pages.push({ corpus: 'invoice2data', file: join(i2d, name) });
  }
  return pages;
}

/** Runs `ledgerx process` on files (one command) in a fresh data folder; returns wall seconds and the OCR text. */
export async function ledgerxProcess(file: string | readonly string[], bin = BIN, scanEngine: ScanEngine = defaultScanEngine()): Promise<{ seconds: number; text: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ledgerx-bench-scan-'));
  try {
    const start = performance.now();
    execFileSync(process.execPath, ['--max-old-space-size=1024', bin, '--data-dir', dataDir, 'process', ...[file].flat(), '--json'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LEDGERX_DATA_DIR: undefined, LEDGERX_SCAN_ENGINE: scanEngine },
    });
    const seconds = (performance.now() - start) / 1000;
    return { seconds, text: ocrTextIn(join(dataDir, 'buckets', 'artifacts')) };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The text of the OCR document(s) the pipeline stored in the artifacts bucket. */
function ocrTextIn(dir: string): string {
  if (!existsSync(dir)) return '';
  const texts: string[] = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.json')) continue;
    try {
      const doc = JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8')) as { text?: unknown; pages?: unknown };
      if (typeof doc.text === 'string' && Array.isArray(doc.pages)) texts.push(doc.text);
    } catch {
      // Not an OCR document.
    }
  }
  return texts.join('\f');
}

/** Native tesseract 5, English, one thread, process start and model load included. */
export function nativeTesseract(file: string): { seconds: number; text: string } {
  const start = performance.now();
  const text = execFileSync('tesseract', [file, 'stdout', '-l', 'eng', '--oem', '1'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, OMP_THREAD_LIMIT: '1' },
  });
  return { seconds: (performance.now() - start) / 1000, text };
}

function amountsCents(text: string): Set<number> {
  const out = new Set<number>();
  for (const m of text.matchAll(/\d[\d.,]*/g)) {
    const s = m[0].replace(/[.,]$/, '');
    const mm = /^(.*?)[.,](\d{1,2})$/.exec(s);
    const intPart = (mm ? mm[1]! : s).replace(/[.,]/g, '');
    if (!intPart || intPart.length > 9) continue;
    out.add(Number(intPart) * 100 + Number(mm ? mm[2]!.padEnd(2, '0') : '00'));
  }
  return out;
}
const alnum = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
const collapse = (s: string) => s.normalize('NFC').replace(/\s+/g, ' ').trim();

/**
 * The receipt's labelled total, date and company found in the OCR text (the measure of the OCR engine study):
 * total = some amount in the text equals the label in cents; date = the label's letters and digits appear in the
 * text's; company = case-insensitive substring with whitespace collapsed.
 */
export function receiptHits(text: string, key: NonNullable<ScanPage['key']>): { total: boolean; date: boolean; company: boolean } {
  const label = [...amountsCents(key.total.replace(/[^\d.,]/g, ''))][0];
  return {
    total: label !== undefined && amountsCents(text).has(label),
    date: alnum(text).includes(alnum(key.date)),
    company: collapse(text.toLowerCase()).includes(collapse(key.company.toLowerCase())),
  };
}

/** True when `tool` runs from the PATH (the bench never names a machine path). */
function onPath(tool: string, versionArg = '--version'): boolean {
  const r = spawnSync(tool, [versionArg], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

export async function benchScans(): Promise<Record<string, number>> {
  const pages = scanPages(Number(process.env.BENCH_SCAN_RECEIPTS ?? 20));
  if (pages.length === 0) {
    process.stderr.write(`  skipped: no sroie-dev or invoice2data in ${sharedDataDir()} (set LEDGERX_SHARED_DATA)\n`);
    return {};
  }
  const native = onPath('tesseract');
  if (!native) process.stderr.write('  tesseract is not on the PATH: ledgerx times only, no ratio\n');
  const engines = (process.env.BENCH_SCAN_ENGINES?.split(',') ?? [...SCAN_ENGINES]).filter((e): e is ScanEngine => (SCAN_ENGINES as readonly string[]).includes(e));
  type Reading = { seconds: number; text: string };
  const rows: Array<{ page: ScanPage; ledgerx: Partial<Record<ScanEngine, Reading>>; native?: Reading }> = [];
  for (const [i, page] of pages.entries()) {
    let nat: Reading | undefined;
    if (native && i % 2 === 1) nat = nativeTesseract(page.file);
    const own: Partial<Record<ScanEngine, Reading>> = {};
    for (const engine of i % 2 === 0 ? engines : [...engines].reverse()) own[engine] = await ledgerxProcess(page.file, BIN, engine);
    if (native && i % 2 === 0) nat = nativeTesseract(page.file);
    rows.push({ page, ledgerx: own, ...(nat ? { native: nat } : {}) });
    process.stderr.write(`  ${i + 1}/${pages.length}\r`);
  }
  const out: Record<string, number> = {};
  for (const corpus of ['sroie-dev', 'invoice2data', 'all'] as const) {
    const set = rows.filter((r) => corpus === 'all' || r.page.corpus === corpus);
    if (set.length === 0) continue;
    const g = `${corpus} (${set.length} pages)`;
    const nat = native ? sum(set.map((r) => r.native!.seconds)) : 0;
    if (native) out[`${g} native tesseract s/page`] = round(nat / set.length);
    for (const engine of engines) {
      const own = sum(set.map((r) => r.ledgerx[engine]!.seconds));
      out[`${g} ledgerx process (${engine}) s/page`] = round(own / set.length);
      if (native) out[`${g} ledgerx (${engine}) / native`] = round(own / nat);
    }
  }
  // A folder of scans in one command, as a user drops one: start-up paid once, OCR on every core. Native
  // tesseract reads the same pages one after another before and after it (the mean of both runs).
  for (const corpus of ['sroie-dev', 'invoice2data'] as const) {
    const files = pages.filter((p) => p.corpus === corpus).map((p) => p.file);
    if (files.length < 2) continue;
    const nativeRun = () => sum(files.map((f) => nativeTesseract(f).seconds));
    for (const engine of engines) {
      const g = `${corpus} (${files.length} pages) in one ledgerx process (${engine})`;
      const before = native ? nativeRun() : 0;
      const own = (await ledgerxProcess(files, BIN, engine)).seconds;
      const nat = native ? (before + nativeRun()) / 2 : 0;
      out[`${g} s/page`] = round(own / files.length);
      if (native) out[`${g} / native`] = round(own / nat);
    }
  }
  const labelled = rows.filter((r) => r.page.key);
  for (const who of [...engines, 'native'] as const) {
    if (who === 'native' && !native) continue;
    const hits = labelled.map((r) => receiptHits((who === 'native' ? r.native : r.ledgerx[who])!.text, r.page.key!));
    for (const field of ['total', 'date', 'company'] as const) {
      out[`sroie-dev ${field} found in ${who === 'native' ? 'native tesseract' : `ledgerx (${who})`} OCR text (of ${labelled.length})`] = hits.filter((h) => h[field]).length;
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchScans(), null, 2));
}

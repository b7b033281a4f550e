/**
 * Born-digital speed on real files: the 48 zugferd-dev and 11 invoice2data PDFs of the shared corpora, each alone
 * through the whole local pipeline after start-up (real-files-run.ts, compiled), side by side with poppler's
 * `pdftotext` on the same file where it is on the PATH (ratio reported only then). Target: <= 3x pdftotext.
 * Skips with a message when the shared corpora are absent. Called by `npm run bench`; alone:
 * `npx tsx test/bench/real-files.bench-part.ts` (after `npm run build`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sharedDataDir } from '../../functions/training/public-corpora.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BENCH_DIST = join(ROOT, '.bench-dist');

/** True when `tool` runs from the PATH (the bench never names a machine path). */
export function onPath(tool: string, versionArg = '--version'): boolean {
  const r = spawnSync(tool, [versionArg], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

function pdfsUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.pdf$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

interface RunOutput {
  files: Array<{ file: string; ms: number; cpuMs: number; pdftotextMs?: number; status: string; timings: Record<string, number> }>;
}

export async function benchRealFiles(): Promise<Record<string, number>> {
  const data = sharedDataDir();
  const corpora = { 'zugferd-dev': pdfsUnder(join(data, 'zugferd-dev')), invoice2data: pdfsUnder(join(data, 'invoice2data')) };
  if (corpora['zugferd-dev'].length + corpora.invoice2data.length === 0) {
    process.stderr.write(`  skipped: no shared corpora in ${data} (set LEDGERX_SHARED_DATA)\n`);
    return {};
  }
  const pdftotext = onPath('pdftotext', '-v');
  if (!pdftotext) process.stderr.write('  pdftotext is not on the PATH: ledgerx times only, no ratio\n');
  const { buildLocalProgram } = (await import(pathToFileURL(join(ROOT, 'scripts/build.mjs')).href)) as {
    buildLocalProgram(entries: Record<string, string>, outdir: string): Promise<void>;
  };
  await buildLocalProgram({ 'real-files-run': join(ROOT, 'test/bench/real-files-run.ts') }, BENCH_DIST);
  const out: Record<string, number> = {};
  for (const [corpus, files] of Object.entries(corpora)) {
    if (files.length === 0) continue;
    const work = await mkdtemp(join(tmpdir(), 'ledgerx-bench-real-'));
    try {
      const stdout = execFileSync(
        process.execPath,
        ['--max-old-space-size=1024', join(BENCH_DIST, 'real-files-run.js'), join(work, 'data'), ...(pdftotext ? ['--pdftotext'] : []), ...files],
        { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, LEDGERX_DATA_DIR: undefined } },
      );
      const run = JSON.parse(stdout.trim().split('\n').pop()!) as RunOutput;
      const ms = run.files.map((f) => f.ms);
      const g = `${corpus} (${files.length} PDFs)`;
      out[`${g} ledgerx ms/file mean`] = round(mean(ms));
      out[`${g} ledgerx ms/file median`] = round(median(ms));
      out[`${g} ledgerx CPU ms/file mean (all threads)`] = round(mean(run.files.map((f) => f.cpuMs)));
      for (const stage of ['ocr', 'features', 'inference']) {
        const v = run.files.map((f) => f.timings[stage]).filter((x): x is number => typeof x === 'number');
        if (v.length > 0) out[`${g} ${stage} stage ms median`] = round(median(v));
      }
      const notScored = run.files.filter((f) => f.status !== 'SCORED').length;
      out[`${g} files not SCORED`] = notScored;
      if (pdftotext) {
        const p = run.files.map((f) => f.pdftotextMs ?? Number.NaN);
        out[`${g} pdftotext ms/file mean`] = round(mean(p));
        out[`${g} ledgerx / pdftotext (mean)`] = round(mean(ms) / mean(p), 2);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchRealFiles(), null, 2));
}

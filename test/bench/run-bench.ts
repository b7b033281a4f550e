/**
 * `npm run bench`: speed and memory of the pipeline, measured on generated batches (never in unit tests).
 * Measures the compiled code, as it is deployed and run: the npm script builds dist/ first, and the batch runner
 * is bundled here the way the CLI is.
 * Prints a table and writes reports/bench/latest.{json,md}.
 *   BENCH_BORN_DIGITAL (default 1000), BENCH_SCANS (default 10), BENCH_CONCURRENCY (default 4),
 *   BENCH_ONLY=pipeline,cli,bundles,training,models,cold-start,learning,api,web,real-files,scans to run a subset (BENCH_API_INVOICES, default 100000;
 *   BENCH_WEB_INVOICES, default 10000).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateCorpus } from '../../functions/generator/index.js';
import { BORN_DIGITAL_ONLY } from '../helpers/corpus.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** The same Node flags the `ledgerx` launcher uses for batch work (see bin/ledgerx.mjs). */
const LEAN_NODE_FLAGS = ['--max-old-space-size=1024'];
const only = new Set((process.env.BENCH_ONLY ?? 'pipeline,cli,bundles,training,models,cold-start,learning,api,web,real-files,scans,monitoring,batch').split(','));
const BENCH_DIST = join(ROOT, '.bench-dist');
const rows: Array<{ group: string; metric: string; value: number; unit: string; target?: string }> = [];
const add = (group: string, metric: string, value: number, unit: string, target?: string) => rows.push({ group, metric, value, unit, target });

async function pipelineBench(kind: 'born-digital' | 'scan', count: number): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), `ledgerx-bench-${kind}-`));
  try {
    process.stderr.write(`generating ${count} ${kind} invoices...\n`);
    const mix = kind === 'scan' ? { bornDigital: 0, scan: 1, einvoicePdf: 0, einvoiceXml: 0 } : BORN_DIGITAL_ONLY;
    const noBadFiles = { badFile: 0 };
    await generateCorpus({ outDir: join(work, 'in'), count, seed: 7, mix, problemRates: noBadFiles, scanFormats: ['png', 'jpeg', 'pdf'] });
    process.stderr.write(`running the local pipeline on them...\n`);
    const out = execFileSync(process.execPath, [...LEAN_NODE_FLAGS, join(BENCH_DIST, 'pipeline-batch.js'), join(work, 'in'), join(work, 'data'), process.env.BENCH_CONCURRENCY ?? '4'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      invoices: number; invoicesPerSecond: number; seconds: number; peakRssMiB: number;
      stages: Record<string, { p50: number; p99: number }>; statuses: Record<string, number>;
    };
    const g = `pipeline ${kind} (${r.invoices} invoices)`;
    add(g, 'throughput end to end', r.invoicesPerSecond, 'invoices/s', kind === 'born-digital' ? '>= 50' : undefined);
    add(g, 'wall time', r.seconds, 's');
    for (const [stage, s] of Object.entries(r.stages)) {
      add(g, `${stage} p50`, s.p50, 'ms');
      add(g, `${stage} p99`, s.p99, 'ms');
    }
    add(g, 'peak resident memory', r.peakRssMiB, 'MiB', kind === 'born-digital' ? '< 300' : undefined);
    process.stderr.write(`  statuses: ${JSON.stringify(r.statuses)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Targets of metrics that parts report (the brief's and the issues' figures). */
const PART_TARGETS: Record<string, string> = {
  single_invoice_three_models_p50_us: '< 100',
  'ledgerx --help / node -e 0': '<= 5',
  'ledgerx process one PDF ms (median, start-up included)': '< 1500',
  'zugferd-dev (48 PDFs) ledgerx / pdftotext (mean)': '<= 3',
  'all (24 pages) ledgerx (tesseract) / native': '<= 1.0',
  'all (24 pages) ledgerx (ppocr) / native': '<= 1.0',
  onnx_over_typescript_ratio_p50: '<= 2',
  gbdt_train_100k_x50_200_trees_s: '< 60',
  ...Object.fromEntries(['ocr', 'features', 'inference', 'upload-url'].flatMap((fn) => [
    [`${fn} ms to first handled event`, '< 1000'],
    [`${fn} peak RSS MiB`, '< 256'],
  ])),
  retrain_100k_rows_20_trials_s: '< 300',
  'reprocess 10000 invoices per s': '>= 200',
  'export 100000 records s': '< 10',
  'first row visible ms (median)': '< 1000',
  'first row visible ms (worst)': '< 1000',
  'first row + filter applied ms (median)': '< 1000',
  'first row + filter applied ms (worst)': '< 1000',
  promotion_to_first_scored_s: '<= refresh interval (60) + one scoring',
  'drift check 100k x 61 from log rows ms (best of 5)': '< 1000',
  ...Object.fromEntries(
    ['list newest 50', 'list decision=REVIEW', 'list reason', 'list supplier + received range', 'list model + decision + reason', 'list page 101 (cursor)', 'invoice detail', 'review queue page', 'review action', 'next queue page (cursor)'].map((m) => [`${m} p99 ms`, '< 50']),
  ),
};

/** Optional parts contributed by other modules: each exports an async function returning metric -> value. */
async function part(file: string, exportName: string, group: string): Promise<void> {
  const path = join(ROOT, 'test/bench', file);
  if (!existsSync(path)) return;
  process.stderr.write(`running ${group}...\n`);
  const mod = (await import(path)) as Record<string, () => Promise<Record<string, number>>>;
  const fn = mod[exportName];
  if (!fn) return;
  for (const [metric, value] of Object.entries(await fn())) add(group, metric, value, '', PART_TARGETS[metric]);
}

if (only.has('pipeline')) {
  const { buildLocalProgram } = (await import(pathToFileURL(join(ROOT, 'scripts/build.mjs')).href)) as {
    buildLocalProgram(entries: Record<string, string>, outdir: string): Promise<void>;
  };
  await buildLocalProgram({ 'pipeline-batch': join(ROOT, 'test/bench/pipeline-batch.ts') }, BENCH_DIST);
  await pipelineBench('born-digital', Number(process.env.BENCH_BORN_DIGITAL ?? 1000));
  await pipelineBench('scan', Number(process.env.BENCH_SCANS ?? 10));
}
if (only.has('cli')) await part('cli.bench-part.ts', 'benchCli', 'ledgerx command');
if (only.has('bundles')) await part('bundles.bench-part.ts', 'benchBundles', 'function bundles');
if (only.has('training')) await part('training.bench-part.ts', 'benchTraining', 'training (100k x 50)');
if (only.has('models')) await part('models.bench-part.ts', 'benchModels', 'model inference');
if (only.has('cold-start')) await part('cold-start.bench-part.ts', 'benchColdStart', 'cold start');
if (only.has('learning')) await part('learning.bench-part.ts', 'benchLearning', 'learning loop');
if (only.has('api')) await part('api.bench-part.ts', 'benchApi', 'API on the embedded database');
if (only.has('web')) await part('web.bench-part.ts', 'benchWeb', 'web app in Chromium (10,000 invoices)');
if (only.has('real-files')) await part('real-files.bench-part.ts', 'benchRealFiles', 'real born-digital PDFs (per file after start-up)');
if (only.has('scans')) await part('scans.bench-part.ts', 'benchScans', 'real scans (ledgerx process, start-up included)');
if (only.has('monitoring')) await part('monitoring.bench-part.ts', 'benchMonitoring', 'monitoring (drift check, CBPE; one core)');
if (only.has('batch')) await part('batch.bench-part.ts', 'benchBatch', 'batch jobs');

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
const table = [
  '| group | metric | value | unit | target |',
  '|---|---|---:|---|---|',
  ...rows.map((r) => `| ${r.group} | ${r.metric} | ${fmt(r.value)} | ${r.unit} | ${r.target ?? ''} |`),
].join('\n');
process.stdout.write(table + '\n');
await mkdir(join(ROOT, 'reports/bench'), { recursive: true });
await writeFile(join(ROOT, 'reports/bench/latest.json'), JSON.stringify({ at: new Date().toISOString(), rows }, null, 2));
await writeFile(join(ROOT, 'reports/bench/latest.md'), table + '\n');

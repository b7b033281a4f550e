import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { sharedDataDir } from '../../functions/training/public-corpora.js';
import { PageImages } from './crops.js';
import { runEvaluation, type EvalReport } from './evaluate.js';
import { generatedMisses, generatedTables, runGeneratedEvaluation, type GeneratedReport } from './generated.js';
import { accuracyTable, html, markdown, reliabilityTable } from './report.js';
import { PARTS, type Part } from './split.js';

/**
 * `npm run eval`: field-level accuracy of invoice extraction on the public corpora of the shared data folder,
 * per corpus and per part of the fixed development / held-out split. Writes
 * `reports/eval/eval-<timestamp>.{json,md,html}` (and `latest.*`) and prints the tables. OCR documents of the
 * corpus files are cached in `reports/eval/ocr-cache/` (by content hash and engine version). Options:
 * - `--development`: evaluate the development part only (the held-out part stays unseen while developing);
 * - `--held-out-misses`: also list and show the held-out misses (by default only their aggregates appear);
 * - `--no-images`: skip tesseract (invoice2data PNG renders and the sroie-dev receipts);
 * - `--no-html`: skip the HTML page (page renders and crops);
 * - `--ocr-concurrency N`: OCR engines in parallel for files not in the cache (default 2);
 * - `--verbose`: print every miss of the shown parts;
 * - `--generated [N]`: add N (default 300) generated born-digital invoices; `--generated-scans [N]` N (default
 *   20) generated scans (slow).
 */
const repoRoot = path.resolve(import.meta.dirname, '../..');
const dataDir = sharedDataDir();
const argv = process.argv.slice(2);
const args = new Set(argv);

/** The count after `flag` (or `fallback` when the flag stands alone); undefined when the flag is absent. */
function countArg(flag: string, fallback: number): number | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const n = Number(argv[i + 1]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
const generatedCount = countArg('--generated', 300);
const generatedScans = countArg('--generated-scans', 20);
const parts: Part[] = args.has('--development') ? ['development'] : [...PARTS];
const missParts: Part[] = args.has('--held-out-misses') ? parts : parts.filter((p) => p === 'development');

const outDir = path.join(repoRoot, 'reports', 'eval');
const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'eval [{bar}] {value}/{total} {label}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
const short = (label: string) => (label.length > 60 ? `…${label.slice(-59)}` : label);
let report: EvalReport | undefined;
if (existsSync(dataDir)) {
  report = await runEvaluation({
    dataDir,
    parts,
    includeImages: !args.has('--no-images'),
    ocrCacheDir: path.join(outDir, 'ocr-cache'),
    ocrConcurrency: countArg('--ocr-concurrency', 2) ?? 2,
    onPhase: (phase, total) => { bar.stop(); bar.start(total, 0, { label: phase }); },
    onProgress: (done, label) => bar.update(done, { label: short(label) }),
  });
  bar.stop();
} else {
  console.log(`eval: shared data folder not found (${path.relative(repoRoot, dataDir)}); set LEDGERX_SHARED_DATA. Public corpora skipped.`);
}

const generated: GeneratedReport[] = [];
for (const [kind, count] of [['born-digital', generatedCount], ['scan', generatedScans]] as const) {
  if (count === undefined) continue;
  bar.start(count, 0, { label: `generated ${kind}` });
  generated.push(await runGeneratedEvaluation({ count, kind, onProgress: (done) => bar.update(done, { label: `generated ${kind}` }) }));
  bar.stop();
}
if (!report && generated.length === 0) process.exit(0);

mkdirSync(outDir, { recursive: true });
const startedAt = report?.startedAt ?? new Date().toISOString();
const stamp = startedAt.replace(/[:.]/g, '-');
const md = [report ? markdown(report) : '# Extraction accuracy\n', ...generated.map(generatedTables)].join('\n');
// Held-out misses stay out of the files too unless asked for: only their aggregates are kept.
const publicReport = report && {
  ...report,
  runs: report.runs.map((r) => ({ ...r, cases: r.cases.map((c) => (missParts.includes(c.part) ? c : { ...c, fields: {}, hidden: true })) })),
};
const write = (ext: string, content: string) => { for (const name of [`eval-${stamp}`, 'latest']) writeFileSync(path.join(outDir, `${name}.${ext}`), content); };
write('json', JSON.stringify({ ...publicReport, generated }, null, 2));
write('md', md);
let page: string | undefined;
if (report && !args.has('--no-html')) {
  bar.start(1, 0, { label: 'html' });
  page = await html(report, new PageImages(), missParts);
  bar.stop();
  write('html', page);
}
if (report) {
  console.log(accuracyTable(report));
  for (const p of report.parts) if (report.reliability[p]) console.log(`\nconfidence reliability, ${p}:\n${reliabilityTable(report.reliability[p])}`);
}
for (const g of generated) console.log(`\n${generatedTables(g)}`);
if (args.has('--verbose')) {
  for (const g of generated) for (const line of generatedMisses(g)) console.log(`generated ${g.kind} | ${line}`);
  for (const run of report?.runs ?? []) {
    for (const c of run.cases) {
      if (!missParts.includes(c.part)) continue;
      const misses = Object.fromEntries(Object.entries(c.fields).filter(([, f]) => !f.correct).map(([k, f]) => [k, { predicted: f.predicted, expected: f.expected, confidence: f.confidence }]));
      if (Object.keys(misses).length > 0 || c.error || c.rejected) console.log(`${run.run} | ${c.file} | ${c.error ?? c.rejected ?? JSON.stringify(misses)}`);
    }
  }
}
console.log(`\nreport: ${path.relative(repoRoot, path.join(outDir, `eval-${stamp}.md`))} (.json${page ? ', .html' : ''})`);

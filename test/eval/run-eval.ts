import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { sharedDataDir } from '../../functions/training/public-corpora.js';
import { markdownTable, runEvaluation, type EvalReport } from './evaluate.js';
import { generatedMisses, generatedTables, runGeneratedEvaluation, type GeneratedReport } from './generated.js';

/**
 * `npm run eval`: field-level accuracy of invoice extraction on the public corpora of the shared data folder.
 * Writes `reports/eval/eval-<timestamp>.{json,md}` (and `latest.*`), prints the table. Options:
 * `--no-images` skips tesseract OCR of the PNG renders; `--verbose` lists every miss;
 * `--generated [N]` adds N (default 300) generated born-digital invoices per field, layout and language,
 * with a calibration table; `--generated-scans [N]` the same for N (default 20) generated scans (slow).
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

const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'eval [{bar}] {value}/{total} {label}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
let report: EvalReport | undefined;
if (existsSync(dataDir)) {
  report = await runEvaluation({
    dataDir,
    includeImages: !args.has('--no-images'),
    onStart: (total) => bar.start(total, 0, { label: '' }),
    onProgress: (done, label) => bar.update(done, { label: label.length > 60 ? `…${label.slice(-59)}` : label }),
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

const outDir = path.join(repoRoot, 'reports', 'eval');
mkdirSync(outDir, { recursive: true });
const startedAt = report?.startedAt ?? new Date().toISOString();
const stamp = startedAt.replace(/[:.]/g, '-');
const table = [report ? markdownTable(report) : '', ...generated.map(generatedTables)].filter(Boolean).join('\n\n');
const md = `# Extraction accuracy\n\n${startedAt}${report ? `, ${(report.elapsedMs / 1000).toFixed(1)} s` : ''}\n\n${table}\n`;
for (const name of [`eval-${stamp}`, 'latest']) {
  writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify({ ...report, generated }, null, 2));
  writeFileSync(path.join(outDir, `${name}.md`), md);
}
console.log(table);
if (args.has('--verbose')) {
  for (const g of generated) for (const line of generatedMisses(g)) console.log(`generated ${g.kind} | ${line}`);
  for (const run of report?.runs ?? []) {
    for (const c of run.cases) {
      if (Object.keys(c.misses).length > 0 || c.error) console.log(`${run.run} | ${c.file} | ${c.error ?? JSON.stringify(c.misses)}`);
    }
  }
}
console.log(`\nreport: ${path.relative(repoRoot, path.join(outDir, `eval-${stamp}.json`))}`);

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { sharedDataDir } from './corpora.js';
import { markdownTable, runEvaluation } from './evaluate.js';

/**
 * `npm run eval`: field-level accuracy of invoice extraction on the public corpora of the shared data folder.
 * Writes `reports/eval/eval-<timestamp>.{json,md}` (and `latest.*`), prints the table. Options:
 * `--no-images` skips tesseract OCR of the PNG renders; `--verbose` lists every miss.
 */
const repoRoot = path.resolve(import.meta.dirname, '../..');
const dataDir = sharedDataDir(repoRoot);
if (!existsSync(dataDir)) {
  console.log(`eval: shared data folder not found (${path.relative(repoRoot, dataDir)}); set LEDGERX_SHARED_DATA. Nothing to evaluate.`);
  process.exit(0);
}
const args = new Set(process.argv.slice(2));
const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'eval [{bar}] {value}/{total} {label}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
const report = await runEvaluation({
  dataDir,
  includeImages: !args.has('--no-images'),
  onStart: (total) => bar.start(total, 0, { label: '' }),
  onProgress: (done, label) => bar.update(done, { label: label.length > 60 ? `…${label.slice(-59)}` : label }),
});
bar.stop();

const outDir = path.join(repoRoot, 'reports', 'eval');
mkdirSync(outDir, { recursive: true });
const stamp = report.startedAt.replace(/[:.]/g, '-');
const table = markdownTable(report);
const md = `# Extraction accuracy\n\n${report.startedAt}, ${(report.elapsedMs / 1000).toFixed(1)} s\n\n${table}\n`;
for (const name of [`eval-${stamp}`, 'latest']) {
  writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(report, null, 2));
  writeFileSync(path.join(outDir, `${name}.md`), md);
}
console.log(table);
if (args.has('--verbose')) {
  for (const run of report.runs) {
    for (const c of run.cases) {
      if (Object.keys(c.misses).length > 0 || c.error) console.log(`${run.run} | ${c.file} | ${c.error ?? JSON.stringify(c.misses)}`);
    }
  }
}
console.log(`\nreport: ${path.relative(repoRoot, path.join(outDir, `eval-${stamp}.json`))}`);

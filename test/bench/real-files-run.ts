/**
 * Child process of the real-file bench part (real-files.bench-part.ts), compiled the way the CLI is: the local
 * pipeline as `ledgerx process` builds it (shipped models, OCR threads warmed), then each file alone through the
 * whole pipeline (OCR, features, inference, SQLite) after start-up, timed from submission to its settled record.
 * With `--pdftotext`, poppler's pdftotext reads the same file right before or after it (alternating), so a noisy
 * host moves both alike. Prints one JSON object: per file wall ms, CPU ms of this process (every thread: robust
 * on a busy host), status and stage timings.
 *   real-files-run <dataDir> [--pdftotext] <files...>
 */
import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { createFileModelRegistry } from '../../functions/adapters/onnx/file-model-registry.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { submitBatch } from '../../functions/platform/local-batch.js';
import { createLocalRuntime } from '../../functions/platform/local-runtime.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { repoRoot } from '../../functions/platform/repo-root.js';
import { BORN_DIGITAL_ONLY } from '../helpers/corpus.js';

const args = process.argv.slice(2);
const dataDir = args.shift();
const withPdftotext = args[0] === '--pdftotext';
if (withPdftotext) args.shift();
if (!dataDir || args.length === 0) throw new Error('usage: real-files-run <dataDir> [--pdftotext] <files...>');

const runtime = createLocalRuntime({ dataDir, models: createFileModelRegistry(join(repoRoot(), 'models'), silentLogger) });
runtime.warmUp();
let n = 0;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const one = async (path: string) => {
  const start = performance.now();
  const cpuStart = cpuMs();
  const { submissions, unsettled } = await submitBatch(runtime, [{ path, display: basename(path), objectName: `bench/${n++}-${basename(path)}` }], { progress: false });
  const ms = performance.now() - start;
  const cpu = cpuMs() - cpuStart;
  const record = await runtime.store.get(submissions[0]!.invoiceId);
  return { ms, cpuMs: cpu, status: unsettled.length > 0 ? 'UNSETTLED' : (record?.status ?? 'MISSING'), timings: record?.timings ?? {} };
};
const pdftotext = (path: string): number => {
  const start = performance.now();
  execFileSync('pdftotext', ['-layout', path, '-'], { stdio: ['ignore', 'ignore', 'ignore'] });
  return performance.now() - start;
};

// Start-up is not what this measures: one generated invoice first takes the threads, pdfjs and the models in.
const warm = join(dataDir, 'warm-up');
await generateCorpus({ outDir: warm, count: 1, seed: 3, mix: BORN_DIGITAL_ONLY, problemRates: { badFile: 0 } });
await one(join(warm, (await import('node:fs')).readdirSync(warm).find((f) => f.endsWith('.pdf'))!));

const files: Array<{ file: string; ms: number; cpuMs: number; pdftotextMs?: number; status: string; timings: Record<string, number> }> = [];
for (const [i, path] of args.entries()) {
  let pdftotextMs: number | undefined;
  if (withPdftotext && i % 2 === 1) pdftotextMs = pdftotext(path);
  const r = await one(path);
  if (withPdftotext && i % 2 === 0) pdftotextMs = pdftotext(path);
  files.push({ file: basename(path), ...r, ...(pdftotextMs !== undefined ? { pdftotextMs } : {}) });
}
await runtime.close();
process.stdout.write(JSON.stringify({ files }) + '\n');

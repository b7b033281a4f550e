/**
 * Child process of `npm run bench`: runs one folder of invoices through the embedded local pipeline, compiled
 * the way the CLI is (run-bench.ts bundles this file with scripts/build.mjs; a TypeScript loader would add its
 * own memory), and prints one JSON object with throughput, per-stage latency percentiles and this process's
 * peak resident memory (threads included).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalRuntime } from '../../functions/platform/local-runtime.js';
import { batchResults, submitBatch } from '../../functions/platform/local-batch.js';
import { createFileModelRegistry } from '../../functions/adapters/onnx/file-model-registry.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { repoRoot } from '../../functions/platform/repo-root.js';

const [inputDir, dataDir, concurrencyArg] = process.argv.slice(2);
if (!inputDir || !dataDir) throw new Error('usage: pipeline-batch <inputDir> <dataDir> [concurrency]');

const percentile = (values: number[], q: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
};

/**
 * Peak resident memory of this process (all threads). VmHWM, not getrusage's maxRSS: on Linux maxRSS survives
 * fork+exec, so a child spawned by a large parent would report the parent's peak.
 */
function peakRssKiB(): number {
  const hwm = existsSync('/proc/self/status') ? /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')) : null;
  return hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS;
}

const names = (await readdir(inputDir)).filter((n) => n !== 'manifest.json').sort();
// The shipped production models, as `ledgerx process` uses them.
const models = createFileModelRegistry(join(repoRoot(), 'models'), silentLogger);
const runtime = createLocalRuntime({
  dataDir,
  models,
  bus: { concurrency: Number(concurrencyArg ?? 4) },
  ocrThreads: process.env.BENCH_OCR_THREADS ? Number(process.env.BENCH_OCR_THREADS) : undefined,
});
const start = performance.now();
const { submissions: submitted } = await submitBatch(runtime, names.map((n) => ({ path: join(inputDir, n), display: n, objectName: `bench/${n}` })), { progress: false });
const seconds = (performance.now() - start) / 1000;

const timings: Record<string, number[]> = { ocr: [], features: [], inference: [] };
const statuses: Record<string, number> = {};
for await (const r of batchResults(runtime, submitted)) {
  const status = r.record?.status ?? 'MISSING';
  statuses[status] = (statuses[status] ?? 0) + 1;
  for (const [name, values] of Object.entries(timings)) {
    const ms = r.record?.timings[name];
    if (typeof ms === 'number') values.push(ms);
  }
}
await runtime.close();
const stage = (name: string): number[] => timings[name] ?? [];
process.stdout.write(JSON.stringify({
  invoices: submitted.length,
  seconds,
  invoicesPerSecond: submitted.length / seconds,
  statuses,
  stages: Object.fromEntries(['ocr', 'features', 'inference'].map((s) => {
    const v = stage(s);
    return [s, { p50: percentile(v, 0.5), p99: percentile(v, 0.99), n: v.length }];
  })),
  peakRssMiB: peakRssKiB() / 1024,
}) + '\n');

/**
 * Child process of `npm run bench`: runs one folder of invoices through the embedded local pipeline, compiled
 * (dist/, as deployed; a TypeScript loader would add its own memory), and prints one JSON object with
 * throughput, per-stage latency percentiles and this process's peak resident memory (threads included).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalRuntime } from '../../dist/functions/platform/local-runtime.js';
import { runBatch } from '../../dist/functions/cli/batch.js';
import { createFileModelRegistry } from '../../dist/functions/adapters/onnx/file-model-registry.js';
import { silentLogger } from '../../dist/functions/platform/logger.js';

const [inputDir, dataDir, concurrencyArg] = process.argv.slice(2);
if (!inputDir || !dataDir) throw new Error('usage: pipeline-batch <inputDir> <dataDir> [concurrency]');

const percentile = (values, q) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};

const names = (await readdir(inputDir)).filter((n) => n !== 'manifest.json').sort();
// The shipped production models, as `ledgerx process` uses them.
const models = createFileModelRegistry(new URL('../../models', import.meta.url).pathname, silentLogger);
const runtime = createLocalRuntime({
  dataDir,
  models,
  bus: { concurrency: Number(concurrencyArg ?? 4) },
  ocrThreads: process.env.BENCH_OCR_THREADS ? Number(process.env.BENCH_OCR_THREADS) : undefined,
});
const start = performance.now();
const results = await runBatch(runtime, names.map((n) => ({ path: join(inputDir, n), display: n, objectName: `bench/${n}` })), { progress: false });
const seconds = (performance.now() - start) / 1000;
await runtime.close();

const stage = (name) => results.map((r) => r.record?.timings[name]).filter((v) => typeof v === 'number');
const statuses = {};
for (const r of results) statuses[r.record?.status ?? 'MISSING'] = (statuses[r.record?.status ?? 'MISSING'] ?? 0) + 1;
process.stdout.write(JSON.stringify({
  invoices: results.length,
  seconds,
  invoicesPerSecond: results.length / seconds,
  statuses,
  stages: Object.fromEntries(['ocr', 'features', 'inference'].map((s) => {
    const v = stage(s);
    return [s, { p50: percentile(v, 0.5), p99: percentile(v, 0.99), n: v.length }];
  })),
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
}) + '\n');

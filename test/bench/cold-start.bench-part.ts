/**
 * Cold start of the event functions (with the shipped production models): for each of ocr, features and
 * inference, a fresh node process
 * imports functions/index.ts (the module graph the platform loads), builds the function's handler over
 * local fakes (filesystem bucket, SQLite stores, recording bus: the GCP clients need a network) and handles
 * one realistic CloudEvent. Reported: ms from process start to the first handled event, of which the import
 * of functions/index.ts, and the peak resident memory (VmHWM: getrusage's maxRSS survives fork+exec, so a
 * child would report the parent's peak).
 * Targets: under 1 s and 256 MiB for features and inference. Called by `npm run bench`.
 *
 * The stage state each probe needs (the upload; the record after OCR; after features) is prepared once in
 * this process and copied to a fresh folder per probe. Under tsx (the default) TypeScript is compiled on
 * the fly, work the deployed package does not do: an upper bound. BENCH_COLD_START_DIST measures compiled JS.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Topics } from '../../functions/core/messages.js';
import { runFeaturesStage } from '../../functions/core/pipeline/features-stage.js';
import { runOcrStage } from '../../functions/core/pipeline/ocr-stage.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { ObjectFinalizedFromStorageSchema } from '../../functions/platform/gcp/envelopes.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { asReceived, pubsubPublishedEvent, storageFinalizedEvent } from '../functions/cloud-events.js';
import { BUCKETS, fakeStageRuntime } from '../functions/fakes.js';

const ROOT = resolve(import.meta.dirname, '../..');
/**
 * BENCH_COLD_START_DIST: a compiled tree of the repository (tsc output with the same layout, e.g. `dist`), run
 * with plain node as deployed; without it the sources run through tsx.
 */
const DIST = process.env.BENCH_COLD_START_DIST ? resolve(process.env.BENCH_COLD_START_DIST) : undefined;
const url = (rel: string) => pathToFileURL(DIST ? join(DIST, rel.replace(/\.ts$/, '.js')) : join(ROOT, rel)).href;

/** Runs in the child: plain JS importing the (TypeScript or compiled) modules. */
const CHILD = () => `
const fn = process.env.PROBE_FUNCTION;
await import(${JSON.stringify(url('functions/index.ts'))});
const importMs = performance.now();
const { fakeStageRuntime } = await import(${JSON.stringify(url('test/functions/fakes.ts'))});
const makers = {
  ocr: async () => (await import(${JSON.stringify(url('functions/ocr.ts'))})).makeOcrHandler,
  features: async () => (await import(${JSON.stringify(url('functions/features.ts'))})).makeFeaturesHandler,
  inference: async () => (await import(${JSON.stringify(url('functions/inference.ts'))})).makeInferenceHandler,
};
const stage = await fakeStageRuntime({ dir: process.env.PROBE_DIR, ocr: fn === 'ocr', logLevel: 'silent', modelsDir: process.env.PROBE_MODELS });
const handler = (await makers[fn]())(async () => stage.runtime);
await handler(JSON.parse(process.env.PROBE_EVENT));
const firstEventMs = performance.now();
const next = { ocr: 'ocr-completed', features: 'features-computed', inference: 'invoice-scored' }[fn];
if (stage.bus.of(next).length !== 1) throw new Error(fn + ' did not publish ' + next);
const hwm = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\\s+(\\d+) kB/);
console.log(JSON.stringify({ importMs, firstEventMs, maxRssMiB: (hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) / 1024 }));
await stage.dispose();
`;

interface Probe {
  importMs: number;
  firstEventMs: number;
  maxRssMiB: number;
}

function probe(fn: string, dir: string, event: unknown): Probe {
  const loader = DIST ? [] : ['--import', 'tsx'];
  const out = execFileSync(process.execPath, [...loader, '--input-type=module', '-e', CHILD()], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PROBE_FUNCTION: fn, PROBE_DIR: dir, PROBE_MODELS: join(ROOT, 'models'), PROBE_EVENT: JSON.stringify(event), METADATA_SERVER_DETECTION: 'none' },
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Probe;
}

/** Ms to the first handled event, import ms and peak RSS (MiB) of a fresh process per event function. */
export async function benchColdStart(): Promise<Record<string, number>> {
  const work = await mkdtemp(join(tmpdir(), 'ledgerx-cold-start-'));
  try {
    const manifest = await generateCorpus({
      outDir: join(work, 'in'), count: 1, seed: 99,
      mix: { bornDigital: 1, scan: 0, einvoicePdf: 0, einvoiceXml: 0 },
      problemRates: { exactDuplicate: 0, businessDuplicate: 0, nearDuplicate: 0, badFile: 0 },
    });
    const pdf = await readFile(join(work, 'in', manifest.documents[0]!.file));
    const name = `inbox/2025/06/30/${manifest.documents[0]!.file}`;
    const snapshots = { ocr: join(work, 'before-ocr'), features: join(work, 'after-ocr'), inference: join(work, 'after-features') };

    // The state before each stage, made by running the stages once here.
    let s = await fakeStageRuntime({ dir: join(work, 'state'), ocr: false, logLevel: 'silent' });
    const stat = await s.blobs.write({ bucket: BUCKETS.inbox, name }, pdf, { contentType: 'application/pdf' });
    const storageEvent = storageFinalizedEvent({ bucket: BUCKETS.inbox, name, generation: stat.generation, size: pdf.length });
    await s.dispose();
    await cp(join(work, 'state'), snapshots.ocr, { recursive: true });
    s = await fakeStageRuntime({ dir: join(work, 'state'), logLevel: 'silent' });
    await runOcrStage(s.deps, ObjectFinalizedFromStorageSchema.parse(storageEvent.data), { log: silentLogger });
    const ocrCompleted = s.bus.of(Topics.ocrCompleted)[0]!;
    await s.dispose();
    await cp(join(work, 'state'), snapshots.features, { recursive: true });
    s = await fakeStageRuntime({ dir: join(work, 'state'), ocr: false, logLevel: 'silent' });
    await runFeaturesStage(s.deps, ocrCompleted, { log: silentLogger });
    const featuresComputed = s.bus.of(Topics.featuresComputed)[0]!;
    await s.dispose();
    await cp(join(work, 'state'), snapshots.inference, { recursive: true });

    const events = {
      ocr: asReceived(storageEvent),
      features: asReceived(pubsubPublishedEvent({ topic: 'ledgerx-ocr-completed', payload: ocrCompleted })),
      inference: asReceived(pubsubPublishedEvent({ topic: 'ledgerx-features-computed', payload: featuresComputed })),
    };
    const result: Record<string, number> = {};
    for (const fn of ['ocr', 'features', 'inference'] as const) {
      const dir = join(work, `probe-${fn}`);
      await cp(snapshots[fn], dir, { recursive: true });
      const p = probe(fn, dir, events[fn]);
      result[`${fn} ms to first handled event`] = Math.round(p.firstEventMs);
      result[`${fn} ms importing functions/index.ts`] = Math.round(p.importMs);
      result[`${fn} peak RSS MiB`] = Math.round(p.maxRssMiB * 10) / 10;
    }
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// `npx tsx test/bench/cold-start.bench-part.ts` runs this part alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchColdStart(), null, 2));
}

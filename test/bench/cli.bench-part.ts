/**
 * The `ledgerx` command as a user runs it (bin/ledgerx.mjs on the compiled dist/cli): `ledgerx --help` against a
 * bare `node -e 0`, and `ledgerx process` of one born-digital PDF into a fresh data folder, start-up included.
 * Runs are interleaved (node, help, one PDF, node, help, ...) so that a noisy shared host moves all three alike;
 * medians reported. Targets: help within 5x of bare node, one PDF under 1.5 s. Called by `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateCorpus } from '../../functions/generator/index.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/ledgerx.mjs');
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 7);

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Wall-clock ms of one command (spawn to exit), as a shell would see it. */
function timed(args: string[]): number {
  const start = performance.now();
  execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LEDGERX_DATA_DIR: undefined } });
  return performance.now() - start;
}

export async function benchCli(): Promise<Record<string, number>> {
  const work = await mkdtemp(join(tmpdir(), 'ledgerx-bench-cli-'));
  try {
    await generateCorpus({
      outDir: join(work, 'in'), count: 1, seed: 5,
      mix: BORN_DIGITAL_ONLY,
      problemRates: NO_PROBLEMS,
    });
    const pdf = join(work, 'in', (await readdir(join(work, 'in'))).find((f) => f.endsWith('.pdf'))!);
    const node: number[] = [];
    const help: number[] = [];
    const onePdf: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      node.push(timed(['-e', '0']));
      help.push(timed([BIN, '--help']));
      const dataDir = join(work, `data-${i}`);
      onePdf.push(timed(['--max-old-space-size=1024', BIN, '--data-dir', dataDir, 'process', pdf]));
      await rm(dataDir, { recursive: true, force: true });
    }
    return {
      'node -e 0 ms (median)': Math.round(median(node)),
      'ledgerx --help ms (median)': Math.round(median(help)),
      'ledgerx --help / node -e 0': Math.round((median(help) / median(node)) * 100) / 100,
      'ledgerx process one PDF ms (median, start-up included)': Math.round(median(onePdf)),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// `npx tsx test/bench/cli.bench-part.ts` runs this part alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchCli(), null, 2));
}

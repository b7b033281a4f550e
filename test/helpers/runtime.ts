import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../functions/platform/local-runtime.js';
import { runBatch, type BatchResult } from '../../functions/platform/local-batch.js';
import type { InputFile } from '../../functions/platform/local-batch.js';

export async function tempDir(prefix: string): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `ledgerx-${prefix}-`));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** A local runtime on a fresh temp folder, with fast bus retries for tests. */
export async function testRuntime(options: Partial<LocalRuntimeOptions> = {}): Promise<{ runtime: LocalRuntime; dispose: () => Promise<void> }> {
  const { dir, dispose } = await tempDir('rt');
  const runtime = createLocalRuntime({
    dataDir: dir,
    ...options,
    bus: { minBackoffMs: 5, maxBackoffMs: 50, ...options.bus },
  });
  return {
    runtime,
    dispose: async () => {
      await runtime.close();
      await dispose();
    },
  };
}

export function inputFiles(dir: string, names: readonly string[]): InputFile[] {
  return names.map((n) => ({ path: join(dir, n), display: n, objectName: `test/${n}` }));
}

export async function processFiles(runtime: LocalRuntime, dir: string, names: readonly string[]): Promise<Map<string, BatchResult>> {
  const results = await runBatch(runtime, inputFiles(dir, names), { progress: false });
  return new Map(results.map((r) => [r.file.display, r]));
}

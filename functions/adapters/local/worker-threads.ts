import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The file a piscina pool starts its threads from: the compiled worker next to the calling code in dist/ (`js`),
 * or the TypeScript source when running from a clone through tsx (`ts`). Each caller passes
 * `new URL('./x-worker.js', import.meta.url)` and its `.ts` twin, so that the paths resolve next to the caller in
 * both layouts (the bundler puts every worker entry in the program's own folder).
 */
export function workerFile(js: URL, ts: URL): string {
  const compiled = fileURLToPath(js);
  return existsSync(compiled) ? compiled : fileURLToPath(ts);
}

const MODULE_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--conditions', '-C']);

/**
 * Module-loading flags only: a worker refuses V8 flags such as --max-semi-space-size or --expose-gc (its heap is
 * set by resourceLimits) and would fail to start; a TypeScript worker needs the tsx loader, which a test
 * runner's own transform does not give threads.
 */
export function workerExecArgv(file: string): string[] {
  const kept: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const flag = arg.split('=')[0]!;
    if (!MODULE_FLAGS.has(flag)) continue;
    kept.push(arg);
    if (!arg.includes('=') && i + 1 < args.length) kept.push(args[++i]!);
  }
  if (file.endsWith('.js') || kept.some((a) => a.includes('tsx'))) return kept;
  return [...kept, '--import', 'tsx'];
}

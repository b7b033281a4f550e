import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The folder of this repository's package.json, found by walking up from this module: the same answer from
 * the TypeScript sources (functions/...) and from the build (dist/cli/..., any chunk depth).
 */
export function repoRoot(): string {
  if (cached) return cached;
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ledgerx') return (cached = dir);
    if (dirname(dir) === dir) throw new Error('the ledgerx package.json was not found above this module');
  }
}

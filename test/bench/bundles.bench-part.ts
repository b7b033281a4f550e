/**
 * What each deployed function ships: its archive (scripts/package-functions.mjs on dist/functions/<name>), the
 * bundle unpacked, and the installed size of what the buildpack adds from the bundle's package-lock.json (sized
 * from this repository's node_modules, package by package, with onnxruntime-node cut to linux/x64 as its
 * gcp-build script does). Called by `npm run bench` after the build.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '../..');

/** Bytes under `dir`, not descending into nested node_modules (those are packages of their own). */
function packageBytes(dir: string, skip: (path: string) => boolean = () => false): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) total += entry.name === 'node_modules' ? 0 : packageBytes(path, skip);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

const otherPlatformBinaries = (path: string) =>
  /onnxruntime-node\/bin\/napi-v\d+\/[^/]+\/[^/]+$/.test(path) && !path.endsWith(`/${process.platform}/${process.arch}`);

export async function benchBundles(): Promise<Record<string, number>> {
  const { packageFunctions } = (await import(pathToFileURL(join(ROOT, 'scripts/package-functions.mjs')).href)) as {
    packageFunctions(out: string): Record<string, { bytes: number; unpackedBytes: number }>;
  };
  const out = await mkdtemp(join(tmpdir(), 'ledgerx-bench-bundles-'));
  try {
    const manifest = packageFunctions(out);
    const result: Record<string, number> = {};
    const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
    for (const [name, m] of Object.entries(manifest)) {
      const lock = JSON.parse(await readFile(join(ROOT, 'dist/functions', name, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
      const installed = Object.keys(lock.packages)
        // Optional packages for other platforms (os/cpu constraints) are in the lock but not installed here, nor there.
        .filter((key) => key !== '' && existsSync(join(ROOT, key)))
        .reduce((sum, key) => sum + packageBytes(join(ROOT, key), otherPlatformBinaries), 0);
      result[`${name} archive KiB`] = Math.round(m.bytes / 1024);
      result[`${name} bundle MiB`] = mib(m.unpackedBytes);
      result[`${name} installed packages MiB`] = mib(installed);
      result[`${name} deployed total MiB`] = mib(m.unpackedBytes + installed);
    }
    return result;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

// `npx tsx test/bench/bundles.bench-part.ts` runs this part alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchBundles(), null, 2));
}

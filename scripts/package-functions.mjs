#!/usr/bin/env node
/**
 * Packages each function bundle of dist/functions/<name>/ (scripts/build.mjs) as the Cloud Functions source
 * archive `<out>/<name>.zip`: index.js, package.json, package-lock.json, .npmrc (and prune-natives.cjs where
 * present). Fixed timestamps, sorted entries and fixed permissions make identical bundles give identical
 * bytes, so Terraform names each object by its SHA-256 and an unchanged function is not redeployed.
 * Writes `<out>/manifest.json`: name -> { zip, sha256, bytes, unpackedBytes }.
 *
 *   node scripts/package-functions.mjs [--out build/functions]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXED_TIME = new Date('1980-01-01T00:00:00Z');

export function packageFunctions(outDir = join(ROOT, 'build', 'functions')) {
  const bundles = join(ROOT, 'dist', 'functions');
  const names = readdirSync(bundles).filter((n) => statSync(join(bundles, n)).isDirectory()).sort();
  if (names.length === 0) throw new Error('dist/functions is empty: run `npm run build` first');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const manifest = {};
  for (const name of names) {
    const dir = join(bundles, name);
    const files = {};
    let unpackedBytes = 0;
    for (const file of readdirSync(dir).sort()) {
      const data = readFileSync(join(dir, file));
      unpackedBytes += data.length;
      files[file] = [data, { mtime: FIXED_TIME, level: 9, attrs: 0o644 << 16 }];
    }
    const zip = zipSync(files);
    const zipPath = join(outDir, `${name}.zip`);
    writeFileSync(zipPath, zip);
    manifest[name] = {
      zip: `${name}.zip`,
      sha256: createHash('sha256').update(zip).digest('hex'),
      bytes: zip.length,
      unpackedBytes,
      dependencies: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies,
    };
  }
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? resolve(process.argv[i + 1]) : undefined;
  const manifest = packageFunctions(out);
  for (const [name, m] of Object.entries(manifest)) {
    process.stdout.write(`${name.padEnd(12)} ${(m.bytes / 1024).toFixed(0).padStart(6)} KiB zipped  ${(m.unpackedBytes / 1048576).toFixed(1)} MiB unpacked  deps: ${Object.keys(m.dependencies).join(', ')}\n`);
  }
}

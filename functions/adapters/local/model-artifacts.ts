/**
 * Model version files in folders: new versions are written under `writeDir`, existing ones are found in
 * `writeDir` or any read-only folder (the shipped `models/` seed). A version folder is written to a temporary
 * folder and renamed into place, so it appears whole or not at all, and is never overwritten.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RegistryConflictError, type ModelArtifactStore } from '../../core/learning/model-registry.js';
import { RegistryFileSeedReader } from './registry-seed.js';

const SAFE = /^[\w.-]+$/;
const SAFE_FILE = /^(?:[\w.-]+\/)*[\w.-]+$/;

function checkName(name: string, version: string): void {
  if (!SAFE.test(name) || !SAFE.test(version) || name.startsWith('.') || version.startsWith('.')) throw new Error(`unsafe model name or version: ${name}@${version}`);
}

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

async function filesOf(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesOf(dir, rel)));
    else out.push(rel);
  }
  return out;
}

export interface FolderArtifactStoreOptions {
  writeDir: string;
  /** Further folders searched for existing versions (never written). */
  readDirs?: readonly string[];
}

export function createFolderArtifactStore(options: FolderArtifactStoreOptions): ModelArtifactStore & { readonly seed: RegistryFileSeedReader | null } {
  const roots = [options.writeDir, ...(options.readDirs ?? [])];
  const find = (name: string, version: string) => roots.map((r) => path.join(r, name, version)).find((d) => existsSync(path.join(d, 'metadata.json')) || existsSync(path.join(d, 'model.onnx')));
  const seedDir = options.readDirs?.find((d) => existsSync(path.join(d, 'registry.json')));
  return {
    seed: seedDir ? new RegistryFileSeedReader(seedDir) : null,
    async exists(name, version) {
      checkName(name, version);
      return find(name, version) !== undefined;
    },
    async materialize(name, version) {
      checkName(name, version);
      const dir = find(name, version);
      if (!dir) throw new Error(`no files for model version ${name}@${version}`);
      return dir;
    },
    async put(name, version, files) {
      checkName(name, version);
      for (const f of Object.keys(files)) if (!SAFE_FILE.test(f)) throw new Error(`unsafe model file name: ${f}`);
      const existing = find(name, version);
      if (existing) return compare(existing, name, version, files);
      const target = path.join(options.writeDir, name, version);
      const tmp = path.join(options.writeDir, name, `.tmp-${version}-${randomUUID()}`);
      try {
        for (const [f, bytes] of Object.entries(files)) {
          await mkdir(path.dirname(path.join(tmp, f)), { recursive: true });
          await writeFile(path.join(tmp, f), bytes);
        }
        try {
          await mkdir(path.dirname(target), { recursive: true });
          await rename(tmp, target);
          return { written: true };
        } catch (err) {
          // Another writer finished first: the same bytes are fine, others are a conflict.
          if (existsSync(target)) return compare(target, name, version, files);
          throw err;
        }
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  };
}

/** A version is its model.onnx (metadata carries timings that differ between identical trainings). */
async function compare(dir: string, name: string, version: string, files: Readonly<Record<string, Uint8Array | string>>): Promise<{ written: false }> {
  const onDisk = new Set(await filesOf(dir));
  const checked = files['model.onnx'] !== undefined ? ['model.onnx'] : Object.keys(files);
  for (const f of checked) {
    if (!onDisk.has(f) || sha(await readFile(path.join(dir, f))) !== sha(files[f]!)) {
      throw new RegistryConflictError('VERSION_EXISTS', `${name}@${version} exists with other files (${f}); a version is never overwritten`);
    }
  }
  return { written: false };
}

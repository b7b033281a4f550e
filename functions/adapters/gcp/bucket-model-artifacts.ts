/**
 * Model version files in the models bucket (`<name>/<version>/...`, the layout of the repository's models/),
 * and the bucket's `registry.json` (the seed Cloud Build copies there) as a {@link SeedSource}.
 *
 * A version is complete once its `model.onnx` exists: `put` writes the other files first and `model.onnx`
 * last, create-only (`ifGenerationMatch: 0`), so a crash leaves an incomplete folder that a retry completes and
 * a complete version is never overwritten. `materialize` copies a version (without test_data/) into a local
 * folder once per process, for ONNX Runtime to open.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RegistryConflictError, type ModelArtifactStore } from '../../core/learning/model-registry.js';
import type { SeedSource } from '../../core/learning/seed.js';
import { ModelMetadataSchema, RegistrySchema, type ModelMetadata, type Registry } from '../../core/registry/model-metadata.js';
import { BlobNotFoundError, PreconditionFailedError, type BlobStore } from '../../core/ports.js';

const SAFE = /^[\w.-]+$/;
const SAFE_FILE = /^(?:[\w.-]+\/)*[\w.-]+$/;
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

function check(name: string, version: string): void {
  if (!SAFE.test(name) || !SAFE.test(version) || name.startsWith('.') || version.startsWith('.')) throw new Error(`unsafe model name or version: ${name}@${version}`);
}

async function readOrNull(blobs: BlobStore, bucket: string, name: string): Promise<Uint8Array | null> {
  try {
    return await blobs.read({ bucket, name });
  } catch (err) {
    if (err instanceof BlobNotFoundError) return null;
    throw err;
  }
}

export function createBucketArtifactStore(blobs: BlobStore, bucket: string, cacheDir = path.join(tmpdir(), 'ledgerx-model-versions')): ModelArtifactStore {
  const mirrored = new Map<string, Promise<string>>();
  return {
    async put(name, version, files) {
      check(name, version);
      const onnx = files['model.onnx'];
      if (!onnx) throw new Error('a model version needs model.onnx');
      for (const f of Object.keys(files)) if (!SAFE_FILE.test(f)) throw new Error(`unsafe model file name: ${f}`);
      const prefix = `${name}/${version}/`;
      const stored = await readOrNull(blobs, bucket, `${prefix}model.onnx`);
      if (stored) {
        if (sha(stored) !== sha(onnx)) throw new RegistryConflictError('VERSION_EXISTS', `${name}@${version} exists with other model bytes; a version is never overwritten`);
        return { written: false };
      }
      for (const [f, bytes] of Object.entries(files)) if (f !== 'model.onnx') await blobs.write({ bucket, name: prefix + f }, bytes);
      try {
        await blobs.write({ bucket, name: `${prefix}model.onnx` }, onnx, { ifGenerationMatch: '0', contentType: 'application/octet-stream' });
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
        const now = await readOrNull(blobs, bucket, `${prefix}model.onnx`);
        if (!now || sha(now) !== sha(onnx)) throw new RegistryConflictError('VERSION_EXISTS', `${name}@${version} was written concurrently with other model bytes`);
        return { written: false };
      }
      return { written: true };
    },
    async exists(name, version) {
      check(name, version);
      return (await blobs.stat({ bucket, name: `${name}/${version}/model.onnx` })) !== null;
    },
    materialize(name, version) {
      check(name, version);
      const key = `${name}/${version}`;
      let pending = mirrored.get(key);
      if (!pending) {
        pending = (async () => {
          const target = path.join(cacheDir, name, version);
          if (existsSync(path.join(target, 'model.onnx'))) return target;
          const tmp = path.join(cacheDir, `.tmp-${randomUUID()}`);
          try {
            const stats = await blobs.list(bucket, `${name}/${version}/`);
            if (!stats.some((s) => s.name.endsWith('/model.onnx'))) throw new Error(`no files for model version ${name}@${version}`);
            for (const s of stats) {
              const rel = s.name.slice(`${name}/${version}/`.length);
              if (!rel || rel.startsWith('test_data/') || !SAFE_FILE.test(rel)) continue;
              await mkdir(path.dirname(path.join(tmp, rel)), { recursive: true });
              await writeFile(path.join(tmp, rel), await blobs.read({ bucket, name: s.name }));
            }
            await mkdir(path.dirname(target), { recursive: true });
            await rename(tmp, target).catch((err: unknown) => {
              if (!existsSync(path.join(target, 'model.onnx'))) throw err;
            });
            return target;
          } finally {
            await rm(tmp, { recursive: true, force: true });
          }
        })();
        pending.catch(() => mirrored.delete(key));
        mirrored.set(key, pending);
      }
      return pending;
    },
  };
}

/** The bucket's `registry.json` and version metadata as the registry seed. */
export function bucketSeed(blobs: BlobStore, bucket: string): SeedSource {
  return {
    async registry(): Promise<Registry | null> {
      const bytes = await readOrNull(blobs, bucket, 'registry.json');
      return bytes ? RegistrySchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8'))) : null;
    },
    async metadata(name: string, version: string): Promise<ModelMetadata | null> {
      check(name, version);
      const bytes = await readOrNull(blobs, bucket, `${name}/${version}/metadata.json`);
      return bytes ? ModelMetadataSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8'))) : null;
    },
  };
}

/**
 * The model registry of the GCP runtime: the models bucket holds the same layout as the repository's
 * `models/` folder (`registry.json` + `<name>/<version>/{model.onnx, metadata.json, ...}`). On the first
 * `loadProduction()` of an instance the registry file and the production versions' files are mirrored into
 * a local folder (Cloud Functions' /tmp, in memory) and served by the file registry of adapters/onnx, which
 * checks every file's sha256 and keeps one ONNX session per model for the instance's life.
 *
 * A promotion (a new pointer in `registry.json`) therefore reaches new instances; running instances keep
 * the models they loaded, so one instance never mixes versions within its lifetime.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lazy } from '../../core/lazy.js';
import { BlobNotFoundError, type BlobStore, type Logger, type ModelRegistry } from '../../core/ports.js';
import { createFileModelRegistry } from '../../adapters/onnx/file-model-registry.js';
import { REGISTRY_FILE, loadRegistry } from '../../adapters/local/registry-file.js';

/** Files a served model never needs (golden test data stays in the bucket). */
const SKIPPED = /(^|\/)test_data\//;

/** Refuses object names that would escape the mirror folder. */
function safeRelative(name: string): string {
  const rel = path.posix.normalize(name);
  if (rel.startsWith('../') || path.posix.isAbsolute(rel)) throw new Error(`unsafe object name in the models bucket: ${name}`);
  return rel;
}

/**
 * A {@link ModelRegistry} over `bucket`. Returns null from `loadProduction()` when the bucket has no
 * `registry.json` or no production version (the decision then uses rules alone). A failed mirror or load is
 * not cached: the invocation fails (retried) and the next one tries again.
 */
export function createBucketModelRegistry(blobs: BlobStore, bucket: string, log: Logger, cacheDir = path.join(tmpdir(), 'ledgerx-models')): ModelRegistry {

  const mirror = lazy(async (): Promise<ModelRegistry | null> => {
    let registryBytes: Uint8Array;
    try {
      registryBytes = await blobs.read({ bucket, name: REGISTRY_FILE });
    } catch (err) {
      if (err instanceof BlobNotFoundError) return null;
      throw err;
    }
    await mkdir(cacheDir, { recursive: true });
    await writeFile(path.join(cacheDir, REGISTRY_FILE), registryBytes);
    const registry = loadRegistry(cacheDir);
    let files = 0;
    for (const [name, entry] of Object.entries(registry.models)) {
      const prod = entry.versions.find((v) => v.stage === 'production');
      if (!prod) continue;
      for (const stat of await blobs.list(bucket, `${name}/${prod.version}/`)) {
        if (SKIPPED.test(stat.name) || stat.name.endsWith('/')) continue;
        const target = path.join(cacheDir, safeRelative(stat.name));
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, await blobs.read({ bucket, name: stat.name }));
        files++;
      }
    }
    log.info('models mirrored from bucket', { files });
    return createFileModelRegistry(cacheDir, log);
  });

  return {
    async loadProduction() {
      const registry = await mirror();
      return registry ? registry.loadProduction() : null;
    },
  };
}

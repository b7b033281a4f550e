import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsBlobStore, type FsBlobStore } from '../../functions/adapters/local/index.js';
import { addVersion, emptyRegistry, promote } from '../../functions/core/registry/registry.js';
import { loadRegistry } from '../../functions/adapters/local/registry-file.js';
import { createBucketModelRegistry } from '../../functions/platform/gcp/model-registry.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { tempDir } from '../helpers/runtime.js';

const BUCKET = 'ledgerx-test-models';
const repoModels = path.resolve(import.meta.dirname, '../../models');

describe('model registry on the models bucket', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  let blobs: FsBlobStore;

  beforeAll(async () => {
    ({ dir, dispose } = await tempDir('models-bucket'));
    blobs = createFsBlobStore(path.join(dir, 'buckets'));
  });
  afterAll(async () => {
    await dispose();
  });

  it('returns null when the bucket has no registry.json', async () => {
    expect(await createBucketModelRegistry(blobs, BUCKET, silentLogger, path.join(dir, 'cache-empty')).loadProduction()).toBeNull();
  });

  it('mirrors only the production versions, without their golden test data', async () => {
    const registry = promote(addVersion(addVersion(emptyRegistry(), 'quality', 'v1', '2025-01-01T00:00:00.000Z'), 'quality', 'v2', '2025-02-01T00:00:00.000Z'), 'quality', 'v2');
    const bucket = 'mirror-test';
    await blobs.write({ bucket, name: 'registry.json' }, JSON.stringify(registry));
    for (const name of ['quality/v1/model.onnx', 'quality/v2/model.onnx', 'quality/v2/metadata.json', 'quality/v2/test_data/expected.json']) {
      await blobs.write({ bucket, name }, `bytes of ${name}`);
    }
    const cache = path.join(dir, 'cache-mirror');
    // The fake files are no valid models: loading fails after mirroring, and is retried on the next call.
    await expect(createBucketModelRegistry(blobs, bucket, silentLogger, cache).loadProduction()).rejects.toThrow();
    expect(loadRegistry(cache)).toEqual(registry);
    expect((await readdir(path.join(cache, 'quality'))).sort()).toEqual(['v2']);
    expect((await readdir(path.join(cache, 'quality', 'v2'))).sort()).toEqual(['metadata.json', 'model.onnx']);
    expect(await readFile(path.join(cache, 'quality', 'v2', 'model.onnx'), 'utf8')).toBe('bytes of quality/v2/model.onnx');
  });

  it.skipIf(!existsSync(path.join(repoModels, 'registry.json')))('serves the repository models uploaded to the bucket', async () => {
    const bucket = 'repo-models';
    const walk = async (rel: string): Promise<void> => {
      for (const entry of await readdir(path.join(repoModels, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(child);
        else await blobs.write({ bucket, name: child }, await readFile(path.join(repoModels, child)));
      }
    };
    await walk('');
    const models = await createBucketModelRegistry(blobs, bucket, silentLogger, path.join(dir, 'cache-repo')).loadProduction();
    const registry = loadRegistry(repoModels);
    const production = Object.entries(registry.models).flatMap(([name, m]) => m.versions.filter((v) => v.stage === 'production').map((v) => [name, v.version]));
    expect(models?.versions ?? {}).toEqual(Object.fromEntries(production));
  });
});

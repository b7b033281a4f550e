import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelArtifactStore, ModelRegistryStore } from '../../functions/core/learning/model-registry.js';
import { versionFromMetadata } from '../../functions/core/learning/seed.js';
import { ModelMetadataSchema } from '../../functions/core/registry/model-metadata.js';

/**
 * Registers the files of `name@from` again as `name@to` (its metadata renamed), in staging: a second version of
 * the serving feature schema, for tests and benches that need a promotion or a rollback to have somewhere to go
 * (the shipped versions before production read an earlier schema, which a rollback never restores).
 */
export async function registerCopy(learning: { artifacts: ModelArtifactStore; registry: ModelRegistryStore }, name: string, from: string, to: string, reason: string): Promise<void> {
  const folder = await learning.artifacts.materialize(name, from);
  const files = Object.fromEntries(await Promise.all(['metadata.json', 'model.onnx', 'model.json'].map(async (f) => [f, await readFile(join(folder, f))] as const)));
  const metadata = { ...ModelMetadataSchema.parse(JSON.parse(files['metadata.json']!.toString('utf8'))), version: to };
  await learning.artifacts.put(name, to, { ...files, 'metadata.json': JSON.stringify(metadata) });
  await learning.registry.register(versionFromMetadata(metadata), { actor: 'test', reason, at: new Date() });
}

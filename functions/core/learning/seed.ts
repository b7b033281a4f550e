/**
 * The shipped seed (`models/registry.json` and its version folders) imported into a registry store: every
 * version not known yet is registered, and a model without a production pointer gets the seed's production
 * history replayed, so that rollback works on the imported history too. Idempotent: run on every start.
 */
import type { ModelMetadata, Registry } from '../registry/model-metadata.js';
import type { ModelRegistryStore, NewModelVersion } from './model-registry.js';

export interface SeedSource {
  /** The seed registry, or null when there is none. */
  registry(): Promise<Registry | null>;
  /** A version's metadata.json, or null when its folder is not there (e.g. an archived version never copied). */
  metadata(name: string, version: string): Promise<ModelMetadata | null>;
}

/** The registry record of a version described by its metadata.json. */
export function versionFromMetadata(meta: ModelMetadata, runId: string | null = null, codeRevision: string | null = null, snapshotUri?: string): NewModelVersion {
  const rows = meta.trainingData.rows;
  return {
    name: meta.name,
    version: meta.version,
    kind: meta.kind,
    createdAt: meta.createdAt,
    modelSha256: meta.modelSha256,
    metrics: meta.metrics as Record<string, unknown>,
    lineage: {
      dataSnapshot: { sha256: meta.trainingData.sha256, rows: rows.train + rows.validation + rows.test, ...(snapshotUri ? { uri: snapshotUri } : {}) },
      featureSchemaVersion: meta.featureSchemaVersion,
      codeRevision,
      parameters: { ...meta.hyperparameters, seed: meta.trainingData.seed },
      runId,
    },
  };
}

export async function importSeed(store: ModelRegistryStore, seed: SeedSource, now: Date): Promise<{ registered: number; promoted: number }> {
  const registry = await seed.registry();
  if (!registry) return { registered: 0, promoted: 0 };
  let registered = 0;
  let promoted = 0;
  const ctx = { actor: 'seed', reason: 'imported from the shipped models/registry.json', at: now, evidence: { source: 'seed' } };
  for (const [name, model] of Object.entries(registry.models).sort(([a], [b]) => a.localeCompare(b))) {
    for (const v of model.versions) {
      if (await store.get(name, v.version)) continue;
      const meta = await seed.metadata(name, v.version);
      // A seed may lack the files of versions it no longer serves: those cannot be registered (nor served).
      if (!meta) continue;
      if ((await store.register(versionFromMetadata(meta), ctx)).created) registered++;
    }
    if ((await store.pointer(name)).production) continue;
    const history = model.productionHistory.length > 0 ? model.productionHistory : model.versions.filter((v) => v.stage === 'production').map((v) => v.version);
    for (const version of history) {
      if (!(await store.get(name, version))) continue;
      await store.promote(name, version, ctx);
      promoted++;
    }
  }
  return { registered, promoted };
}

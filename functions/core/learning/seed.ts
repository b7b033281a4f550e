/**
 * The shipped seed (`models/registry.json` and its version folders) imported into a registry store: every
 * version not known yet is registered, and a model without a production pointer gets the seed's production
 * history replayed (its versions of this code's feature schema), so that rollback works on the imported
 * history too. A production version of an earlier
 * feature schema than this code computes (an upgrade across a schema change) cannot be served (serving would
 * fall back to rules): the seed's production version of the current schema replaces it. Idempotent: run on
 * every start.
 */
import { FEATURE_SCHEMA_VERSION } from '../features/schema.js';
import type { ModelMetadata, Registry } from '../registry/model-metadata.js';
import type { ChangeContext, ModelRegistryStore, NewModelVersion } from './model-registry.js';

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
    const current = (await store.pointer(name)).production;
    if (current) {
      if (await replaceUnservable(store, name, current, model.versions.find((v) => v.stage === 'production')?.version, ctx)) promoted++;
      continue;
    }
    const history = model.productionHistory.length > 0 ? model.productionHistory : model.versions.filter((v) => v.stage === 'production').map((v) => v.version);
    for (const version of history) {
      const record = await store.get(name, version);
      // Versions of an earlier feature schema stay registered (archived) but out of the replayed history: a
      // rollback to one would turn the models off (serving refuses them and decides by rules).
      if (!record || record.lineage.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) continue;
      await store.promote(name, version, ctx);
      promoted++;
    }
  }
  return { registered, promoted };
}

/** Promotes the seed's production version when the current one is of another feature schema and the seed's is of this code's. */
async function replaceUnservable(
  store: ModelRegistryStore, name: string, current: string, seedProduction: string | undefined, ctx: ChangeContext,
): Promise<boolean> {
  if (!seedProduction || seedProduction === current) return false;
  const [now, next] = await Promise.all([store.get(name, current), store.get(name, seedProduction)]);
  if (!now || !next || now.lineage.featureSchemaVersion === FEATURE_SCHEMA_VERSION || next.lineage.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) return false;
  await store.promote(name, seedProduction, {
    ...ctx,
    reason: `production ${current} expects features ${now.lineage.featureSchemaVersion}, this code computes ${FEATURE_SCHEMA_VERSION}: the shipped production version replaces it`,
    evidence: { ...ctx.evidence, replaced: current, featureSchemaVersion: { from: now.lineage.featureSchemaVersion, to: FEATURE_SCHEMA_VERSION } },
  });
  return true;
}

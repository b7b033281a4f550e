/**
 * Model registry semantics on `models/registry.json`: versions per model name, each in a stage. Promotion flips
 * the production pointer (the previous production version is archived) and never rewrites a version's files;
 * rollback re-promotes the version that was production before. Pure functions on the registry value;
 * the file is read and written by adapters/local/registry-file.ts.
 */
import type { Registry, Stage } from './model-metadata.js';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
}

export function emptyRegistry(): Registry {
  return { schemaVersion: 1, models: {} };
}

/** Registers a new version in `staging`. Throws RegistryError when the version already exists. */
export function addVersion(registry: Registry, name: string, version: string, createdAt: string): Registry {
  const model = registry.models[name] ?? { versions: [], productionHistory: [] };
  if (model.versions.some((v) => v.version === version)) throw new RegistryError(`${name}@${version} already exists`);
  return {
    ...registry,
    models: { ...registry.models, [name]: { ...model, versions: [...model.versions, { version, stage: 'staging', createdAt }] } },
  };
}

/** The production version of `name`, or null. */
export function productionVersion(registry: Registry, name: string): string | null {
  return registry.models[name]?.versions.find((v) => v.stage === 'production')?.version ?? null;
}

function withStages(registry: Registry, name: string, stageOf: (version: string, current: Stage) => Stage, history: string[]): Registry {
  const model = registry.models[name]!;
  return {
    ...registry,
    models: {
      ...registry.models,
      [name]: { versions: model.versions.map((v) => ({ ...v, stage: stageOf(v.version, v.stage) })), productionHistory: history },
    },
  };
}

/** Makes `version` the production version of `name`; the previous one is archived. Throws RegistryError for an unknown version. */
export function promote(registry: Registry, name: string, version: string): Registry {
  const model = registry.models[name];
  if (!model?.versions.some((v) => v.version === version)) throw new RegistryError(`unknown model version ${name}@${version}`);
  const current = productionVersion(registry, name);
  if (current === version) return registry;
  return withStages(
    registry, name,
    (v, stage) => (v === version ? 'production' : stage === 'production' ? 'archived' : stage),
    [...model.productionHistory, version],
  );
}

/**
 * Puts back the version that was production before the current one (the current one is archived).
 * Throws RegistryError when there is no earlier production version to return to.
 */
export function rollback(registry: Registry, name: string): Registry {
  const model = registry.models[name];
  const history = model?.productionHistory ?? [];
  const current = productionVersion(registry, name);
  if (!model || !current || history.length < 2) throw new RegistryError(`${name} has no earlier production version to roll back to`);
  const rest = history.slice(0, -1);
  const previous = rest[rest.length - 1]!;
  return withStages(registry, name, (v, stage) => (v === previous ? 'production' : v === current ? 'archived' : stage), rest);
}

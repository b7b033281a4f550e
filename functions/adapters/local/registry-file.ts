/** `models/registry.json`: the registry value of core/registry/registry.ts as a file. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RegistrySchema, type Registry } from '../../core/registry/model-metadata.js';
import { emptyRegistry } from '../../core/registry/registry.js';

export const REGISTRY_FILE = 'registry.json';

/** Reads `<dir>/registry.json`; an absent file is an empty registry. Throws ZodError on a malformed file. */
export function loadRegistry(dir: string): Registry {
  const file = path.join(dir, REGISTRY_FILE);
  if (!existsSync(file)) return emptyRegistry();
  return RegistrySchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Writes the registry atomically (temp file + rename), so a crash never leaves half a pointer. */
export function saveRegistry(dir: string, registry: Registry): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, REGISTRY_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(RegistrySchema.parse(registry), null, 2) + '\n');
  renameSync(tmp, file);
}

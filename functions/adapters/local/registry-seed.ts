import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SeedSource } from '../../core/learning/seed.js';
import { ModelMetadataSchema, type ModelMetadata, type Registry } from '../../core/registry/model-metadata.js';
import { loadRegistry, REGISTRY_FILE } from './registry-file.js';
import { existsSync } from 'node:fs';

/** The shipped seed as a {@link SeedSource}: `<dir>/registry.json` and `<dir>/<name>/<version>/metadata.json`. */
export class RegistryFileSeedReader implements SeedSource {
  constructor(readonly dir: string) {}

  async registry(): Promise<Registry | null> {
    return existsSync(path.join(this.dir, REGISTRY_FILE)) ? loadRegistry(this.dir) : null;
  }

  async metadata(name: string, version: string): Promise<ModelMetadata | null> {
    const file = path.join(this.dir, name, version, 'metadata.json');
    return existsSync(file) ? ModelMetadataSchema.parse(JSON.parse(await readFile(file, 'utf8'))) : null;
  }
}

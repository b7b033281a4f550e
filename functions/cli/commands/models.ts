import { resolve } from 'node:path';
import type { Command } from 'commander';
import { promote, RegistryError, rollback } from '../../core/registry/registry.js';
import { loadRegistry, saveRegistry } from '../../adapters/local/registry-file.js';
import { UsageError } from '../errors.js';
import { defaultModelsDir } from '../runtime-options.js';

const dirOf = (o: { models?: string }) => resolve(o.models ?? defaultModelsDir());

function guarded(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof RegistryError) throw new UsageError(err.message);
    throw err;
  }
}

/** `ledgerx models list|promote|rollback`: the registry pointers (files of a version are never touched). */
export function define(models: Command): void {
  models
    .command('list')
    .option('--models <folder>', 'model registry folder')
    .option('--json', 'print the registry as JSON')
    .action((o: { models?: string; json?: boolean }) => {
      const registry = loadRegistry(dirOf(o));
      if (o.json) {
        process.stdout.write(JSON.stringify(registry, null, 2) + '\n');
        return;
      }
      const names = Object.keys(registry.models).sort();
      if (names.length === 0) process.stdout.write('no models registered\n');
      for (const name of names) {
        for (const v of registry.models[name]!.versions) process.stdout.write(`${name}\t${v.version}\t${v.stage}\t${v.createdAt}\n`);
      }
    });
  models
    .command('promote <name> <version>')
    .option('--models <folder>', 'model registry folder')
    .action((name: string, version: string, o: { models?: string }) => guarded(() => {
      const dir = dirOf(o);
      saveRegistry(dir, promote(loadRegistry(dir), name, version));
      process.stdout.write(`${name}@${version} is production\n`);
    }));
  models
    .command('rollback <name>')
    .option('--models <folder>', 'model registry folder')
    .action((name: string, o: { models?: string }) => guarded(() => {
      const dir = dirOf(o);
      const next = rollback(loadRegistry(dir), name);
      saveRegistry(dir, next);
      const prod = next.models[name]?.versions.find((v) => v.stage === 'production')?.version;
      process.stdout.write(`${name} rolled back to ${prod}\n`);
    }));
}

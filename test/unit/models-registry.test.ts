import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileModelRegistry } from '../../functions/adapters/onnx/file-model-registry.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { addVersion, emptyRegistry, productionVersion, promote, RegistryError, rollback } from '../../functions/core/registry/registry.js';
import { loadRegistry, saveRegistry } from '../../functions/adapters/local/registry-file.js';

const AT = '2025-01-01T00:00:00.000Z';
const work = mkdtempSync(path.join(tmpdir(), 'ledgerx-registry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('model registry semantics', () => {
  const base = ['v1', 'v2', 'v3'].reduce((r, v) => addVersion(r, 'quality', v, AT), emptyRegistry());

  it('new versions start in staging; no production until promoted', () => {
    expect(base.models.quality!.versions.every((v) => v.stage === 'staging')).toBe(true);
    expect(productionVersion(base, 'quality')).toBeNull();
  });

  it('a version cannot be registered twice', () => {
    expect(() => addVersion(base, 'quality', 'v1', AT)).toThrow(RegistryError);
  });

  it('promotion flips the pointer and archives the previous production version', () => {
    const r = promote(promote(base, 'quality', 'v1'), 'quality', 'v2');
    expect(productionVersion(r, 'quality')).toBe('v2');
    expect(r.models.quality!.versions.map((v) => v.stage)).toEqual(['archived', 'production', 'staging']);
    expect(() => promote(r, 'quality', 'v9')).toThrow(RegistryError);
  });

  it('rollback returns to the previous production version, repeatedly, and refuses past the first', () => {
    let r = promote(promote(promote(base, 'quality', 'v1'), 'quality', 'v2'), 'quality', 'v3');
    r = rollback(r, 'quality');
    expect(productionVersion(r, 'quality')).toBe('v2');
    expect(r.models.quality!.versions.find((v) => v.version === 'v3')!.stage).toBe('archived');
    r = rollback(r, 'quality');
    expect(productionVersion(r, 'quality')).toBe('v1');
    expect(() => rollback(r, 'quality')).toThrow(RegistryError);
    expect(() => rollback(base, 'failure')).toThrow(RegistryError);
  });

  it('saves and loads through zod', () => {
    const dir = path.join(work, 'reg');
    const r = promote(base, 'quality', 'v1');
    saveRegistry(dir, r);
    expect(loadRegistry(dir)).toEqual(r);
    expect(loadRegistry(path.join(work, 'absent'))).toEqual(emptyRegistry());
  });

  it('the file registry returns null without a registry or without production models', async () => {
    expect(await createFileModelRegistry(path.join(work, 'nothing'), silentLogger).loadProduction()).toBeNull();
    const dir = path.join(work, 'staging-only');
    saveRegistry(dir, base);
    expect(await createFileModelRegistry(dir, silentLogger).loadProduction()).toBeNull();
  });
});

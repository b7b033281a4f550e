import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = join(import.meta.dirname, '../../functions/core');
// node:crypto is computation (hashes), not I/O; the rest are pure libraries (pdf-lib parses PDF bytes in
// memory: the OCR stage reads e-invoice attachments with it, whatever the OCR engine).
const ALLOWED_PACKAGES = new Set(['zod', 'fast-xml-parser', 'ibantools', 'jsvat-next', 'pdf-lib', 'node:crypto', '@stdlib/stats-base-dists-chisquare-cdf']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('functions/core stays pure', () => {
  const files = sources(CORE);
  it.each(files.map((f) => [relative(CORE, f), f]))('%s imports only zod, core modules and pure libraries', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
      .map((m) => m[1] ?? m[2] ?? '');
    for (const spec of specifiers) {
      if (spec.startsWith('.')) {
        expect(spec, `${file} reaches outside the core`).not.toMatch(/adapters|platform|cli\//);
        continue;
      }
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      expect(ALLOWED_PACKAGES.has(pkg), `${file} imports ${spec}`).toBe(true);
    }
    expect(text, `${file} reads process.env`).not.toMatch(/process\.env/);
  });
});

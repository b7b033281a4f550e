/**
 * What Terraform deploys and what the code registers are the same set, checked in both directions through
 * functions-framework itself: every function key in infra/ resolves to a registered handler once
 * functions/index.ts is loaded, and every entry file (functions/<name>.ts, each a bundle of its own) is deployed.
 * Then each bundle of dist/functions/<name> is started the way Cloud Functions starts it (the functions-framework
 * runner on the bundle folder, `--target=<name>`), which fails for a bundle that does not register its name.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { getFunction } from '@google-cloud/functions-framework/testing';
import { beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');
const FUNCTIONS_TF = path.join(REPO, 'infra/modules/pipeline/functions.tf');

/** Keys of the `event_functions` and `http_functions` locals: the functions Terraform deploys. */
async function deployedFunctions(): Promise<string[]> {
  const json = (await parse('functions.tf', readFileSync(FUNCTIONS_TF, 'utf8'))) as { locals?: Array<Record<string, unknown>> };
  const keys = (json.locals ?? []).flatMap((l) =>
    ['event_functions', 'http_functions'].flatMap((k) => Object.keys((l[k] ?? {}) as object)),
  );
  return keys.sort();
}

/** Deployed by Terraform but not built yet: each leaves this list with the issue that builds it. */
const NOT_YET_BUILT = new Set<string>();

const entryFiles = () =>
  readdirSync(path.join(REPO, 'functions'))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -3))
    .sort();

describe('deployed functions = registered functions', () => {
  let deployed: string[];
  beforeAll(async () => {
    deployed = await deployedFunctions();
    await import('../../functions/index.js');
  });

  it('finds the Terraform function maps', () => {
    expect(deployed.length).toBeGreaterThanOrEqual(4);
  });

  it('resolves every function Terraform deploys to a handler registered under that name', () => {
    const missing = deployed.filter((name) => !NOT_YET_BUILT.has(name) && typeof getFunction(name) !== 'function');
    expect(missing).toEqual([]);
  });

  it('deploys every entry file, and functions/index.ts registers each of them', () => {
    expect(entryFiles().filter((name) => !deployed.includes(name))).toEqual([]);
    expect(deployed.filter((name) => !NOT_YET_BUILT.has(name))).toEqual(entryFiles());
    for (const name of entryFiles()) expect(getFunction(name), name).toBeTypeOf('function');
  });
});

/** Starts the functions-framework runner on one bundle folder; resolves with what it printed once it serves. */
function serveBundle(name: string): Promise<string> {
  const runner = path.join(REPO, 'node_modules/@google-cloud/functions-framework/build/src/main.js');
  const child = spawn(process.execPath, [runner, `--target=${name}`, `--source=${path.join(REPO, 'dist/functions', name)}`, '--port=0'], {
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${name} did not start within 30 s:\n${out}`)), 30_000);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      child.kill('SIGTERM');
      if (err) reject(err);
      else resolve(out);
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/Serving function/.test(out) && /URL:/.test(out)) finish();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => finish(new Error(`${name} exited with ${code} before serving:\n${out}`)));
  });
}

describe.skipIf(!existsSync(path.join(REPO, 'dist/functions')))('function bundles (dist/functions, built by npm ci / npm run build)', () => {
  it('has one bundle per entry file, each with only its own package.json dependencies', () => {
    expect(readdirSync(path.join(REPO, 'dist/functions')).sort()).toEqual(entryFiles());
    for (const name of entryFiles()) {
      const pkg = JSON.parse(readFileSync(path.join(REPO, 'dist/functions', name, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> };
      expect(pkg.main).toBe('index.js');
      expect(Object.keys(pkg.dependencies)).toContain('@google-cloud/functions-framework');
      // The pipeline's local stack never reaches a deployed function.
      expect(Object.keys(pkg.dependencies)).not.toContain('better-sqlite3');
    }
  });

  it('ships ocr with Document AI only: no offline OCR engine (pdfjs, tesseract) and no sharp in its bundle', () => {
    const dir = path.join(REPO, 'dist/functions/ocr');
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(['@google-cloud/functions-framework']);
    const bundle = readFileSync(path.join(dir, 'index.js'), 'utf8');
    expect(bundle).not.toMatch(/tesseract|pdfjs|GlobalWorkerOptions/i);
    expect(bundle).toContain('DocumentProcessorService');
    // It was 12 MB with the offline engine and every Document AI API version.
    expect(statSync(path.join(dir, 'index.js')).size).toBeLessThan(8 * 1024 * 1024);
  });

  it.each(entryFiles())('serves %s from its bundle under functions-framework', async (name) => {
    const out = await serveBundle(name);
    expect(out).toContain(`Function: ${name}`);
  });
});

#!/usr/bin/env node
/**
 * `npm run build` (also run by `npm ci` through the `prepare` script): compiles the TypeScript with esbuild.
 *
 * - dist/cli/: the `ledgerx` command (bin/ledgerx.mjs loads dist/cli/main.js). Pure-JavaScript packages are
 *   bundled, the rest stays external (LOCAL_EXTERNALS, in node_modules beside it); code split at every dynamic import, so `ledgerx --help` loads only
 *   the command definitions, and each command loads what it uses when it runs.
 * - dist/jobs/<name>/: one bundle per Cloud Run job (functions/jobs/<name>.ts), e.g. the retraining job.
 * - dist/functions/<name>/: one bundle per deployed function (every functions/<name>.ts entry file), with
 *   only what that function imports, plus the package.json that lists the few packages a bundle cannot hold:
 *   functions-framework (the runner and the bundle must share its function registry) and native addons.
 *   scripts/package-functions.mjs zips these folders for deployment.
 *
 * Type checking is `npm run typecheck` (tsc); esbuild only strips types.
 */
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Packages a function bundle cannot contain; each becomes a dependency in the bundle's package.json. */
export const FUNCTION_EXTERNALS = [
  // The runner loads the bundle and serves what it registered: both must use one copy of the framework.
  '@google-cloud/functions-framework',
  // Native addons (and the files they load by path).
  'onnxruntime-node',
  // Reads its cmaps, fonts and wasm from its own package folder, and renders through the native @napi-rs/canvas
  // it depends on (api page images; the ocr function's offline engine).
  'pdfjs-dist',
  'better-sqlite3',
  'sharp',
];

/**
 * What the local programs (the CLI) load from node_modules instead of bundling: the function externals, the
 * packages that start workers or read their own files by path (tesseract.js and its language data, piscina,
 * chokidar, @napi-rs/canvas; pino is bundled because only its synchronous destination is used, never a
 * transport thread), the Google clients (google-gax loads protos from its package folder) and the
 * generator's faker (large, `ledgerx generate` only). The rest is bundled: resolving and loading a few hundred
 * small CommonJS and ESM files (zod, hono, @stdlib, commander...) from node_modules cost about 230 ms of every
 * `ledgerx process` start (1.57 -> 1.34 s for one PDF on an idle host).
 */
const LOCAL_EXTERNALS = [
  ...FUNCTION_EXTERNALS,
  '@napi-rs/canvas', 'tesseract.js', '@tesseract.js-data/*', 'piscina', 'chokidar',
  '@google-cloud/*', 'google-gax', '@grpc/grpc-js', 'google-auth-library', '@faker-js/faker', 'esbuild',
];

/** The deployed functions: every functions/<name>.ts except index.ts (file name = entry point = Terraform key). */
export function functionNames() {
  return readdirSync(join(ROOT, 'functions'))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -3))
    .sort();
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins, and read __dirname at load
  // (google-gax computes its proto folder from it when the first Firestore / Pub/Sub / Document AI client is
  // made: without these the bundled clients fail with "__dirname is not defined").
  banner: {
    js: [
      "import { createRequire as __ledgerxCreateRequire } from 'node:module';",
      "import { fileURLToPath as __ledgerxFileURLToPath } from 'node:url';",
      "import { dirname as __ledgerxDirname } from 'node:path';",
      'const require = __ledgerxCreateRequire(import.meta.url);',
      'const __filename = __ledgerxFileURLToPath(import.meta.url);',
      'const __dirname = __ledgerxDirname(__filename);',
    ].join(' '),
  },
};

/**
 * A program that runs from this repository (npm packages resolved from node_modules) and may start the local
 * OCR threads: the CLI, and the benchmark's batch runner.
 */
export async function buildLocalProgram(entryPoints, outdir) {
  await build({
    ...common,
    entryPoints: {
      ...entryPoints,
      // piscina starts each worker from its own file, next to the code that creates the pool.
      'ocr-worker': join(ROOT, 'functions/adapters/local/ocr/ocr-worker.ts'),
      'extraction-worker': join(ROOT, 'functions/adapters/local/extraction/extraction-worker.ts'),
    },
    outdir,
    splitting: true,
    chunkNames: '[name]-[hash]',
    external: LOCAL_EXTERNALS.flatMap((p) => (p.endsWith('*') ? [p] : [p, `${p}/*`])),
  });
}

const buildCli = () => buildLocalProgram({ main: join(ROOT, 'functions/cli/main.ts') }, join(DIST, 'cli'));

const rootLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));

/** Exact versions from the lock file, so that a bundle is deployed with what it was tested with. */
function lockedVersion(name) {
  const version = rootLock.packages?.[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

/**
 * The repository's lock file cut down to what `dependencies` need (their transitive closure, resolved the way
 * Node resolves: nested node_modules first, then each parent folder), so that the function's `npm ci` installs
 * exactly the versions the tests ran with. Hand-written because npm has no command that prunes a lock file
 * to a subset of its packages without the network.
 */
export function prunedLock(pkg) {
  const packages = rootLock.packages;
  const kept = new Map();
  const resolve = (from, dep) => {
    for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
      const key = `${base ? `${base}/` : ''}node_modules/${dep}`;
      if (packages[key]) return key;
      if (!base) return undefined;
    }
  };
  const queue = Object.keys(pkg.dependencies).map((dep) => ['', dep, false]);
  while (queue.length > 0) {
    const [from, dep, optional] = queue.shift();
    const key = resolve(from, dep);
    if (!key) {
      if (optional) continue;
      throw new Error(`${dep} (needed by ${from || pkg.name}) is not in package-lock.json`);
    }
    if (kept.has(key)) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = packages[key];
    kept.set(key, entry);
    for (const d of Object.keys(entry.dependencies ?? {})) queue.push([key, d, false]);
    for (const d of Object.keys(entry.optionalDependencies ?? {})) queue.push([key, d, true]);
    for (const d of Object.keys(entry.peerDependencies ?? {})) queue.push([key, d, Boolean(entry.peerDependenciesMeta?.[d]?.optional)]);
  }
  const sorted = [...kept].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    name: pkg.name,
    version: pkg.version,
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies, engines: pkg.engines }, ...Object.fromEntries(sorted) },
  };
}

/**
 * Run by the Cloud Functions buildpack after `npm ci` (the `gcp-build` script): onnxruntime-node ships native
 * binaries for every platform (288 MB); the function runs on linux/x64 only (45 MB).
 */
const PRUNE_NATIVES = `// Removes onnxruntime-node binaries of other platforms (written by scripts/build.mjs).
const { readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const bin = join(__dirname, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
for (const os of readdirSync(bin)) {
  for (const arch of readdirSync(join(bin, os))) {
    if (os !== process.platform || arch !== process.arch) rmSync(join(bin, os, arch), { recursive: true, force: true });
  }
}
`;

/**
 * The entry of a function's own bundle: the `handler` its entry file exports, registered with functions-framework
 * under the function's name (the Terraform key and entry point), as functions/index.ts registers all of them.
 */
const FUNCTION_ENTRY = 'ledgerx-function:';
const functionEntry = {
  name: 'function-entry',
  setup(b) {
    b.onResolve({ filter: /^ledgerx-function:/ }, (args) => ({ path: args.path.slice(FUNCTION_ENTRY.length), namespace: 'function-entry' }));
    b.onLoad({ filter: /.*/, namespace: 'function-entry' }, (args) => ({
      contents: [
        "import { http } from '@google-cloud/functions-framework';",
        `import { handler } from ${JSON.stringify(join(ROOT, 'functions', `${args.path}.ts`))};`,
        `http(${JSON.stringify(args.path)}, handler);`,
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

async function buildFunction(name) {
  const outdir = join(DIST, 'functions', name);
  const result = await build({
    ...common,
    entryPoints: { index: `${FUNCTION_ENTRY}${name}` },
    plugins: [functionEntry],
    outdir,
    external: FUNCTION_EXTERNALS.flatMap((p) => [p, `${p}/*`]),
    metafile: true,
    // No source map: the SDKs make it three times the bundle; names are kept (no identifier minification), so
    // stack traces still read.
    sourcemap: false,
    minifySyntax: true,
    minifyWhitespace: true,
  });
  // The externals this bundle really imports, and nothing else.
  const used = new Set();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imp of input.imports) {
      if (!imp.external) continue;
      const pkg = FUNCTION_EXTERNALS.find((p) => imp.path === p || imp.path.startsWith(`${p}/`));
      if (pkg) used.add(pkg);
    }
  }
  const dependencies = Object.fromEntries([...used].sort().map((p) => [p, lockedVersion(p)]));
  const pkg = {
    name: `ledgerx-${name}`,
    version: rootPackage.version,
    private: true,
    description: `LedgerX ${name} function (bundled by scripts/build.mjs)`,
    type: 'module',
    main: 'index.js',
    engines: rootPackage.engines,
    dependencies,
  };
  if (dependencies['onnxruntime-node']) {
    pkg.scripts = { 'gcp-build': 'node prune-natives.cjs' };
    writeFileSync(join(outdir, 'prune-natives.cjs'), PRUNE_NATIVES);
  }
  writeFileSync(join(outdir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  writeFileSync(join(outdir, 'package-lock.json'), JSON.stringify(prunedLock(pkg), null, 2) + '\n');
  // onnxruntime-node's install script would download CUDA binaries (NOTES.md); the CPU ones ship in the package.
  writeFileSync(join(outdir, '.npmrc'), readFileSync(join(ROOT, '.npmrc')));
  return { name, dependencies };
}

/**
 * Cloud Run jobs: functions/jobs/<name>.ts bundled to dist/jobs/<name>/ (index.js plus a package.json with the
 * native addons it needs), run with `node index.js` in the job's image (cloudbuild.yaml builds it).
 */
export function jobNames() {
  return readdirSync(join(ROOT, 'functions', 'jobs'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/**
 * A job bundle keeps the Google clients external too: google-gax loads its protos and service configs from
 * files next to its own modules (`__dirname`), which a single-file bundle cannot provide. The image installs
 * them with `npm ci` from the bundle's package.json, like the native addons.
 */
export const JOB_EXTERNALS = [...FUNCTION_EXTERNALS, '@google-cloud/firestore', '@google-cloud/storage'];

async function buildJob(name) {
  const outdir = join(DIST, 'jobs', name);
  const result = await build({
    ...common,
    entryPoints: { index: join(ROOT, 'functions', 'jobs', `${name}.ts`) },
    outdir,
    external: JOB_EXTERNALS.flatMap((p) => [p, `${p}/*`]),
    metafile: true,
    sourcemap: false,
    minifySyntax: true,
  });
  const used = new Set();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imp of input.imports) {
      const pkg = imp.external && JOB_EXTERNALS.find((p) => imp.path === p || imp.path.startsWith(`${p}/`));
      if (pkg && pkg !== '@google-cloud/functions-framework') used.add(pkg);
    }
  }
  const dependencies = Object.fromEntries([...used].sort().map((p) => [p, lockedVersion(p)]));
  const pkg = {
    name: `ledgerx-job-${name}`, version: rootPackage.version, private: true, description: `LedgerX ${name} Cloud Run job (bundled by scripts/build.mjs)`,
    type: 'module', main: 'index.js', engines: rootPackage.engines, dependencies, scripts: { start: 'node index.js' },
  };
  writeFileSync(join(outdir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  writeFileSync(join(outdir, 'package-lock.json'), JSON.stringify(prunedLock(pkg), null, 2) + '\n');
  writeFileSync(join(outdir, '.npmrc'), readFileSync(join(ROOT, '.npmrc')));
  return { name: `jobs/${name}`, dependencies };
}

/**
 * The web app (functions/web): Preact components in TSX bundled for browsers into dist/web/app.js, with the
 * static files (index.html, app.css) beside it. No CDN: everything comes from node_modules at build time.
 * Pages other than the invoice table are split into chunks loaded when first shown; the chunks the entry
 * imports are announced in index.html (modulepreload) so that they load beside app.js, not after it. Chunk
 * names are lowercased: the site serves only lowercase flat names (esbuild's hashes are base32 capitals,
 * which lowercase without collisions).
 */
export async function buildWeb() {
  const outdir = join(DIST, 'web');
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: join(ROOT, 'functions/web/app/main.tsx') },
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    write: false,
  });
  const base = (path) => path.slice(path.lastIndexOf('/') + 1);
  const chunks = result.outputFiles.map((f) => base(f.path)).filter((n) => n.startsWith('chunk-') && n.endsWith('.js'));
  const lower = (text) => chunks.reduce((t, n) => t.replaceAll(n, n.toLowerCase()), text);
  mkdirSync(outdir, { recursive: true });
  for (const f of result.outputFiles) writeFileSync(join(outdir, lower(base(f.path))), lower(f.text));
  cpSync(join(ROOT, 'functions/web/static'), outdir, { recursive: true });
  const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint);
  const preloads = entry[1].imports.filter((i) => i.kind === 'import-statement').map((i) => `<link rel="modulepreload" href="/${base(i.path).toLowerCase()}" />`);
  const index = join(outdir, 'index.html');
  writeFileSync(index, readFileSync(index, 'utf8').replace('<script type="module" src="/app.js"></script>', (tag) => [...preloads, tag].join('\n    ')));
}

export async function buildAll({ only } = {}) {
  const started = performance.now();
  // Before the functions: the api function's bundle carries the web app (dist/functions/api/web).
  if (!only || only === 'web' || only === 'functions') await buildWeb();
  if (!only || only === 'cli') {
    rmSync(join(DIST, 'cli'), { recursive: true, force: true });
    await buildCli();
  }
  const built = [];
  if (!only || only === 'functions') {
    rmSync(join(DIST, 'functions'), { recursive: true, force: true });
    mkdirSync(join(DIST, 'functions'), { recursive: true });
    built.push(...(await Promise.all(functionNames().map(buildFunction))));
    if (functionNames().includes('api')) cpSync(join(DIST, 'web'), join(DIST, 'functions', 'api', 'web'), { recursive: true });
  }
  if (!only || only === 'jobs') {
    rmSync(join(DIST, 'jobs'), { recursive: true, force: true });
    built.push(...(await Promise.all(jobNames().map(buildJob))));
  }
  return { ms: Math.round(performance.now() - started), functions: built };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv[2];
  const { ms, functions } = await buildAll({ only });
  const names = functions.map((f) => f.name).join(', ');
  const what = [(!only || only === 'cli') && 'dist/cli', names && `dist/{${names}}`].filter(Boolean).join(' and ');
  process.stderr.write(`build: ${what} in ${ms} ms\n`);
}

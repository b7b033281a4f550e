#!/usr/bin/env node
/**
 * Extracts the Terraform schema of the google and google-beta providers from the jsii assemblies that ship in
 * the npm packages @cdktf/provider-google and @cdktf/provider-google-beta, and writes a compact JSON file that
 * test/infra/provider-schema.test.ts checks every .tf file under infra/ against (no provider download, no
 * `terraform validate`: neither works without network access to the Terraform registry).
 *
 *   node scripts/terraform-schema/extract.mjs                  install both packages into a temporary folder
 *   node scripts/terraform-schema/extract.mjs --from DIR       reuse an install (DIR/node_modules/@cdktf/...)
 *   node scripts/terraform-schema/extract.mjs --out FILE       write elsewhere (default infra/schema/...)
 *
 * The packages are installed with `npm install --prefix <tmpdir> --no-save`: they never become dependencies
 * of this project (about 640 MB unpacked, each with a ~100 MB .jsii). The temporary folder is removed after.
 *
 * How the jsii tells the schema (per resource, data source and the provider itself):
 * - a class per resource (base cdktf.TerraformResource) or data source (cdktf.TerraformDataSource) whose docs
 *   link names the Terraform type (`.../docs/resources/storage_bucket` -> google_storage_bucket);
 * - its initializer's `config` struct: one property per argument or nested block; `optional: true` marks the
 *   optional ones; a property whose type is a struct (`type.fqn`) or a list of structs
 *   (`type.collection.elementtype.fqn`) is a nested block, a single struct meaning max_items = 1;
 * - the Terraform name of each property is the `#anchor` of its "Docs at Terraform Registry" link (22 names
 *   are not the snake_case of the camelCase name, e.g. detectMd5Hash -> detect_md5hash, buildAttribute -> build);
 * - computed-only attributes are the class getters without an `<name>Input` counterpart; their Terraform names
 *   come from the generated JavaScript (`this.getStringAttribute('self_link')`), which is the same package.
 *
 * - enumerated arguments carry their values in the docs (`Possible values: ["A", "B"]`, from Magic Modules).
 *
 * Output format (see `format` in the file): per type, per provider that has it, a schema
 *   { "args": { name: "<mode> <type>[ A|B]" }, "blocks": { name: { "required"?: true, "max"?: 1, ...schema } } }
 * with mode required | optional | computed (computed = read-only, may not be set). A provider whose schema of a
 * type is identical to google's holds the string "google" instead of a copy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CDKTF_VERSION = '16.12.1';
const PROVIDERS = /** @type {const} */ ({
  google: '@cdktf/provider-google',
  'google-beta': '@cdktf/provider-google-beta',
});

const LINK = /Docs at Terraform Registry: \{@link https:\/\/registry\.terraform\.io\/providers\/hashicorp\/(google(?:-beta)?)\/(\d+\.\d+\.\d+)\/docs(?:\/(resources|data-sources)\/([a-z0-9_]+))?(?:#([a-z0-9_]+))?/;
/** Enumerated arguments (Magic Modules enums, validated by the provider): `Possible values: ["A", "B"]`. */
const POSSIBLE_VALUES = /Possible values: \[((?:"[A-Za-z0-9_.-]+"(?:, )?)+)\]/;
const TYPE_LINK = /\{@link https:\/\/registry\.terraform\.io\/providers\/hashicorp\/(google(?:-beta)?)\/(\d+\.\d+\.\d+)\/docs(?:\/(resources|data-sources)\/([a-z0-9_]+))? /;

function parseArgs(argv) {
  const opts = { from: undefined, out: undefined, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--from') opts.from = path.resolve(argv[++i] ?? '');
    else if (a === '--out') opts.out = path.resolve(argv[++i] ?? '');
    else if (a === '--keep') opts.keep = true;
    else throw new Error(`unknown option ${a} (use --from DIR, --out FILE, --keep)`);
  }
  return opts;
}

function install() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerx-tf-schema-'));
  const specs = Object.values(PROVIDERS).map((p) => `${p}@${CDKTF_VERSION}`);
  console.error(`installing ${specs.join(' ')} into a temporary folder (not the project)...`);
  execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', ...specs], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return dir;
}

/** Getter kinds of the generated JavaScript (booleans are typed IResolvable in the jsii). */
const JS_TYPES = { String: 'string', Number: 'number', Boolean: 'bool', List: 'list(string)', NumberList: 'list(number)', StringMap: 'map(string)' };

const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Everything one provider's assembly says about its resources, data sources and provider block. */
function extractProvider(providerName, pkgDir) {
  const pkgJson = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  if (pkgJson.version !== CDKTF_VERSION) throw new Error(`${pkgJson.name} is ${pkgJson.version}, expected ${CDKTF_VERSION}`);
  console.error(`reading ${pkgJson.name}@${pkgJson.version} .jsii...`);
  const types = JSON.parse(readFileSync(path.join(pkgDir, '.jsii'), 'utf8')).types;
  const stats = { anchorNames: 0, renamed: 0, fallbackNames: [], computedFallback: 0 };
  let providerVersion;
  const jsCache = new Map();

  /** Terraform attribute names of a generated class's getters, read from its JavaScript (class-scoped). */
  function jsNames(cls) {
    const file = cls.locationInModule?.filename;
    if (!file) return new Map();
    const jsFile = path.join(pkgDir, file.replace(/^src\//, 'lib/').replace(/\.ts$/, '.js'));
    let byClass = jsCache.get(jsFile);
    if (!byClass) {
      byClass = new Map();
      const js = existsSync(jsFile) ? readFileSync(jsFile, 'utf8') : '';
      const parts = js.split(/^class (\w+) extends /m);
      for (let i = 1; i < parts.length; i += 2) {
        const names = new Map();
        const body = parts[i + 1] ?? '';
        // get selfLink() { return this.getStringAttribute('self_link'); }  (possibly wrapped: cdktf.Fn.tolist(...))
        for (const m of body.matchAll(/get (\w+)\(\) \{\s*return (?:cdktf\.Fn\.\w+\()?this\.get(\w*)Attribute\('([a-z0-9_]+)'\)/g)) {
          names.set(m[1], m[3]);
          if (JS_TYPES[m[2]]) names.set(`@type:${m[1]}`, JS_TYPES[m[2]]);
        }
        // this._effectiveLabels = new cdktf.StringMap(this, "effective_labels"); get buildAttribute() { return this._build; }
        const fields = new Map([...body.matchAll(/this\._(\w+) = new [\w.]+\(this, "([a-z0-9_]+)"/g)].map((m) => [m[1], m[2]]));
        for (const m of body.matchAll(/get (\w+)\(\) \{\s*return this\._(\w+);/g)) if (fields.has(m[2])) names.set(m[1], fields.get(m[2]));
        for (const m of body.matchAll(/static tfResourceType = "([a-z0-9_-]+)"|\.tfResourceType = "([a-z0-9_-]+)"/g)) names.set('@tfResourceType', m[1] ?? m[2]);
        byClass.set(parts[i], names);
      }
      const tail = js.matchAll(/^(\w+)\.tfResourceType = "([a-z0-9_-]+)";/gm);
      for (const m of tail) byClass.get(m[1])?.set('@tfResourceType', m[2]);
      jsCache.set(jsFile, byClass);
    }
    return byClass.get(cls.name) ?? new Map();
  }

  /** Terraform name of a config property: the #anchor of its registry link, else snake_case (counted). */
  function tfName(prop, owner) {
    const m = LINK.exec(JSON.stringify(prop.docs ?? {}).replace(/\\n/g, ' '));
    if (m?.[5]) {
      providerVersion ??= m[2];
      stats.anchorNames++;
      if (m[5] !== snake(prop.name)) stats.renamed++;
      return m[5];
    }
    stats.fallbackNames.push(`${owner}.${prop.name}`);
    return snake(prop.name);
  }

  /** A struct behind a property type: { fqn, single } or null for a plain attribute. */
  function structOf(type) {
    if (!type) return null;
    if (type.fqn && types[type.fqn]?.datatype) return { fqn: type.fqn, single: true };
    const el = type.collection?.elementtype;
    if (el?.fqn && types[el.fqn]?.datatype) return { fqn: el.fqn, single: false };
    for (const u of type.union?.types ?? []) {
      const s = structOf(u);
      if (s) return s;
    }
    return null;
  }

  /** Terraform-ish type of an attribute (informative, and tells object-typed attributes from primitives). */
  function typeName(type) {
    if (!type) return 'any';
    if (type.primitive) return type.primitive === 'boolean' ? 'bool' : type.primitive === 'json' ? 'any' : type.primitive;
    if (type.union) {
      const real = type.union.types.filter((u) => u.fqn !== 'cdktf.IResolvable');
      return real.length === 1 ? typeName(real[0]) : real.length === 0 ? 'any' : 'any';
    }
    if (type.collection) {
      const inner = typeName(type.collection.elementtype);
      return type.collection.kind === 'map' ? `map(${inner})` : `list(${inner})`;
    }
    switch (type.fqn) {
      case 'cdktf.IResolvable': return 'any';
      case 'cdktf.StringMap': return 'map(string)';
      case 'cdktf.NumberMap': return 'map(number)';
      case 'cdktf.BooleanMap': return 'map(bool)';
      case 'cdktf.AnyMap': case 'cdktf.AnythingMap': return 'map(any)';
      case 'cdktf.StringMapList': return 'list(map(string))';
      case 'cdktf.NumberMapList': return 'list(map(number))';
      case 'cdktf.BooleanMapList': return 'list(map(bool))';
      case 'cdktf.AnyMapList': return 'list(map(any))';
      default: {
        const t = types[type.fqn];
        if (t?.base === 'cdktf.ComplexList') return 'list(object)';
        if (t?.base === 'cdktf.ComplexObject' || t?.datatype) return 'object';
        return 'any';
      }
    }
  }

  /** Getters of a generated class that have no `<name>Input` counterpart: read-only (computed) attributes. */
  function computedOf(cls, settable) {
    if (!cls) return {};
    const own = new Set((cls.properties ?? []).map((p) => p.name));
    const names = jsNames(cls);
    const out = {};
    for (const p of cls.properties ?? []) {
      if (p.static || !p.immutable || p.name.endsWith('Input') || own.has(`${p.name}Input`) || p.name === 'internalValue') continue;
      let name = names.get(p.name);
      if (!name) {
        stats.computedFallback++;
        name = snake(p.name);
      }
      if (settable.has(name)) continue;
      const type = typeName(p.type);
      out[name] = `computed ${type === 'any' ? (names.get(`@type:${p.name}`) ?? type) : type}`;
    }
    return out;
  }

  /** Schema of a config struct: its arguments and nested blocks (recursively), plus computed attributes. */
  function schemaOf(structFqn, readerFqn, depth = 0) {
    if (depth > 32) throw new Error(`nesting too deep at ${structFqn}`);
    const struct = types[structFqn];
    const args = {};
    const blocks = {};
    for (const prop of struct.properties ?? []) {
      const name = tfName(prop, struct.name);
      const nested = structOf(prop.type);
      if (nested) {
        const reader = `${nested.fqn}OutputReference`;
        const block = {};
        if (!prop.optional) block.required = true;
        if (nested.single) block.max = 1;
        Object.assign(block, schemaOf(nested.fqn, types[reader] ? reader : undefined, depth + 1));
        blocks[name] = block;
      } else {
        const values = POSSIBLE_VALUES.exec(`${prop.docs?.summary ?? ''} ${prop.docs?.remarks ?? ''}`);
        const allowed = values ? ` ${JSON.parse(`[${values[1]}]`).join('|')}` : '';
        args[name] = `${prop.optional ? 'optional' : 'required'} ${typeName(prop.type)}${allowed}`;
      }
    }
    const settable = new Set([...Object.keys(args), ...Object.keys(blocks)]);
    Object.assign(args, computedOf(readerFqn ? types[readerFqn] : undefined, settable));
    const out = {};
    if (Object.keys(args).length) out.args = sortKeys(args);
    if (Object.keys(blocks).length) out.blocks = sortKeys(blocks);
    return out;
  }

  const result = { resource: {}, data: {}, provider: undefined };
  for (const cls of Object.values(types)) {
    if (cls.kind !== 'class') continue;
    const kind = cls.base === 'cdktf.TerraformResource' ? 'resource' : cls.base === 'cdktf.TerraformDataSource' ? 'data' : cls.base === 'cdktf.TerraformProvider' ? 'provider' : null;
    if (!kind) continue;
    const link = TYPE_LINK.exec(cls.docs?.summary ?? '');
    if (!link) throw new Error(`${cls.fqn}: no registry link in its docs`);
    if (link[1] !== providerName) throw new Error(`${cls.fqn}: links to ${link[1]}, expected ${providerName}`);
    providerVersion ??= link[2];
    if (link[2] !== providerVersion) throw new Error(`${cls.fqn}: provider version ${link[2]} != ${providerVersion}`);
    const configFqn = cls.initializer?.parameters?.find((p) => p.name === 'config')?.type?.fqn;
    if (!configFqn || !types[configFqn]) throw new Error(`${cls.fqn}: no config struct`);
    const schema = schemaOf(configFqn, cls.fqn);
    if (kind === 'provider') {
      result.provider = schema;
      continue;
    }
    const expected = kind === 'resource' ? 'resources' : 'data-sources';
    if (link[3] !== expected || !link[4]) throw new Error(`${cls.fqn}: link ${link[0]} is not a ${expected} page`);
    // Most links name the type without its prefix (docs/resources/storage_bucket); a few beta data sources
    // carry it (docs/data-sources/google_access_approval_folder_service_account).
    const tfType = link[4].startsWith('google_') ? link[4] : `google_${link[4]}`;
    const fromJs = jsNames(cls).get('@tfResourceType');
    if (fromJs && fromJs !== tfType) throw new Error(`${cls.fqn}: docs say ${tfType}, tfResourceType says ${fromJs}`);
    if (result[kind][tfType]) throw new Error(`${tfType} (${kind}) defined twice in ${providerName}`);
    result[kind][tfType] = schema;
  }
  if (!result.provider) throw new Error(`${providerName}: no provider class`);
  console.error(`${providerName}: ${Object.keys(result.resource).length} resources, ${Object.keys(result.data).length} data sources; ` +
    `${stats.anchorNames} names from registry anchors (${stats.renamed} differ from snake_case), ` +
    `${stats.fallbackNames.length} from snake_case (no anchor: ${stats.fallbackNames.join(', ') || '-'}), ` +
    `${stats.computedFallback} computed names from snake_case`);
  return { ...result, providerVersion, package: `${pkgJson.name}@${pkgJson.version}` };
}

function sortKeys(obj) {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** { google: schema, "google-beta": schema | "google" } for each type either provider has. */
function merge(byProvider, kind) {
  const names = [...new Set(Object.values(byProvider).flatMap((p) => Object.keys(p[kind])))].sort();
  return Object.fromEntries(names.map((name) => {
    const g = byProvider.google[kind][name];
    const b = byProvider['google-beta'][kind][name];
    const entry = {};
    if (g) entry.google = g;
    if (b) entry['google-beta'] = g && JSON.stringify(g) === JSON.stringify(b) ? 'google' : b;
    return [name, entry];
  }));
}

/** Compact JSON, one line per resource / data source so that a regeneration diffs per type. */
function render(doc) {
  const head = Object.entries(doc).filter(([k]) => k !== 'resource' && k !== 'data').map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  const section = (k) => `${JSON.stringify(k)}:{\n${Object.entries(doc[k]).map(([n, v]) => `${JSON.stringify(n)}:${JSON.stringify(v)}`).join(',\n')}\n}`;
  return `{${head.join(',\n')},\n${section('resource')},\n${section('data')}}\n`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const dir = opts.from ?? install();
  try {
    const byProvider = {};
    for (const [name, pkg] of Object.entries(PROVIDERS)) {
      const pkgDir = path.join(dir, 'node_modules', pkg);
      if (!existsSync(path.join(pkgDir, '.jsii'))) throw new Error(`${pkg} not installed under ${dir}`);
      byProvider[name] = extractProvider(name, pkgDir);
    }
    const version = byProvider.google.providerVersion;
    if (byProvider['google-beta'].providerVersion !== version) throw new Error('google and google-beta packages are for different provider versions');
    const doc = {
      about: `Terraform schema of the google and google-beta providers ${version}, extracted from ${byProvider.google.package} and ` +
        `${byProvider['google-beta'].package} by scripts/terraform-schema/extract.mjs. Generated: do not edit; regenerate (infra/README.md).`,
      format: {
        entry: 'resource|data -> type -> provider (google, google-beta) -> schema; a provider present only as the string "google" has the same schema as google; a provider absent does not have the type',
        schema: '{ args?: { name: "<mode> <type>[ <allowed values>]" }, blocks?: { name: { required?: true, max?: 1, args?, blocks? } } }',
        mode: 'required | optional | computed (read-only: set by the provider, may not be written in configuration)',
        type: 'string | number | bool | any | list(T) | map(T) | object | list(object) (lists and sets both read list)',
        'allowed values': 'A|B|C: the values the provider accepts (its documented "Possible values"; for a list, of each element); absent when free',
        blocks: 'nested blocks; required: at least one must be written; max: 1 when at most one is allowed, absent when unknown (a list or set)',
      },
      provider_version: version,
      packages: Object.fromEntries(Object.entries(byProvider).map(([n, p]) => [n, p.package])),
      provider: {
        google: byProvider.google.provider,
        'google-beta': JSON.stringify(byProvider.google.provider) === JSON.stringify(byProvider['google-beta'].provider) ? 'google' : byProvider['google-beta'].provider,
      },
      resource: merge(byProvider, 'resource'),
      data: merge(byProvider, 'data'),
    };
    const out = opts.out ?? path.join(REPO, 'infra/schema', `google-provider-${version}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    const text = render(doc);
    JSON.parse(text);
    writeFileSync(out, text);
    const count = (k) => Object.keys(doc[k]).length;
    console.error(`wrote ${path.relative(process.cwd(), out)}: ${count('resource')} resources, ${count('data')} data sources, ${(text.length / 1e6).toFixed(1)} MB`);
  } finally {
    if (!opts.from && !opts.keep) rmSync(dir, { recursive: true, force: true });
    else if (!opts.from) console.error(`kept the install in ${dir}`);
  }
}

main();

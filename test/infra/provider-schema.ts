/**
 * Checks Terraform (as parsed by @cdktf/hcl2json) against the google / google-beta provider schema extracted
 * from the cdktf provider packages (infra/schema/google-provider-*.json, written by
 * scripts/terraform-schema/extract.mjs). What `terraform validate` would say about the shape of the
 * configuration, without downloading a provider: unknown resource or data source types, unknown arguments and
 * blocks, computed-only attributes written, missing required arguments and blocks, block syntax where the
 * schema has an argument and the reverse, too many blocks where at most one is allowed, literal values outside
 * an enumerated argument's allowed values, and attributes read from a google resource (`google_x.y.attr`) that
 * the type does not have.
 *
 * hcl2json renders every block as an array of bodies (`cors { }` -> `cors: [{...}]`), an argument as its value
 * (`labels = {}` -> an object, an expression -> "${...}"), and `dynamic "x" { content { } }` under the body's
 * `dynamic` key. An argument written as a list of objects (`x = [{...}]`) looks exactly like a block there, so
 * that one spelling of a block cannot be told from the argument syntax; every other mix-up can.
 */
import { readFileSync } from 'node:fs';

export type ProviderName = 'google' | 'google-beta';
export type Kind = 'resource' | 'data';

/** `{ args: { name: "<required|optional|computed> <type>[ A|B|C]" }, blocks: { name: BlockSchema } }` (A|B|C: the allowed values) */
export interface Schema {
  args?: Record<string, string>;
  blocks?: Record<string, BlockSchema>;
}
export interface BlockSchema extends Schema {
  required?: true;
  max?: 1;
}
type PerProvider = Partial<Record<ProviderName, Schema | ProviderName>>;
interface ExtractFile {
  provider_version: string;
  provider: PerProvider;
  resource: Record<string, PerProvider>;
  data: Record<string, PerProvider>;
}

export interface ProviderSchemas {
  version: string;
  /** The schema of a type in one provider, or undefined when that provider has no such type. */
  get(kind: Kind | 'provider', type: string, provider: ProviderName): Schema | undefined;
  /** The providers that have a type. */
  providersOf(kind: Kind, type: string): ProviderName[];
}

export function loadProviderSchemas(file: string): ProviderSchemas {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as ExtractFile;
  const resolve = (entry: PerProvider | undefined, provider: ProviderName): Schema | undefined => {
    const v = entry?.[provider];
    return typeof v === 'string' ? resolve(entry, v) : v;
  };
  return {
    version: doc.provider_version,
    get: (kind, type, provider) => resolve(kind === 'provider' ? doc.provider : doc[kind][type], provider),
    providersOf: (kind, type) => Object.keys(doc[kind][type] ?? {}) as ProviderName[],
  };
}

export type FindingCode =
  | 'unknown-type'
  | 'unknown-argument'
  | 'computed-argument'
  | 'unknown-block'
  | 'missing-argument'
  | 'missing-block'
  | 'block-given-as-argument'
  | 'argument-given-as-block'
  | 'too-many-blocks'
  | 'value-not-allowed'
  | 'unknown-attribute-reference';

export interface Finding {
  /** `file:line`, the line of the resource / data / provider header when found. */
  where: string;
  /** `google_storage_bucket.inbox`, `data.google_project.this` or `provider.google`. */
  address: string;
  /** Where inside the body: `build_config.source.storage_source`, empty at the top level. */
  path: string;
  code: FindingCode;
  message: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const asObject = (v: unknown): Json => (isObject(v) ? v : {});
/** hcl2json renders every block as an array of bodies (blocks can repeat). */
const bodies = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);
/** How hcl2json renders a block: a non-empty array of objects. */
const looksLikeBlock = (v: unknown): boolean => Array.isArray(v) && v.length > 0 && v.every(isObject);

/** Meta-arguments Terraform itself handles (https://developer.hashicorp.com/terraform/language/meta-arguments). */
const META_ARGS: Record<Kind, Set<string>> = {
  resource: new Set(['count', 'for_each', 'provider', 'depends_on']),
  data: new Set(['count', 'for_each', 'provider', 'depends_on']),
};
const META_BLOCKS: Record<Kind, Set<string>> = {
  resource: new Set(['lifecycle', 'provisioner', 'connection']),
  data: new Set(['lifecycle']),
};
const LIFECYCLE: Schema = {
  args: {
    create_before_destroy: 'optional bool',
    prevent_destroy: 'optional bool',
    ignore_changes: 'optional any',
    replace_triggered_by: 'optional list(any)',
  },
  blocks: {
    precondition: { args: { condition: 'required bool', error_message: 'required string' } },
    postcondition: { args: { condition: 'required bool', error_message: 'required string' } },
  },
};

/** Types whose values may be written as objects or lists of objects (`x = [{...}]`). */
function acceptsObjects(type: string): boolean {
  return type === 'any' || type.includes('object') || type.startsWith('list(map(') || type.includes('(any)');
}

interface Context {
  findings: Finding[];
  where: string;
  address: string;
}

/** Checks one body (a resource's, or a nested block's) against its schema, recursively. */
function checkBody(body: Json, schema: Schema, path: string, ctx: Context, meta?: { args: Set<string>; blocks: Set<string> }): void {
  const report = (code: FindingCode, message: string) => ctx.findings.push({ where: ctx.where, address: ctx.address, path, code, message });
  const args = schema.args ?? {};
  const blocks = schema.blocks ?? {};
  const dynamic = asObject(body.dynamic);
  const sub = (name: string) => (path ? `${path}.${name}` : name);

  for (const [name, value] of Object.entries(body)) {
    if (name === 'dynamic' && !(name in args) && !(name in blocks)) continue;
    if (meta?.args.has(name)) continue;
    if (meta?.blocks.has(name)) {
      if (name === 'lifecycle') for (const b of bodies(value)) checkBody(b, LIFECYCLE, sub(name), ctx);
      continue;
    }
    const arg = args[name];
    const block = blocks[name];
    if (arg !== undefined) {
      const [mode = '', type = 'any', allowed] = arg.split(' ');
      if (mode === 'computed') {
        report('computed-argument', `"${name}" is computed by the provider (read-only): it cannot be set`);
      } else if (looksLikeBlock(value) && !acceptsObjects(type)) {
        report('argument-given-as-block', `"${name}" is an argument (${type}): write ${name} = ..., not a ${name} { } block`);
      } else if (allowed) {
        // Only literals can be checked; "" is accepted by the provider's enum validation for optional fields.
        const values = allowed.split('|');
        const literals = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && !v.includes('${'));
        for (const v of literals.filter((l) => l !== '' && !values.includes(l))) {
          report('value-not-allowed', `"${name}" = "${v}" is not one of ${values.join(', ')}`);
        }
      }
    } else if (block !== undefined) {
      if (!looksLikeBlock(value)) {
        report('block-given-as-argument', `"${name}" is a block: write ${name} { ... } (or dynamic "${name}"), not ${name} = ...`);
        continue;
      }
      const list = bodies(value);
      if (block.max === 1 && list.length > 1) report('too-many-blocks', `at most one "${name}" block is allowed, found ${list.length}`);
      for (const b of list) checkBody(b, block, sub(name), ctx);
    } else {
      report(looksLikeBlock(value) ? 'unknown-block' : 'unknown-argument',
        `${looksLikeBlock(value) ? 'block' : 'argument'} "${name}" is not in the schema${suggest(name, [...Object.keys(args), ...Object.keys(blocks)])}`);
    }
  }

  // dynamic "x" { for_each = ..., iterator = ..., content { ... } }: the content is a body of block x.
  for (const [name, dynBodies] of Object.entries(dynamic)) {
    const block = blocks[name];
    if (!block) {
      report(name in args ? 'argument-given-as-block' : 'unknown-block',
        name in args ? `"${name}" is an argument: it cannot be generated with dynamic "${name}"` : `dynamic block "${name}" is not in the schema${suggest(name, Object.keys(blocks))}`);
      continue;
    }
    for (const d of bodies(dynBodies)) for (const content of bodies(d.content)) checkBody(content, block, sub(name), ctx);
  }

  for (const [name, arg] of Object.entries(args)) {
    if (arg.startsWith('required ') && (body[name] === undefined || body[name] === null)) {
      report('missing-argument', `required argument "${name}" is missing`);
    }
  }
  for (const [name, block] of Object.entries(blocks)) {
    if (block.required && bodies(body[name]).length === 0 && dynamic[name] === undefined) {
      report('missing-block', `required block "${name}" is missing`);
    }
  }
}

function suggest(name: string, known: string[]): string {
  const close = known.filter((k) => k.includes(name) || name.includes(k) || distance(k, name) <= 2).slice(0, 3);
  return close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** `provider = google-beta` (hcl2json: "${google-beta}" or "${google-beta.alias}") selects google-beta. */
function providerOf(body: Json): ProviderName {
  const p = typeof body.provider === 'string' ? body.provider.replace(/^\$\{|\}$/g, '') : 'google';
  return p.split('.')[0] === 'google-beta' ? 'google-beta' : 'google';
}

function lineOf(text: string, pattern: RegExp): number {
  const m = pattern.exec(text);
  return m ? text.slice(0, m.index).split('\n').length : 0;
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

interface Declared {
  kind: Kind;
  type: string;
  provider: ProviderName;
}
const dirOf = (file: string) => file.replace(/[^/\\]*$/, '');

export interface TfFile {
  /** Path shown in findings (repository-relative). */
  file: string;
  text: string;
  json: Json;
}

/** Every finding of every google resource, data source and provider block in the given files. */
export function checkAgainstSchema(files: TfFile[], schemas: ProviderSchemas): Finding[] {
  const findings: Finding[] = [];
  /** Declared google resources and data sources by `directory|address`, for the reference check. */
  const declared = new Map<string, Declared>();

  for (const { file, text, json } of files) {
    for (const kind of ['resource', 'data'] as const) {
      for (const [type, byName] of Object.entries(asObject(json[kind]))) {
        if (!type.startsWith('google_')) continue;
        for (const [name, list] of Object.entries(asObject(byName))) {
          for (const body of bodies(list)) {
            const provider = providerOf(body);
            const address = kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
            const where = `${file}:${lineOf(text, new RegExp(`^\\s*${kind}\\s+"${escape(type)}"\\s+"${escape(name)}"`, 'm'))}`;
            declared.set(`${dirOf(file)}|${address}`, { kind, type, provider });
            const schema = schemas.get(kind, type, provider);
            if (!schema) {
              const has = schemas.providersOf(kind, type);
              findings.push({
                where, address, path: '', code: 'unknown-type',
                message: has.length
                  ? `${type} is not in ${provider} ${schemas.version}, only in ${has.join(', ')}: set provider = ${has[0]}`
                  : `${kind === 'data' ? 'data source' : 'resource type'} ${type} is in neither google nor google-beta ${schemas.version}`,
              });
              continue;
            }
            checkBody(body, schema, '', { findings, where, address }, { args: META_ARGS[kind], blocks: META_BLOCKS[kind] });
          }
        }
      }
    }
    for (const [name, list] of Object.entries(asObject(json.provider))) {
      if (name !== 'google' && name !== 'google-beta') continue;
      for (const body of bodies(list)) {
        const where = `${file}:${lineOf(text, new RegExp(`^\\s*provider\\s+"${escape(name)}"`, 'm'))}`;
        checkBody(body, schemas.get('provider', '', name)!, '', { findings, where, address: `provider.${name}` });
      }
    }
  }

  findings.push(...referenceFindings(files, schemas, declared));
  return findings;
}

/**
 * `google_x.name.attr`, `google_x.name[key].attr` and `data.google_x.name.attr` read in any expression: attr
 * must be an argument, block or computed attribute of the type (in the provider the resource uses). Only
 * addresses declared in the same directory (module) are checked; `for` expressions over a resource
 * (`for k, t in google_x.y : t.id`) are left alone.
 */
function referenceFindings(files: TfFile[], schemas: ProviderSchemas, declared: Map<string, Declared>): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  const ref = /(?<![\w.-])((?:data\.)?google_[a-z0-9_]+\.[a-zA-Z_][\w-]*)((?:\[[^\]]*\])?)\.([a-z_][a-z0-9_]*)/g;
  const visit = (v: unknown, file: string, text: string): void => {
    if (Array.isArray(v)) v.forEach((x) => visit(x, file, text));
    else if (isObject(v)) Object.values(v).forEach((x) => visit(x, file, text));
    else if (typeof v === 'string' && v.includes('${')) {
      for (const m of v.matchAll(ref)) {
        const [text0, address = '', , attr = ''] = m;
        const target = declared.get(`${dirOf(file)}|${address}`);
        const schema = target && schemas.get(target.kind, target.type, target.provider);
        if (!target || !schema || attr in (schema.args ?? {}) || attr in (schema.blocks ?? {})) continue;
        if (seen.has(`${file}|${address}.${attr}`)) continue;
        seen.add(`${file}|${address}.${attr}`);
        out.push({
          where: `${file}:${lineOf(text, new RegExp(`${escape(address)}(\\[[^\\]]*\\])?\\.${attr}\\b`))}`,
          address,
          path: '',
          code: 'unknown-attribute-reference',
          message: `${text0} reads "${attr}", which ${target.type} does not have${suggest(attr, [...Object.keys(schema.args ?? {}), ...Object.keys(schema.blocks ?? {})])}`,
        });
      }
    }
  };
  for (const { file, text, json } of files) visit(json, file, text);
  return out;
}

/** One line per finding, for test failure output. */
export const formatFinding = (f: Finding): string => `${f.where} ${f.address}${f.path ? ` ${f.path}` : ''}: [${f.code}] ${f.message}`;

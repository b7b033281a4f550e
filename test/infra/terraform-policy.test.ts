/**
 * Policy checks on the Terraform under infra/ and on cloudbuild.yaml, without a Terraform binary:
 * every .tf file is parsed with @cdktf/hcl2json (HCL2 -> JSON through HashiCorp's own parser compiled to
 * wasm) and the JSON is checked against the house rules (STYLE.md item 8). Each rule is a function that
 * returns its violations, so the same rules are also run on a deliberately bad snippet to show they bite.
 *
 * No YAML parser is installed (neither `yaml` nor `js-yaml` is in node_modules), so cloudbuild.yaml gets a
 * light structural check on its text: step ids in order, required settings inside the right steps.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from '@cdktf/hcl2json';
import { Topics } from '../../functions/core/messages.js';
import { InvoiceRecordSchema } from '../../functions/core/invoice/record.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INFRA = path.join(REPO, 'infra');
const MODULE = path.join(INFRA, 'modules/pipeline');
const CLOUDBUILD = path.join(REPO, 'cloudbuild.yaml');

/** The deployed functions: file name = entry point = Terraform key (ARCHITECTURE.md). */
const FUNCTIONS = ['ocr', 'features', 'inference', 'webhooks', 'upload-url', 'api', 'drift-check', 'retrain', 'batch'];

type Json = Record<string, unknown>;
interface TfFile { file: string; text: string; json: Json }
interface Resource { type: string; name: string; body: Json; file: string }

function listTfFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return entry === '.terraform' ? [] : listTfFiles(full);
    return entry.endsWith('.tf') ? [full] : [];
  });
}

const asObject = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
/** hcl2json renders every block as an array of bodies (blocks can repeat). */
const blocks = (v: unknown): Json[] => (Array.isArray(v) ? v.map(asObject) : v === undefined ? [] : [asObject(v)]);
const rel = (file: string) => path.relative(REPO, file);

function resourcesOf(files: TfFile[]): Resource[] {
  return files.flatMap(({ file, json }) =>
    Object.entries(asObject(json.resource)).flatMap(([type, byName]) =>
      Object.entries(asObject(byName)).flatMap(([name, bodies]) => blocks(bodies).map((body) => ({ type, name, body, file }))),
    ),
  );
}

function localsOf(files: TfFile[]): Json {
  return Object.assign({}, ...files.flatMap(({ json }) => blocks(json.locals)));
}

/** Every block named `name` in a body, including the `content` of `dynamic "name"` blocks. */
function nestedBlocks(body: Json, name: string): Json[] {
  const direct = blocks(body[name]);
  const dynamic = blocks(asObject(body.dynamic)[name]).flatMap((d) => blocks(d.content));
  return [...direct, ...dynamic];
}

// ------------------------------------------------------------------------------------------------- rules

function providerPinViolations(files: TfFile[]): string[] {
  const out: string[] = [];
  for (const { file, json } of files) {
    for (const tf of blocks(json.terraform)) {
      for (const rp of blocks(tf.required_providers)) {
        for (const [name, spec] of Object.entries(rp)) {
          const version = asObject(spec).version;
          if (typeof version !== 'string' || !/^~>\s*\d+\.\d+(\.\d+)?$/.test(version)) {
            out.push(`${rel(file)}: provider ${name} is not pinned to one major (~> X.Y): ${String(version)}`);
          }
        }
      }
    }
  }
  return out;
}

function variableViolations(files: TfFile[]): string[] {
  const out: string[] = [];
  for (const { file, json } of files) {
    for (const [name, bodies] of Object.entries(asObject(json.variable))) {
      for (const body of blocks(bodies)) {
        if (typeof body.type !== 'string') out.push(`${rel(file)}: variable ${name} has no type`);
        if (typeof body.description !== 'string' || body.description.trim().length < 10) {
          out.push(`${rel(file)}: variable ${name} has no real description`);
        }
      }
    }
  }
  return out;
}

/**
 * The one public principal the module may name: `allUsers` as run.invoker of the api function, in the resource
 * `google_cloud_run_v2_service_iam_member.api_public_invoker` of iam.tf, with its reason in the comment above it.
 * Why: browsers (Google ID tokens) and machines (API keys) cannot carry an IAM identity Cloud Run accepts, so the
 * api authenticates and authorizes every request itself (functions/api/guard.ts; the route x role test proves it).
 */
const PUBLIC_EXCEPTION = { file: 'infra/modules/pipeline/iam.tf', type: 'google_cloud_run_v2_service_iam_member', name: 'api_public_invoker' };

function publicPrincipalViolations(files: { file: string; text: string }[], resources: Resource[] = []): string[] {
  const allowed = resources.filter(
    (r) => rel(r.file) === PUBLIC_EXCEPTION.file && r.type === PUBLIC_EXCEPTION.type && r.name === PUBLIC_EXCEPTION.name &&
      r.body.member === 'allUsers' && r.body.role === 'roles/run.invoker' && r.body.name === '${google_cloudfunctions2_function.http["api"].name}',
  );
  return files.flatMap(({ file, text }) => {
    const hits = text.match(/allUsers|allAuthenticatedUsers/g) ?? [];
    const permitted = rel(file) === PUBLIC_EXCEPTION.file && allowed.length === 1 ? 1 : 0;
    const allUsersHits = hits.filter((h) => h === 'allUsers').length;
    if (hits.length === 0) return [];
    if (hits.length === allUsersHits && allUsersHits === permitted) return [];
    return [`${rel(file)} names a public principal`];
  });
}

function authoritativeIamViolations(resources: Resource[], files: TfFile[]): string[] {
  const parsed = resources.filter((r) => /_iam_(binding|policy)$/.test(r.type)).map((r) => `${rel(r.file)}: ${r.type}.${r.name}`);
  const textual = files.filter(({ text }) => /resource\s+"[a-z0-9_]+_iam_(binding|policy)"/.test(text)).map(({ file }) => `${rel(file)}: authoritative IAM resource`);
  return [...parsed, ...textual];
}

function bucketViolations(resources: Resource[]): string[] {
  return resources.filter((r) => r.type === 'google_storage_bucket').flatMap((r) => [
    ...(r.body.public_access_prevention === 'enforced' ? [] : [`bucket ${r.name}: public_access_prevention is not "enforced"`]),
    ...(r.body.uniform_bucket_level_access === true ? [] : [`bucket ${r.name}: uniform_bucket_level_access is not true`]),
  ]);
}

function subscriptionViolations(resources: Resource[]): string[] {
  return resources.filter((r) => r.type === 'google_pubsub_subscription').flatMap((r) => {
    const out: string[] = [];
    const dlp = blocks(r.body.dead_letter_policy);
    const retry = blocks(r.body.retry_policy);
    if (dlp.length !== 1 || typeof dlp[0]?.dead_letter_topic !== 'string' || dlp[0]?.max_delivery_attempts === undefined) {
      out.push(`subscription ${r.name}: no dead_letter_policy with topic and max_delivery_attempts`);
    } else if (dlp[0]?.dead_letter_topic === r.body.topic) {
      out.push(`subscription ${r.name}: dead-letters into its own topic (a loop)`);
    }
    if (retry.length !== 1 || !retry[0]?.minimum_backoff || !retry[0]?.maximum_backoff) {
      out.push(`subscription ${r.name}: no retry_policy with exponential backoff bounds`);
    }
    return out;
  });
}

function eventTriggerViolations(resources: Resource[]): string[] {
  const out: string[] = [];
  for (const r of resources) {
    if (r.type === 'google_cloudfunctions_function') out.push(`${r.name}: gen-1 function resource`);
    if (r.type !== 'google_cloudfunctions2_function') continue;
    for (const trigger of nestedBlocks(r.body, 'event_trigger')) {
      if (trigger.retry_policy !== 'RETRY_POLICY_RETRY') out.push(`function ${r.name}: event trigger without RETRY_POLICY_RETRY`);
    }
  }
  return out;
}

/** The grant tables of iam.tf: every `<kind>_grants` local, row key -> row ({ member, <resource>, role, reason }). */
function grantTables(locals: Json): Record<string, Record<string, Json>> {
  return Object.fromEntries(Object.entries(locals).filter(([name]) => name.endsWith('_grants'))
    .map(([name, rows]) => [name, Object.fromEntries(Object.entries(asObject(rows)).map(([key, row]) => [key, asObject(row)]))]));
}

/** The table a table-driven IAM resource iterates over (`for_each = local.x_grants` or a filter of it). */
const tableOf = (r: Resource): string | undefined => (typeof r.body.for_each === 'string' ? /local\.(\w+_grants)\b/.exec(r.body.for_each)?.[1] : undefined);

/**
 * Every grant says why. A `*_iam_member` resource is either a table resource (for_each over one
 * `local.<kind>_grants` table, role and member taken from the row) whose every row names a member and a role
 * and gives a reason, or a resource of its own with a comment on the line right above it.
 */
function iamReasonViolations(resources: Resource[], tables: Record<string, Record<string, Json>>, files: { file: string; text: string }[]): string[] {
  const out: string[] = [];
  const members = resources.filter((r) => r.type.endsWith('_iam_member'));
  const tableResources = members.filter((r) => tableOf(r) !== undefined);
  for (const r of tableResources) {
    const table = tableOf(r)!;
    if (!tables[table]) out.push(`${r.type}.${r.name}: iterates over local.${table}, which is not a table of grants`);
    if (r.body.role !== '${each.value.role}') out.push(`${r.type}.${r.name}: role does not come from the table row`);
    if (r.body.member !== '${local.principals[each.value.member]}') out.push(`${r.type}.${r.name}: member does not come from the table row`);
  }
  for (const [table, rows] of Object.entries(tables)) {
    if (!tableResources.some((r) => tableOf(r) === table)) out.push(`local.${table} feeds no IAM member resource`);
    for (const [key, row] of Object.entries(rows)) {
      if (typeof row.member !== 'string' || row.member === '') out.push(`local.${table}.${key} names no member`);
      if (typeof row.role !== 'string' || !row.role.startsWith('roles/')) out.push(`local.${table}.${key} names no role`);
      if (typeof row.reason !== 'string' || row.reason.trim().length < 10) out.push(`local.${table}.${key} gives no reason`);
    }
  }
  const own = new Set(members.filter((r) => tableOf(r) === undefined).map((r) => `${r.type}.${r.name}`));
  for (const { file, text } of files) {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const m = /^\s*resource\s+"([a-z0-9_]+_iam_member)"\s+"([^"]+)"/.exec(line);
      if (!m || !own.has(`${m[1]}.${m[2]}`)) return;
      const above = (lines[i - 1] ?? '').trim();
      if (!(above.startsWith('#') || above.startsWith('//') || above.endsWith('*/'))) {
        out.push(`${rel(file)}:${i + 1} ${m[1]}.${m[2]} is not a table resource and has no comment above it`);
      }
    });
  }
  return out;
}

/** `moved` blocks must land on a row of a grant table (so no member is destroyed and re-created). */
function movedViolations(files: TfFile[], resources: Resource[], tables: Record<string, Record<string, Json>>): string[] {
  const out: string[] = [];
  const declared = new Set(resources.map((r) => `${r.type}.${r.name}`));
  for (const moved of files.flatMap((f) => blocks(f.json.moved))) {
    const from = String(moved.from).replace(/^\$\{|\}$/g, '');
    const to = String(moved.to).replace(/^\$\{|\}$/g, '');
    if (declared.has(from.replace(/\[.*$/, ''))) out.push(`moved from ${from}: that resource is still declared`);
    const m = /^([a-z0-9_]+)\.([a-z0-9_]+)\["([^"]+)"\]$/.exec(to);
    const target = m && resources.find((r) => r.type === m[1] && r.name === m[2]);
    const table = target && tableOf(target);
    if (!m || !table || !tables[table]?.[m[3]!]) out.push(`moved to ${to}: not a row of a grant table`);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------- tests

let files: TfFile[] = [];
let resources: Resource[] = [];
let moduleFiles: TfFile[] = [];
let moduleLocals: Json = {};
const parseFailures: string[] = [];

beforeAll(async () => {
  const paths = listTfFiles(INFRA);
  for (const file of paths) {
    const text = readFileSync(file, 'utf8');
    try {
      files.push({ file, text, json: await parse(path.basename(file), text) });
    } catch (err) {
      parseFailures.push(`${rel(file)}: ${(err as Error).message}`);
    }
  }
  files = files.sort((a, b) => a.file.localeCompare(b.file));
  resources = resourcesOf(files);
  moduleFiles = files.filter((f) => f.file.startsWith(MODULE + path.sep));
  moduleLocals = localsOf(moduleFiles);
});

describe('infra/ Terraform', () => {
  it('has the module split into small files and two thin environments, and every .tf file parses', () => {
    const names = moduleFiles.map((f) => path.basename(f.file));
    for (const expected of ['buckets.tf', 'pubsub.tf', 'functions.tf', 'iam.tf', 'firestore.tf', 'documentai.tf',
      'scheduler.tf', 'monitoring.tf', 'secrets.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) {
      expect(names).toContain(expected);
    }
    expect(parseFailures).toEqual([]);
    expect(files.length).toBe(listTfFiles(INFRA).length);
    for (const env of ['dev', 'prod']) {
      const envFiles = files.filter((f) => f.file.startsWith(path.join(INFRA, 'envs', env) + path.sep));
      const modules = envFiles.flatMap((f) => Object.entries(asObject(f.json.module)));
      expect(modules.map(([name]) => name)).toEqual(['pipeline']);
      expect(blocks(modules[0]?.[1])[0]?.source).toBe('../../modules/pipeline');
      // Thin: no resources of its own, a gcs backend.
      expect(resourcesOf(envFiles)).toEqual([]);
      const backends = envFiles.flatMap((f) => blocks(f.json.terraform)).flatMap((t) => blocks(t.backend));
      expect(Object.keys(backends[0] ?? {})).toEqual(['gcs']);
      expect(existsSync(path.join(INFRA, 'envs', env, 'terraform.tfvars.example'))).toBe(true);
    }
  });

  it('pins google and google-beta to one major in the module and in every environment', () => {
    expect(providerPinViolations(files)).toEqual([]);
    for (const dir of [MODULE, path.join(INFRA, 'envs/dev'), path.join(INFRA, 'envs/prod')]) {
      const providers = files.filter((f) => path.dirname(f.file) === dir)
        .flatMap((f) => blocks(f.json.terraform)).flatMap((t) => blocks(t.required_providers)).flatMap((rp) => Object.keys(rp));
      expect(providers.sort(), dir).toEqual(['google', 'google-beta']);
    }
  });

  it('types and describes every variable, and validates the module inputs that have a shape', () => {
    expect(variableViolations(files)).toEqual([]);
    const moduleVars = moduleFiles.flatMap((f) => Object.entries(asObject(f.json.variable)));
    const validated = moduleVars.filter(([, bodies]) => blocks(bodies).some((b) => blocks(b.validation).length > 0));
    expect(moduleVars.length).toBeGreaterThan(20);
    expect(validated.length / moduleVars.length).toBeGreaterThan(0.7);
  });

  it('never names a public principal and never uses authoritative IAM', () => {
    expect(publicPrincipalViolations([...files, { file: CLOUDBUILD, text: readFileSync(CLOUDBUILD, 'utf8') }], resources)).toEqual([]);
    // Exactly one public member in the whole module: the api's invoker, with its reason right above it.
    const publicMembers = resources.filter((r) => r.type.endsWith('_iam_member') && /^all(Authenticated)?Users$/.test(String(r.body.member)));
    expect(publicMembers.map((r) => `${r.type}.${r.name}`)).toEqual([`${PUBLIC_EXCEPTION.type}.${PUBLIC_EXCEPTION.name}`]);
    const iamText = files.find((f) => rel(f.file) === PUBLIC_EXCEPTION.file)!.text;
    const above = iamText.split('\n').slice(0, iamText.split('\n').findIndex((l) => l.includes(`"${PUBLIC_EXCEPTION.name}"`)));
    expect(above.slice(-6).join(' ')).toMatch(/authenticates and authorizes each request itself/);
    // The same text elsewhere (another resource, another function) is still a violation.
    const elsewhere = iamText.replace('resource "google_cloud_run_v2_service_iam_member" "api_public_invoker"', 'resource "google_cloud_run_v2_service_iam_member" "x"');
    expect(publicPrincipalViolations([{ file: path.join(MODULE, 'iam.tf'), text: elsewhere }], resources.filter((r) => r.name !== PUBLIC_EXCEPTION.name))).toHaveLength(1);
    expect(authoritativeIamViolations(resources, files)).toEqual([]);
    const members = resources.filter((r) => r.type.endsWith('_iam_member'));
    const rows = Object.values(grantTables(moduleLocals)).flatMap((t) => Object.entries(t));
    expect(rows.length).toBeGreaterThan(30);
    for (const m of members) expect(m.body.role, m.name).not.toMatch(/^roles\/(owner|editor|viewer)$/);
    for (const [key, row] of rows) expect(row.role, key).not.toMatch(/^roles\/(owner|editor|viewer)$/);
  });

  it('gives every grant a reason: one row per grant in a table, or a comment above a resource of its own', () => {
    const tables = grantTables(moduleLocals);
    expect(Object.keys(tables).length).toBeGreaterThanOrEqual(5);
    expect(iamReasonViolations(resources, tables, files)).toEqual([]);
    expect(movedViolations(files, resources, tables)).toEqual([]);
  });

  it('keeps push identities to event delivery, and function accounts off project-wide roles and each other', () => {
    const tables = grantTables(moduleLocals);
    const rows = (table: string) => Object.values(tables[table] ?? {});
    const eventKeys = Object.keys(asObject(moduleLocals.event_functions));
    const known = new Set([...FUNCTIONS, ...eventKeys.map((k) => `trigger-${k}`), 'scheduler', 'push-retrain', 'retrain-job',
      ...Object.keys(asObject(moduleLocals.service_agents))]);
    for (const [table, byKey] of Object.entries(tables)) {
      for (const [key, row] of Object.entries(byKey)) expect(known, `${table}.${key}: ${String(row.member)}`).toContain(row.member);
    }
    // Each push identity: invokes its own function, and Pub/Sub may mint its tokens. Nothing else.
    for (const k of eventKeys) {
      const t = `trigger-${k}`;
      const own = Object.entries(tables).flatMap(([table, byKey]) => Object.values(byKey).filter((r) => r.member === t).map((r) => [table, r.role, r.service ?? null]));
      expect(own.sort(), t).toEqual([['run_service_grants', 'roles/run.invoker', k]]);
      expect(rows('service_account_grants')).toContainEqual(expect.objectContaining({ member: 'pubsub-agent', service_account: t, role: 'roles/iam.serviceAccountTokenCreator' }));
    }
    // Eventarc is gone: no trigger plumbing, no Cloud Storage agent publishing project-wide.
    expect(Object.keys(asObject(moduleLocals.service_agents))).not.toContain('eventarc-agent');
    expect(rows('project_grants').filter((r) => r.member === 'gcs-agent')).toEqual([]);
    // Runtime accounts: no project-wide role but the Document AI user; Firestore only through the database condition.
    for (const row of rows('project_grants').filter((r) => FUNCTIONS.includes(String(r.member)))) expect(row.role).toBe('roles/documentai.apiUser');
    for (const row of rows('firestore_grants')) expect(row.role).toBe('roles/datastore.user');
    const firestore = resources.find((r) => r.type === 'google_project_iam_member' && tableOf(r) === 'firestore_grants');
    expect(String(blocks(firestore?.body.condition)[0]?.expression)).toContain('local.firestore_db_name');
    // A function may mint tokens (sign) only as itself.
    for (const row of rows('service_account_grants').filter((r) => FUNCTIONS.includes(String(r.member)))) {
      expect(row.service_account, String(row.member)).toBe(row.member);
    }
  });

  it('runs every function as its own service account', () => {
    const eventKeys = Object.keys(asObject(moduleLocals.event_functions));
    const httpKeys = Object.keys(asObject(moduleLocals.http_functions));
    expect([...eventKeys, ...httpKeys].sort()).toEqual([...FUNCTIONS].sort());
    expect(eventKeys.filter((k) => httpKeys.includes(k))).toEqual([]);
    expect(moduleLocals.function_names).toBe('${toset(concat(keys(local.event_functions), keys(local.http_functions)))}');

    const sa = resources.filter((r) => r.type === 'google_service_account' && r.name === 'function');
    expect(sa).toHaveLength(1);
    expect(sa[0]?.body.for_each).toBe('${local.function_names}');
    expect(String(sa[0]?.body.account_id)).toContain('${each.key}');

    const fns = resources.filter((r) => r.type === 'google_cloudfunctions2_function');
    expect(fns.map((f) => f.body.for_each).sort()).toEqual(['${local.event_functions}', '${local.http_functions}']);
    for (const fn of fns) {
      const service = blocks(fn.body.service_config)[0] ?? {};
      expect(service.service_account_email, fn.name).toBe('${google_service_account.function[each.key].email}');
      const build = blocks(fn.body.build_config)[0] ?? {};
      expect(build.entry_point).toBe('${each.key}');
      expect(build.environment_variables).toBe('${local.build_env}');
      const source = blocks(blocks(build.source)[0]?.storage_source)[0] ?? {};
      expect(source.object).toBe('${google_storage_bucket_object.source[each.key].name}');
    }
    // The push identities are separate accounts, never a function's runtime account.
    const push = resources.find((r) => r.type === 'google_pubsub_subscription' && r.name === 'push');
    const oidc = blocks(blocks(push?.body.push_config)[0]?.oidc_token)[0] ?? {};
    expect(oidc.service_account_email).toBe('${google_service_account.trigger[each.key].email}');
  });

  it('lets upload-url sign V4 URLs through IAM signBlob as itself, with no signing key secret', () => {
    const services = resources.find((r) => r.type === 'google_project_service' && r.name === 'api');
    expect(services?.body.service).toBe('${each.value}');
    expect(String(moduleLocals.services)).toContain('"iamcredentials.googleapis.com"');
    const saGrants = Object.values(grantTables(moduleLocals).service_account_grants ?? {});
    expect(saGrants).toContainEqual(expect.objectContaining({ member: 'upload-url', service_account: 'upload-url', role: 'roles/iam.serviceAccountTokenCreator' }));
    const uploadUrl = asObject(asObject(moduleLocals.http_functions)['upload-url']);
    expect(uploadUrl.secrets).toEqual({});
    expect(Object.keys(asObject(moduleLocals.secrets))).toEqual(['api-tokens']);
    for (const f of files) expect(f.text, rel(f.file)).not.toMatch(/SIGNING_KEY|signing-key/);
  });

  it('skips the onnxruntime CUDA download at build time and deploys each function from its own archive, named by its hash', () => {
    expect(asObject(moduleLocals.build_env).ONNXRUNTIME_NODE_INSTALL).toBe('skip');
    const object = resources.find((r) => r.type === 'google_storage_bucket_object' && r.name === 'source');
    expect(object?.body.for_each).toBe('${local.function_names}');
    expect(object?.body.name).toMatch(/each\.key.*filesha256\("\$\{var\.function_archives_dir\}\/\$\{each\.key\}\.zip"\)/);
    expect(object?.body.source).toBe('${var.function_archives_dir}/${each.key}.zip');
  });

  it('delivers every event function through a push subscription of its own with a bounded, dead-lettered retry budget', () => {
    expect(eventTriggerViolations(resources)).toEqual([]);
    const event = resources.find((r) => r.type === 'google_cloudfunctions2_function' && r.name === 'event');
    // No Eventarc trigger: its subscriptions take no dead-letter policy and retry for as long as they retain.
    expect(nestedBlocks(event?.body ?? {}, 'event_trigger')).toEqual([]);
    const events = asObject(moduleLocals.event_functions);
    expect(Object.keys(events).sort()).toEqual(['features', 'inference', 'ocr', 'webhooks']);
    expect(Object.fromEntries(Object.entries(events).map(([k, f]) => [k, asObject(f).topic]))).toEqual({
      ocr: 'object_finalized', features: 'ocr_completed', inference: 'features_computed', webhooks: 'invoice_scored',
    });

    const push = resources.find((r) => r.type === 'google_pubsub_subscription' && r.name === 'push');
    expect(push?.body.for_each).toBe('${local.event_functions}');
    expect(push?.body.topic).toBe('${google_pubsub_topic.topic[each.value.topic].id}');
    const config = blocks(push?.body.push_config)[0] ?? {};
    expect(String(config.push_endpoint)).toMatch(/^\$\{google_cloudfunctions2_function\.event\[each\.key\]\.url\}\/projects\//);
    expect(blocks(config.oidc_token)[0]?.audience).toBe('${google_cloudfunctions2_function.event[each.key].url}');
    const dlp = blocks(push?.body.dead_letter_policy)[0] ?? {};
    expect(dlp.dead_letter_topic).toBe('${google_pubsub_topic.topic["dead_letter"].id}');
    expect(dlp.max_delivery_attempts).toBe('${var.dead_letter_max_delivery_attempts}');
    // The handlers know the same last attempt: they dead-letter with the reason and mark the invoice FAILED.
    expect(asObject(moduleLocals.common_env).LEDGERX_MAX_DELIVERY_ATTEMPTS).toBe('${tostring(var.dead_letter_max_delivery_attempts)}');
    // A push waits longer than the function may run, and never longer than Pub/Sub allows.
    expect(push?.body.ack_deadline_seconds).toBe('${local.push_ack_deadline_seconds[each.key]}');
    expect(moduleLocals.push_ack_deadline_seconds).toBe('${{ for k, f in local.event_functions : k => f.timeout + 30 }}');
    for (const [k, f] of Object.entries(events)) expect(Number(asObject(f).timeout) + 30, k).toBeLessThanOrEqual(600);
    // Pub/Sub's dead-letter forwarding needs its agent on every source subscription.
    expect(Object.keys(asObject(moduleLocals.dead_letter_sources))).toEqual(expect.arrayContaining(['ocr_push', 'features_push', 'inference_push', 'webhooks_push']));
    const subscriptionRows = Object.values(grantTables(moduleLocals).subscription_grants ?? {});
    for (const sub of ['ocr_push', 'features_push', 'inference_push']) {
      expect(subscriptionRows).toContainEqual(expect.objectContaining({ member: 'pubsub-agent', subscription: sub, role: 'roles/pubsub.subscriber' }));
    }
  });

  it('sends the inbox\'s new objects to ocr as Cloud Storage notifications, published by the storage agent on that topic only', () => {
    const notification = resources.find((r) => r.type === 'google_storage_notification');
    expect(notification?.body).toMatchObject({
      bucket: '${google_storage_bucket.inbox.name}',
      topic: '${google_pubsub_topic.topic["object_finalized"].id}',
      payload_format: 'JSON_API_V1',
      event_types: ['OBJECT_FINALIZE'],
    });
    expect(asObject(moduleLocals.topic_names).object_finalized).toBe(Topics.objectFinalized);
    expect(Object.values(grantTables(moduleLocals).topic_grants ?? {})).toContainEqual(
      expect.objectContaining({ member: 'gcs-agent', topic: 'object_finalized', role: 'roles/pubsub.publisher' }),
    );
  });

  it('bounds the event age far below the message retention', () => {
    const variables = Object.assign({}, ...moduleFiles.map((f) => asObject(f.json.variable)));
    const value = (name: string) => blocks(variables[name])[0]?.default;
    const retentionSeconds = Number(String(value('message_retention_duration')).replace(/s$/, ''));
    expect(Number(value('max_event_age_seconds')) * 4).toBeLessThanOrEqual(retentionSeconds);
    // Every attempt of the budget happens well inside the age bound: at most 10 min of backoff each.
    expect(Number(value('dead_letter_max_delivery_attempts')) * 600).toBeLessThan(Number(value('max_event_age_seconds')));
    const push = resources.find((r) => r.type === 'google_pubsub_subscription' && r.name === 'push');
    const preconditions = blocks(blocks(push?.body.lifecycle)[0]?.precondition).map((p) => String(p.condition));
    expect(preconditions).toContainEqual(expect.stringContaining('var.max_event_age_seconds * 4 <='));
  });

  it("gives each ocr instance its share of the Document AI quota: floor(quota / max instances), one request at a time", () => {
    const ocr = asObject(asObject(moduleLocals.event_functions).ocr);
    expect(ocr.max_instances).toBe('${var.ocr_max_instances}');
    expect(ocr.concurrency).toBe(1);
    expect(asObject(ocr.env).LEDGERX_DOCAI_REQUESTS_PER_MINUTE).toBe('${tostring(floor(var.documentai_requests_per_minute / var.ocr_max_instances))}');
    expect(asObject(ocr.env).LEDGERX_DOCAI_BATCH_ENABLED).toBe('${tostring(var.documentai_batch_enabled)}');
    const event = resources.find((r) => r.type === 'google_cloudfunctions2_function' && r.name === 'event');
    const service = blocks(event?.body.service_config)[0] ?? {};
    expect(service.max_instance_count).toBe('${each.value.max_instances}');
    expect(service.max_instance_request_concurrency).toBe('${each.value.concurrency}');
  });

  it('gives every Pub/Sub subscription a dead-letter policy and an exponential retry policy', () => {
    expect(resources.filter((r) => r.type === 'google_pubsub_subscription').length).toBeGreaterThan(0);
    expect(subscriptionViolations(resources)).toEqual([]);
  });

  it('creates the topics the code publishes to, under the names in functions/core/messages.ts', () => {
    const names = Object.values(asObject(moduleLocals.topic_names));
    for (const topic of [Topics.ocrCompleted, Topics.featuresComputed, Topics.invoiceScored, Topics.deadLetter, 'retrain-requested']) {
      expect(names).toContain(topic);
    }
  });

  it('locks every bucket down and keeps model versions', () => {
    const buckets = resources.filter((r) => r.type === 'google_storage_bucket');
    expect(buckets.map((b) => b.name).sort()).toEqual(['artifacts', 'exports', 'inbox', 'models', 'source']);
    expect(bucketViolations(resources)).toEqual([]);
    const models = buckets.find((b) => b.name === 'models');
    expect(blocks(models?.body.versioning)[0]?.enabled).toBe(true);
    const inboxCors = blocks(buckets.find((b) => b.name === 'inbox')?.body.cors)[0] ?? {};
    expect(inboxCors.method).toContain('PUT');
    expect(inboxCors.origin).toBe('${var.upload_cors_origins}');
  });

  it('indexes the duplicate lookups on fields the invoice record has, and expires idempotency claims', () => {
    const indexes = asObject(moduleLocals.invoice_indexes);
    const fieldSets = Object.values(indexes).map((fields) => (fields as string[][]).map(([f]) => f ?? ''));
    const recordFields = Object.keys(InvoiceRecordSchema.shape);
    for (const lookup of [['contentSha256'], ['supplierKey', 'totalAmount'], ['status', 'createdAt'], ['status', 'updatedAt'], ['businessKey']]) {
      expect(fieldSets.some((set) => lookup.every((f) => set.includes(f))), lookup.join('+')).toBe(true);
    }
    // totalAmount, reasonCodes, modelVersionTags and inReviewQueue are denormalized lookup fields of the Firestore adapter.
    expect(fieldSets).toContainEqual(['inReviewQueue', 'createdAt']);
    for (const field of fieldSets.flat().filter((f) => !['totalAmount', 'reasonCodes', 'modelVersionTags', 'inReviewQueue'].includes(f))) {
      expect(recordFields, field).toContain(field.split('.')[0]);
    }
    const ttl = resources.find((r) => r.type === 'google_firestore_field');
    expect(ttl?.body.field).toBe('expiresAt');
    expect(blocks(ttl?.body.ttl_config)).toHaveLength(1);
  });

  it('calls scheduled functions with OIDC tokens and pins the Document AI processor version', () => {
    const job = resources.find((r) => r.type === 'google_cloud_scheduler_job');
    const target = blocks(job?.body.http_target)[0] ?? {};
    expect(blocks(target.oidc_token)).toHaveLength(1);
    expect(Object.keys(asObject(moduleLocals.scheduled_jobs)).sort()).toEqual(['batch', 'batch-summary', 'batch-sweep', 'drift-check', 'retrain']);
    expect(resources.some((r) => r.type === 'google_document_ai_processor_default_version')).toBe(true);
    expect(String(moduleLocals.docai_processor_version_name)).toContain('var.documentai_processor_version');
  });

  it('alerts on error rate, dead letters and Document AI quota through the notification channel variable', () => {
    const policies = resources.filter((r) => r.type === 'google_monitoring_alert_policy');
    expect(policies.map((p) => p.name).sort()).toEqual(['dead_letters', 'documentai_quota', 'function_error_rate', 'model']);
    // Model monitoring (model-monitoring.tf) notifies the same channels plus its optional email channel.
    for (const p of policies) expect(p.body.notification_channels).toBe(p.name === 'model' ? '${local.model_alert_channels}' : '${var.notification_channels}');
    expect(String(localsOf(moduleFiles).model_alert_channels)).toContain('var.notification_channels');
    expect(resources.filter((r) => r.type === 'google_logging_metric').length).toBeGreaterThanOrEqual(3);
  });
});

describe('the policy rules themselves', () => {
  it('catch each kind of violation in a bad snippet', async () => {
    const text = [
      'terraform {',
      '  required_providers {',
      '    google = { source = "hashicorp/google", version = ">= 4.0" }',
      '  }',
      '}',
      'variable "x" {',
      '  default = 1',
      '}',
      'resource "google_storage_bucket" "b" {',
      '  name = "b"',
      '}',
      'resource "google_project_iam_binding" "p" {',
      '  role    = "roles/viewer"',
      '  members = ["allUsers"]',
      '}',
      'resource "google_pubsub_subscription" "s" {',
      '  topic = "t"',
      '}',
      'resource "google_storage_bucket_iam_member" "m" {',
      '  role = "roles/storage.objectViewer"',
      '}',
      'locals {',
      '  bucket_grants = {',
      '    ocr_inbox_viewer = { member = "ocr", bucket = "inbox", role = "roles/storage.objectViewer", reason = "" }',
      '  }',
      '  topic_grants = {}',
      '}',
      '# Table resource, but its role is not the row\'s.',
      'resource "google_storage_bucket_iam_member" "grant" {',
      '  for_each = local.bucket_grants',
      '  bucket   = "b"',
      '  role     = "roles/storage.admin"',
      '  member   = local.principals[each.value.member]',
      '}',
      'moved {',
      '  from = google_storage_bucket_iam_member.m',
      '  to   = google_storage_bucket_iam_member.grant["nope"]',
      '}',
      'resource "google_cloudfunctions2_function" "f" {',
      '  event_trigger {',
      '    event_type = "google.cloud.pubsub.topic.v1.messagePublished"',
      '  }',
      '}',
    ].join('\n');
    const bad: TfFile[] = [{ file: path.join(INFRA, 'bad.tf'), text, json: await parse('bad.tf', text) }];
    const badResources = resourcesOf(bad);
    expect(providerPinViolations(bad)).toHaveLength(1);
    expect(variableViolations(bad)).toHaveLength(2);
    expect(publicPrincipalViolations(bad)).toHaveLength(1);
    expect(authoritativeIamViolations(badResources, bad).length).toBeGreaterThan(0);
    expect(bucketViolations(badResources)).toHaveLength(2);
    expect(subscriptionViolations(badResources)).toHaveLength(2);
    expect(eventTriggerViolations(badResources)).toHaveLength(1);
    const badTables = grantTables(localsOf(bad));
    expect(iamReasonViolations(badResources, badTables, bad).sort()).toEqual([
      'google_storage_bucket_iam_member.grant: role does not come from the table row',
      'infra/bad.tf:19 google_storage_bucket_iam_member.m is not a table resource and has no comment above it',
      'local.bucket_grants.ocr_inbox_viewer gives no reason',
      'local.topic_grants feeds no IAM member resource',
    ]);
    expect(movedViolations(bad, badResources, badTables)).toEqual([
      'moved from google_storage_bucket_iam_member.m: that resource is still declared',
      'moved to google_storage_bucket_iam_member.grant["nope"]: not a row of a grant table',
    ]);
    await expect(parse('broken.tf', 'resource "x" "y" {')).rejects.toThrow();
  });
});

// -------------------------------------------------------------------------------------------- cloudbuild

/** Light structural view of cloudbuild.yaml: each `- id:` step with its text (no YAML parser installed). */
function cloudbuildSteps(text: string): { id: string; text: string }[] {
  const stepsAt = text.search(/^steps:\s*$/m);
  if (stepsAt < 0) return [];
  const after = text.slice(stepsAt + 'steps:'.length);
  const next = after.search(/^[a-z]\w*:/m);
  const section = next >= 0 ? after.slice(0, next) : after;
  return section.split(/^ {2}- id: /m).slice(1).map((chunk) => ({ id: chunk.split('\n')[0]!.trim(), text: chunk }));
}

describe('cloudbuild.yaml', () => {
  const text = readFileSync(CLOUDBUILD, 'utf8');
  const steps = cloudbuildSteps(text);
  const step = (id: string) => steps.find((s) => s.id === id)?.text ?? '';

  it('runs verify -> build -> package -> terraform init/plan/apply -> smoke test, in that order', () => {
    const order = ['install', 'lint', 'typecheck', 'unit-tests', 'emulator-tests', 'build', 'package',
      'terraform-init', 'terraform-plan', 'terraform-apply', 'smoke-invoice', 'smoke-test'];
    const ids = steps.map((s) => s.id);
    expect(ids.filter((id) => order.includes(id))).toEqual(order);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('puts the required settings in the right steps', () => {
    expect(step('install')).toMatch(/npm/);
    expect(step('install')).toMatch(/'ci'/);
    expect(step('install')).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
    expect(step('emulator-tests')).toContain('cloudsdktool/google-cloud-cli');
    expect(step('package')).toContain('scripts/package-functions.mjs');
    for (const id of ['terraform-init', 'terraform-plan', 'terraform-apply']) expect(step(id)).toContain('dir: infra/envs/${_ENV}');
    expect(step('terraform-plan')).toContain('-out=tfplan');
    expect(step('terraform-apply')).toMatch(/terraform apply -input=false tfplan/);
    expect(step('smoke-test')).toContain('infra/scripts/smoke-test.sh');
  });

  it('documents every substitution at the top and ships the scripts it calls', () => {
    const header = text.slice(0, text.search(/^substitutions:/m));
    const block = text.slice(text.search(/^substitutions:/m)).split(/\n(?=\S)/)[0] ?? '';
    const keys = [...block.matchAll(/^ {2}(_[A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(keys).toContain('_ENV');
    for (const key of keys) expect(header, key).toContain(key);
    for (const script of new Set([...text.matchAll(/infra\/scripts\/[\w.-]+/g)].map((m) => m[0]))) {
      expect(existsSync(path.join(REPO, script)), script).toBe(true);
    }
  });
});

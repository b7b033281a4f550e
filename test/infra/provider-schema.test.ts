/**
 * Every google / google-beta resource, data source and provider block under infra/ checked against the real
 * provider schema (infra/schema/google-provider-<version>.json, extracted from the cdktf provider packages by
 * scripts/terraform-schema/extract.mjs): what `terraform validate` would catch about the configuration's
 * shape, without a provider download. The checker is test/infra/provider-schema.ts; the same checker runs on a
 * deliberately bad snippet below to show that it bites.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from '@cdktf/hcl2json';
import { checkAgainstSchema, formatFinding, loadProviderSchemas, type ProviderSchemas, type TfFile } from './provider-schema.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INFRA = path.join(REPO, 'infra');
const SCHEMA_DIR = path.join(INFRA, 'schema');

function listTfFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return entry === '.terraform' ? [] : listTfFiles(full);
    return entry.endsWith('.tf') ? [full] : [];
  });
}

/** The pinned provider major in the module (versions.tf: `~> 6.0`) must match the extract's version. */
function pinnedMajor(text: string, provider: string): string | undefined {
  const block = new RegExp(`${provider}\\s*=\\s*\\{[^}]*version\\s*=\\s*"~>\\s*(\\d+)\\.`).exec(text);
  return block?.[1];
}

let schemas: ProviderSchemas;
const files: TfFile[] = [];

beforeAll(async () => {
  const extracts = readdirSync(SCHEMA_DIR).filter((f) => /^google-provider-\d+\.\d+\.\d+\.json$/.test(f));
  expect(extracts, 'exactly one schema extract in infra/schema').toHaveLength(1);
  schemas = loadProviderSchemas(path.join(SCHEMA_DIR, extracts[0]!));
  for (const file of listTfFiles(INFRA).sort()) {
    const text = readFileSync(file, 'utf8');
    files.push({ file: path.relative(REPO, file), text, json: await parse(path.basename(file), text) });
  }
});

describe('infra/ against the google provider schema', () => {
  it('checks a schema of the provider major the module pins', () => {
    const versions = readFileSync(path.join(INFRA, 'modules/pipeline/versions.tf'), 'utf8');
    const major = schemas.version.split('.')[0];
    expect(pinnedMajor(versions, 'google')).toBe(major);
    expect(pinnedMajor(versions, 'google-beta')).toBe(major);
  });

  it('has every resource and data source the module and its roadmap use', () => {
    const resources = ['google_storage_bucket', 'google_storage_bucket_object', 'google_pubsub_topic', 'google_pubsub_subscription',
      'google_cloudfunctions2_function', 'google_cloud_run_v2_job', 'google_cloud_run_v2_service_iam_member', 'google_cloud_scheduler_job',
      'google_eventarc_trigger', 'google_bigquery_dataset', 'google_bigquery_table', 'google_monitoring_alert_policy',
      'google_logging_metric', 'google_secret_manager_secret', 'google_secret_manager_secret_iam_member', 'google_project_service',
      'google_project_iam_member', 'google_service_account_iam_member', 'google_firestore_database', 'google_document_ai_processor'];
    for (const type of resources) expect(schemas.providersOf('resource', type), type).toEqual(['google', 'google-beta']);
    expect(schemas.providersOf('resource', 'google_project_service_identity')).toEqual(['google-beta']);
    expect(schemas.providersOf('data', 'google_storage_project_service_account')).toEqual(['google', 'google-beta']);
    // Names taken from the registry anchors, not from camelCase (detectMd5Hash would read detect_md5_hash).
    expect(schemas.get('resource', 'google_storage_bucket_object', 'google')?.args?.detect_md5hash).toBe('optional string');
    expect(schemas.get('resource', 'google_cloudbuild_trigger', 'google')?.blocks?.build).toBeDefined();
  });

  it('finds nothing wrong in any .tf file under infra/', () => {
    expect(files.length).toBeGreaterThan(10);
    const checked = files.flatMap((f) => ['resource', 'data'].flatMap((k) => Object.keys((f.json[k] ?? {}) as object)))
      .filter((t) => t.startsWith('google_'));
    expect(checked.length).toBeGreaterThan(20);
    expect(checkAgainstSchema(files, schemas).map(formatFinding)).toEqual([]);
  });
});

describe('the schema check itself', () => {
  it('reports each kind of mistake in a bad snippet, and accepts the same resources written right', async () => {
    const text = [
      'provider "google" {',
      '  projekt = "p"',
      '}',
      'resource "google_storage_bucket" "b" {',
      '  name          = "b"',
      '  storage_clas  = "STANDARD"', // unknown argument (typo)
      '  self_link     = "x"', // computed-only
      '  versioning    = { enabled = true }', // block written as an argument
      '  labels {', // argument written as a block
      '    a = "b"',
      '  }',
      '  website {', // two blocks where at most one is allowed
      '    main_page_suffix = "index.html"',
      '  }',
      '  website {',
      '    main_page_suffix = "index.htm"',
      '  }',
      '  lifecycle_rule {', // required nested block (action) missing
      '    condition {',
      '      age = 1',
      '    }',
      '  }',
      '  dynamic "cors" {',
      '    for_each = ["https://a.example"]',
      '    content {',
      '      origins = [cors.value]', // unknown argument inside a dynamic block
      '    }',
      '  }',
      '  dynamic "cors_rule" {', // unknown dynamic block
      '    for_each = []',
      '    content {}',
      '  }',
      '  retention {', // unknown block
      '    days = 1',
      '  }',
      '  lifecycle {',
      '    ignore_changes = [labels]',
      '    prevent_destroyed = true', // unknown lifecycle argument
      '  }',
      '}', // location (required) missing
      'resource "google_project_service_identity" "pubsub" {', // google-beta only, no provider = google-beta
      '  service = "pubsub.googleapis.com"',
      '}',
      'resource "google_storage_bukket" "typo" {', // unknown type
      '  name = "x"',
      '}',
      'data "google_project" "p" {',
      '  number = "1"', // computed in the data source
      '}',
      'resource "google_firestore_database" "d" {',
      '  name             = "(default)"',
      '  location_id      = "eur3"',
      '  type             = "FIRESTORE_NATIVE"',
      '  concurrency_mode = "PESSIMISTIC_LOCKING"', // not one of the enum's values
      '}',
      'resource "google_pubsub_topic" "t" {',
      '  name = google_storage_bucket.b.urls', // reads an attribute the type does not have
      '}',
    ].join('\n');
    const bad: TfFile = { file: 'bad.tf', text, json: await parse('bad.tf', text) };
    const findings = checkAgainstSchema([bad], schemas);
    const got = findings.map((f) => [f.address, f.path, f.code, f.message.split(' ')[0]?.replace(/"/g, '') ?? '']);
    expect(got).toEqual(expect.arrayContaining([
      ['provider.google', '', 'unknown-argument', 'argument'],
      ['google_storage_bucket.b', '', 'unknown-argument', 'argument'],
      ['google_storage_bucket.b', '', 'computed-argument', 'self_link'],
      ['google_storage_bucket.b', '', 'block-given-as-argument', 'versioning'],
      ['google_storage_bucket.b', '', 'argument-given-as-block', 'labels'],
      ['google_storage_bucket.b', '', 'too-many-blocks', 'at'],
      ['google_storage_bucket.b', 'lifecycle_rule', 'missing-block', 'required'],
      ['google_storage_bucket.b', 'cors', 'unknown-argument', 'argument'],
      ['google_storage_bucket.b', '', 'unknown-block', 'dynamic'],
      ['google_storage_bucket.b', '', 'unknown-block', 'block'],
      ['google_storage_bucket.b', 'lifecycle', 'unknown-argument', 'argument'],
      ['google_storage_bucket.b', '', 'missing-argument', 'required'],
      ['google_project_service_identity.pubsub', '', 'unknown-type', 'google_project_service_identity'],
      ['google_storage_bukket.typo', '', 'unknown-type', 'resource'],
      ['data.google_project.p', '', 'computed-argument', 'number'],
      ['google_firestore_database.d', '', 'value-not-allowed', 'concurrency_mode'],
      ['google_storage_bucket.b', '', 'unknown-attribute-reference', 'google_storage_bucket.b.urls'],
    ]));
    expect(findings.map(formatFinding)).toHaveLength(17);
    expect(findings.find((f) => f.message.includes('storage_clas'))?.message).toContain('did you mean "storage_class"');
    expect(findings.find((f) => f.code === 'missing-argument')?.message).toContain('"location"');
    expect(findings.find((f) => f.address === 'google_project_service_identity.pubsub')?.message).toContain('provider = google-beta');
    expect(findings.find((f) => f.address === 'google_storage_bucket.b')?.where).toBe('bad.tf:4');

    const good = [
      'provider "google-beta" {',
      '  project = "p"',
      '}',
      'resource "google_project_service_identity" "pubsub" {',
      '  provider = google-beta',
      '  for_each = toset(["a"])',
      '  service  = "pubsub.googleapis.com"',
      '  timeouts {',
      '    create = "5m"',
      '  }',
      '  depends_on = [google_storage_bucket.b]',
      '}',
      'resource "google_storage_bucket" "b" {',
      '  count    = 1',
      '  name     = "b"',
      '  location = "EU"',
      '  labels   = { a = "b" }',
      '  lifecycle_rule {',
      '    condition {',
      '      age = 1',
      '    }',
      '    action {',
      '      type = "Delete"',
      '    }',
      '  }',
      '  dynamic "cors" {',
      '    for_each = ["https://a.example"]',
      '    content {',
      '      origin = [cors.value]',
      '    }',
      '  }',
      '  lifecycle {',
      '    prevent_destroy = true',
      '  }',
      '}',
      'resource "google_firestore_database" "d" {',
      '  name             = "(default)"',
      '  location_id      = "eur3"',
      '  type             = "FIRESTORE_NATIVE"',
      '  concurrency_mode = var.mode == "" ? "PESSIMISTIC" : var.mode',
      '}',
      'output "x" {',
      '  value = [google_storage_bucket.b[0].url, google_project_service_identity.pubsub["a"].email]',
      '}',
    ].join('\n');
    expect(checkAgainstSchema([{ file: 'good.tf', text: good, json: await parse('good.tf', good) }], schemas).map(formatFinding)).toEqual([]);
  });
});

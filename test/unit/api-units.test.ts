/**
 * The API's small pure parts: webhook signatures (replay-resistant), retry schedule, the audit sample, SSRF
 * address classes, the api's environment contract with Terraform, and the inbox bucket CORS the browser upload
 * needs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { inAuditSample } from '../../functions/core/api/audit-sample.js';
import { retryDelayMs } from '../../functions/core/api/webhook-delivery.js';
import { signWebhook, verifyWebhookSignature } from '../../functions/core/api/webhook-signature.js';
import { ApiEnvSchema, loadApiConfig, parseUsers, WebhooksEnvSchema } from '../../functions/api/gcp/config.js';
import { isPublicAddress } from '../../functions/api/webhooks/target.js';
import { parseWait } from '../../functions/api/routes/invoices.js';

const REPO = path.resolve(import.meta.dirname, '../..');

describe('webhook signatures', () => {
  const secret = 'whsec_test_secret_0123456789abcdef0123456789';
  const body = JSON.stringify({ id: 'dlv_1', type: 'invoice.scored' });
  const at = new Date('2025-06-01T12:00:00Z');

  it('verify what was signed, within the tolerance', () => {
    const header = signWebhook(secret, body, at);
    expect(header).toMatch(/^t=1748779200,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, body, header, new Date(at.getTime() + 299_000))).toEqual({ ok: true, timestamp: 1748779200 });
  });

  it('refuse a changed body, another secret, a replay after the tolerance, a moved timestamp, and junk', () => {
    const header = signWebhook(secret, body, at);
    expect(verifyWebhookSignature(secret, body + ' ', header, at)).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(verifyWebhookSignature('other', body, header, at)).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(verifyWebhookSignature(secret, body, header, new Date(at.getTime() + 301_000))).toEqual({ ok: false, reason: 'EXPIRED' });
    // A replayer cannot refresh the timestamp: it is signed.
    expect(verifyWebhookSignature(secret, body, header.replace('t=1748779200', 't=1748779500'), new Date(at.getTime() + 300_000))).toEqual({ ok: false, reason: 'MISMATCH' });
    for (const junk of [undefined, '', 'v1=abc', 't=x,v1=abc', 'garbage']) expect(verifyWebhookSignature(secret, body, junk, at).ok).toBe(false);
  });
});

describe('retries, audit sample, wait', () => {
  it('backs off exponentially to a cap', () => {
    const policy = { maxAttempts: 8, baseMs: 10_000, maxMs: 600_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => retryDelayMs(policy, a))).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000]);
  });

  it('draws a stable, rate-sized audit sample that only grows with the rate', () => {
    const ids = Array.from({ length: 4_000 }, (_, i) => `inv_${i}`);
    const five = ids.filter((id) => inAuditSample(id, 0.05));
    expect(five.length / ids.length).toBeGreaterThan(0.04);
    expect(five.length / ids.length).toBeLessThan(0.06);
    expect(ids.filter((id) => inAuditSample(id, 0.05))).toEqual(five);
    const ten = new Set(ids.filter((id) => inAuditSample(id, 0.1)));
    expect(five.every((id) => ten.has(id))).toBe(true);
    expect(ids.some((id) => inAuditSample(id, 0))).toBe(false);
  });

  it('parses and caps the wait', () => {
    expect(parseWait('30s', 45)).toBe(30_000);
    expect(parseWait('1500ms', 45)).toBe(1_500);
    expect(parseWait('600', 45)).toBe(45_000);
    expect(parseWait(undefined, 45)).toBe(0);
    expect(() => parseWait('soon', 45)).toThrow();
  });
});

describe('webhook target addresses (SSRF)', () => {
  it.each([
    ['127.0.0.1', false], ['10.1.2.3', false], ['172.16.0.1', false], ['192.168.0.1', false], ['169.254.169.254', false], ['100.64.0.1', false],
    ['0.0.0.0', false], ['224.0.0.1', false], ['::1', false], ['::', false], ['fe80::1', false], ['fd12::1', false], ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false], ['64:ff9b::10.0.0.1', false], ['93.184.216.34', true], ['2606:2800:220:1:248:1893:25c8:1946', true], ['example.com', false],
  ])('%s public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('the api environment contract with Terraform', () => {
  it('loads a valid environment, and lists every problem of a bad one at once', () => {
    const config = loadApiConfig({ GOOGLE_CLOUD_PROJECT: 'p', LEDGERX_INBOX_BUCKET: 'i', LEDGERX_ARTIFACTS_BUCKET: 'a', LEDGERX_API_USERS: '{"A@x.com":"admin","*@x.com":"viewer"}', LEDGERX_API_CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(config.users.get('a@x.com')).toBe('admin');
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.rateLimitPerMinute).toBe(100);
    expect(() => loadApiConfig({ LEDGERX_API_RATE_LIMIT_PER_MINUTE: 'lots', LEDGERX_AUDIT_SAMPLE_RATE: '2' })).toThrow(/GOOGLE_CLOUD_PROJECT.*LEDGERX_INBOX_BUCKET.*LEDGERX_ARTIFACTS_BUCKET.*LEDGERX_API_RATE_LIMIT_PER_MINUTE.*LEDGERX_AUDIT_SAMPLE_RATE/s);
    expect(() => parseUsers('{"bob":"admin"}')).toThrow();
    expect(() => parseUsers('{"bob@x.com":"root"}')).toThrow();
  });

  it('sets only variables the functions read, from the same page-origin variable as the bucket CORS', async () => {
    const tf = (await parse('functions.tf', readFileSync(path.join(REPO, 'infra/modules/pipeline/functions.tf'), 'utf8'))) as { locals: Array<Record<string, Record<string, Record<string, unknown>>>> };
    const locals = Object.assign({}, ...tf.locals);
    const apiEnv = (locals.http_functions!.api!.env as Array<Record<string, string>> | Record<string, string>);
    const apiKeys = Object.keys(Array.isArray(apiEnv) ? Object.assign({}, ...apiEnv) : apiEnv);
    const known = new Set(Object.keys(ApiEnvSchema.shape));
    expect(apiKeys.filter((k) => !known.has(k))).toEqual([]);
    expect((Array.isArray(apiEnv) ? Object.assign({}, ...apiEnv) : apiEnv).LEDGERX_API_CORS_ORIGINS).toContain('var.upload_cors_origins');
    const hookEnv = locals.event_functions!.webhooks!.env as Record<string, string>;
    const hookKnown = new Set(Object.keys(WebhooksEnvSchema.shape));
    expect(Object.keys(Array.isArray(hookEnv) ? Object.assign({}, ...hookEnv) : hookEnv).filter((k) => !hookKnown.has(k))).toEqual([]);
  });

  it('lets the page origin PUT signed uploads into the inbox with the signed headers (bucket CORS)', async () => {
    const tf = (await parse('buckets.tf', readFileSync(path.join(REPO, 'infra/modules/pipeline/buckets.tf'), 'utf8'))) as { resource: { google_storage_bucket: { inbox: Array<{ cors: Array<Record<string, unknown>> }> } } };
    const cors = tf.resource.google_storage_bucket.inbox[0]!.cors[0]!;
    expect(cors.origin).toBe('${var.upload_cors_origins}');
    expect(cors.method).toEqual(expect.arrayContaining(['PUT', 'OPTIONS']));
    expect((cors.response_header as string[]).map((h) => h.toLowerCase())).toEqual(expect.arrayContaining(['content-type', 'x-goog-content-length-range']));
  });
});

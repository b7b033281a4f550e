/**
 * `upload-url` served by functions-framework: the request contract (400/401/405), and a returned URL that
 * the Cloud Storage test server accepts for exactly the signed upload (signature verified with the public
 * half of a key pair generated here).
 */
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUploadUrlHandler } from '../../functions/upload-url.js';
import { loadUploadUrlConfig } from '../../functions/platform/gcp/config.js';
import { createGcsUploadSigner } from '../../functions/platform/gcp/signed-url.js';
import { silentLogger } from '../../functions/platform/logger.js';
import type { UploadUrlRuntime } from '../../functions/platform/gcp/wiring.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';

const EMAIL = 'ledgerx-upload-url@ledgerx-test.iam.gserviceaccount.com';
const MAX = 4_096;
const TOKEN = 'tok_9c1d0a77e4';

let runtime: () => Promise<UploadUrlRuntime>;
http('upload-url', makeUploadUrlHandler(() => runtime()));

describe('upload-url function', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let gcs: GcsTestServer;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    gcs = await startGcsTestServer({ buckets: ['ledgerx-test-inbox'], signers: { [EMAIL]: { publicKey } } });
    const storage = new Storage({
      projectId: 'ledgerx-test',
      apiEndpoint: gcs.url,
      credentials: { client_email: EMAIL, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    const config = loadUploadUrlConfig({
      GOOGLE_CLOUD_PROJECT: 'ledgerx-test',
      LEDGERX_INBOX_BUCKET: 'ledgerx-test-inbox',
      LEDGERX_UPLOAD_MAX_BYTES: String(MAX),
      LEDGERX_API_TOKENS: TOKEN,
    });
    runtime = async () => ({ config, signer: createGcsUploadSigner(storage), log: silentLogger, now: () => new Date() });
    const server = getTestServer('upload-url');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
    await gcs?.close();
  });

  const ask = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, method = 'POST') =>
    fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: method === 'GET' ? undefined : JSON.stringify(body) });

  it('issues a URL that uploads the declared file into the inbox, once', async () => {
    const res = await ask({ fileName: 'Rechnung 2025-06.pdf', contentType: 'application/pdf', sizeBytes: 2_000 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { url: string; method: string; headers: Record<string, string>; objectName: string; expiresAt: string };
    expect(body.method).toBe('PUT');
    expect(body.headers).toEqual({ 'Content-Type': 'application/pdf', 'x-goog-content-length-range': '2000,2000' });
    expect(body.objectName).toMatch(/^inbox\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}-Rechnung-2025-06\.pdf$/);
    const ttl = Date.parse(body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(890_000);
    expect(ttl).toBeLessThanOrEqual(900_000);

    const put = await fetch(body.url, { method: 'PUT', headers: body.headers, body: Buffer.alloc(2_000, 1) });
    expect(put.status).toBe(200);
    expect(gcs.object('ledgerx-test-inbox', body.objectName)?.contentType).toBe('application/pdf');

    const wrongType = await fetch(body.url, { method: 'PUT', headers: { ...body.headers, 'Content-Type': 'text/html' }, body: 'x' });
    expect(wrongType.status).toBe(403);
    const oversize = await fetch(body.url, { method: 'PUT', headers: body.headers, body: Buffer.alloc(MAX + 1) });
    expect(oversize.status).toBe(400);
  });

  it.each([
    [{ fileName: 'a.exe', contentType: 'application/x-msdownload', sizeBytes: 10 }, 'UNSUPPORTED_TYPE'],
    [{ fileName: 'big.pdf', contentType: 'application/pdf', sizeBytes: MAX + 1 }, 'FILE_TOO_LARGE'],
    [{ fileName: '', contentType: 'application/pdf', sizeBytes: 10 }, 'INVALID_REQUEST'],
    [{ fileName: 'a.pdf', contentType: 'application/pdf', sizeBytes: '10' }, 'INVALID_REQUEST'],
    [{ fileName: 'a.pdf', contentType: 'application/pdf', sizeBytes: 0 }, 'INVALID_REQUEST'],
    [['a.pdf', 'application/pdf', 10], 'INVALID_REQUEST'],
  ])('answers 400 to %j with %s', async (body, code) => {
    const res = await ask(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('answers 400 to a body that is not JSON (rejected by the framework body parser)', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: '{"fileName":' });
    expect(res.status).toBe(400);
  });

  it('answers 401 without the application token and 405 to other methods', async () => {
    const body = { fileName: 'a.pdf', contentType: 'application/pdf', sizeBytes: 10 };
    expect((await ask(body, {})).status).toBe(401);
    expect((await ask(body, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await ask(body, undefined, 'GET')).status).toBe(405);
  });
});

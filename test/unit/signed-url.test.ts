import { createHash, generateKeyPairSync } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGcsUploadSigner, sanitizeFileName, signUpload, UploadRejectedError, uploadObjectName, type SignUploadOptions,
} from '../../functions/platform/gcp/signed-url.js';
import { bearerTokenAccepted } from '../../functions/platform/gcp/bearer-token.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';

describe('upload object names', () => {
  it.each([
    ['Rechnung März 2025.pdf', 'Rechnung-Marz-2025.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\facture été.PDF', 'facture-ete.PDF'],
    ['.hidden.pdf', 'hidden.pdf'],
    ['????', 'upload'],
    ['a  b__c--d.png', 'a-b__c-d.png'],
  ])('sanitizes %j to %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('caps long names at 100 characters and keeps the extension', () => {
    const name = sanitizeFileName(`${'x'.repeat(300)}.pdf`);
    expect(name).toHaveLength(100);
    expect(name.endsWith('.pdf')).toBe(true);
  });

  it('dates the name in UTC under the prefix', () => {
    expect(uploadObjectName('inbox/', 'a b.pdf', new Date('2025-01-02T23:30:00-05:00'), 'ID')).toBe('inbox/2025/01/03/ID-a-b.pdf');
  });
});

describe('bearer tokens', () => {
  const hashed = 'sha256:' + createHash('sha256').update('s3cret').digest('hex');
  it.each([
    [undefined, [], true],
    [undefined, ['abc'], false],
    ['Bearer abc', ['abc'], true],
    ['bearer abc', ['xyz', 'abc#uploader'], true],
    ['Bearer abd', ['abc'], false],
    ['Basic abc', ['abc'], false],
    ['Bearer s3cret', [hashed], true],
    ['Bearer s3cret2', [hashed], false],
    ['Bearer dG9rZW4=', ['dG9rZW4='], true],
  ])('%j against %j -> %j', (header, tokens, ok) => {
    expect(bearerTokenAccepted(header, tokens)).toBe(ok);
  });
});

describe('V4 signed upload URLs (verified by the Cloud Storage test server)', () => {
  const email = 'ledgerx-upload-url@ledgerx-test.iam.gserviceaccount.com';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // A service-account key: the library signs offline, no IAM call.
  const credentials = { client_email: email, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const MAX = 2_000;
  let server: GcsTestServer;
  let storage: Storage;
  let options: SignUploadOptions;

  beforeAll(async () => {
    server = await startGcsTestServer({ buckets: ['inbox'], signers: { [email]: { publicKey } } });
    storage = new Storage({
      projectId: 'ledgerx-test',
      apiEndpoint: server.url,
      credentials,
    });
    options = { bucket: 'inbox', objectPrefix: 'inbox/', maxBytes: MAX, ttlSeconds: 900, now: new Date() };
  });
  afterAll(async () => {
    await server?.close();
  });

  const request = { fileName: 'Facture été.pdf', contentType: 'application/pdf', sizeBytes: 1_000 };
  const put = (url: string, headers: Record<string, string>, body: Uint8Array) => fetch(url, { method: 'PUT', headers, body: Buffer.from(body) });

  it('returns a PUT URL bound to type, the declared size and a server-chosen name, valid for 15 minutes', async () => {
    const now = new Date();
    const signed = await signUpload(createGcsUploadSigner(storage), request, { ...options, now, newId: () => '0b5c3b7e-1f7a-4c1e-9f5e-3f2d1c0b9a87' });
    expect(signed.method).toBe('PUT');
    expect(signed.headers).toEqual({ 'Content-Type': 'application/pdf', 'x-goog-content-length-range': '1000,1000' });
    expect(signed.objectName).toMatch(/^inbox\/\d{4}\/\d{2}\/\d{2}\/0b5c3b7e-1f7a-4c1e-9f5e-3f2d1c0b9a87-Facture-ete\.pdf$/);
    expect(Date.parse(signed.expiresAt) - now.getTime()).toBe(900_000);
    const url = new URL(signed.url);
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(url.searchParams.get('X-Goog-Expires')).toBe('900');
    expect(url.searchParams.get('X-Goog-SignedHeaders')).toBe('content-type;host;x-goog-content-length-range');
  });

  it('accepts the PUT with the signed headers and stores the object', async () => {
    const signed = await signUpload(createGcsUploadSigner(storage), request, options);
    const body = new Uint8Array(1_000).fill(37);
    const res = await put(signed.url, signed.headers, body);
    expect(res.status).toBe(200);
    const stored = server.object('inbox', signed.objectName);
    expect(stored?.data.length).toBe(1_000);
    expect(stored?.contentType).toBe('application/pdf');
  });

  it('refuses a PUT with another content type (signature mismatch)', async () => {
    const signed = await signUpload(createGcsUploadSigner(storage), request, options);
    const res = await put(signed.url, { ...signed.headers, 'Content-Type': 'image/png' }, new Uint8Array(1_000));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('SignatureDoesNotMatch');
    expect(server.object('inbox', signed.objectName)).toBeUndefined();
  });

  it('refuses a body of any other size than the declared one, also within the limit, and a widened range', async () => {
    const signed = await signUpload(createGcsUploadSigner(storage), request, options);
    const larger = await put(signed.url, signed.headers, new Uint8Array(1_001));
    expect(larger.status).toBe(400);
    expect(await larger.text()).toContain('EntityTooLarge');
    const smaller = await put(signed.url, signed.headers, new Uint8Array(999));
    expect(smaller.status).toBe(400);
    expect(await smaller.text()).toContain('EntityTooSmall');
    const tooLarge = await put(signed.url, signed.headers, new Uint8Array(MAX + 1));
    expect(tooLarge.status).toBe(400);
    const widened = await put(signed.url, { ...signed.headers, 'x-goog-content-length-range': `0,${MAX}` }, new Uint8Array(MAX));
    expect(widened.status).toBe(403);
    expect(await widened.text()).toContain('SignatureDoesNotMatch');
    expect(server.object('inbox', signed.objectName)).toBeUndefined();
    // The declared size itself goes through.
    expect((await put(signed.url, signed.headers, new Uint8Array(1_000))).status).toBe(200);
  });

  it('refuses a URL signed by an unknown key, and one for another object name', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const forged = new Storage({ projectId: 'ledgerx-test', apiEndpoint: server.url, credentials: { client_email: email, private_key: other } });
    const signed = await signUpload(createGcsUploadSigner(forged), request, options);
    expect((await put(signed.url, signed.headers, new Uint8Array(1_000))).status).toBe(403);

    const genuine = await signUpload(createGcsUploadSigner(storage), request, options);
    const moved = genuine.url.replace(encodeURIComponent(genuine.objectName.split('/').pop()!), 'elsewhere.pdf');
    expect(moved).not.toBe(genuine.url);
    expect((await put(moved, genuine.headers, new Uint8Array(1_000))).status).toBe(403);
  });

  it('refuses the URL once it has expired', async () => {
    const later = await startGcsTestServer({ buckets: ['inbox'], signers: { [email]: { publicKey } }, now: () => new Date(Date.now() + 16 * 60_000) });
    try {
      const client = new Storage({ projectId: 'ledgerx-test', apiEndpoint: later.url, credentials });
      const signed = await signUpload(createGcsUploadSigner(client), request, { ...options, now: new Date() });
      const res = await put(signed.url, signed.headers, new Uint8Array(1_000));
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/expired/i);
    } finally {
      await later.close();
    }
  });

  it.each([
    [{ contentType: 'application/zip' }, 'UNSUPPORTED_TYPE'],
    [{ contentType: 'text/html' }, 'UNSUPPORTED_TYPE'],
    [{ sizeBytes: MAX + 1 }, 'FILE_TOO_LARGE'],
  ])('rejects %j before signing', async (patch, code) => {
    const err = await signUpload(createGcsUploadSigner(storage), { ...request, ...patch }, options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadRejectedError);
    expect((err as UploadRejectedError).code).toBe(code);
  });

  it('signs the bare media type of a type with parameters', async () => {
    const body = new TextEncoder().encode('<Invoice/>');
    const signed = await signUpload(createGcsUploadSigner(storage), { ...request, contentType: 'Application/XML; charset=utf-8', sizeBytes: body.length }, options);
    expect(signed.headers['Content-Type']).toBe('application/xml');
    expect((await put(signed.url, signed.headers, body)).status).toBe(200);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Storage } from '@google-cloud/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { createGcsBlobStore } from '../../functions/adapters/gcp/gcs-blob-store.js';
import { ObjectFinalizedSchema } from '../../functions/core/messages.js';
import { PreconditionFailedError } from '../../functions/core/ports.js';
import { startGcsTestServer, type FinalizedEvent, type GcsTestServer } from '../gcs-server/server.js';

const EMAIL = 'uploader@ledgerx-test.iam.gserviceaccount.com';
const keyPair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const signing = keyPair();

let server: GcsTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function signedPutUrl(url: string, name: string, contentType = 'application/pdf', range = '0,1000', expiresInMs = 15 * 60_000) {
  const storage = new Storage({ apiEndpoint: url, projectId: 'p', credentials: { client_email: EMAIL, private_key: signing.privateKey } });
  const [signed] = await storage.bucket('inbox').file(name).getSignedUrl({
    version: 'v4',
    action: 'write',
    expires: Date.now() + expiresInMs,
    contentType,
    extensionHeaders: { 'x-goog-content-length-range': range },
  });
  return signed;
}

const put = (url: string, body: string, headers: Record<string, string>) => fetch(url, { method: 'PUT', body, headers });

describe('Cloud Storage test server: signed URL uploads', () => {
  it('accepts a PUT matching the signed content type and length range, verifying the RSA signature', async () => {
    const events: FinalizedEvent[] = [];
    server = await startGcsTestServer({ buckets: ['inbox'], signers: { [EMAIL]: { publicKey: signing.publicKey } }, onFinalize: (e) => void events.push(e) });
    const url = await signedPutUrl(server.url, 'uploads/2025/inv 1.pdf');
    expect(new URL(url).searchParams.get('X-Goog-SignedHeaders')).toBe('content-type;host;x-goog-content-length-range');
    const res = await put(url, '%PDF-1.7 tiny', { 'content-type': 'application/pdf', 'x-goog-content-length-range': '0,1000' });
    expect(res.status).toBe(200);
    expect(server.object('inbox', 'uploads/2025/inv 1.pdf')?.data.toString()).toBe('%PDF-1.7 tiny');
    await server.idle();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'google.cloud.storage.object.v1.finalized', subject: 'objects/uploads/2025/inv 1.pdf' });
    expect(ObjectFinalizedSchema.parse(events[0]!.data)).toMatchObject({ bucket: 'inbox', name: 'uploads/2025/inv 1.pdf', size: 13, contentType: 'application/pdf' });
    expect(events[0]!.data.generation).toBe(res.headers.get('x-goog-generation'));
  });

  it.each([
    ['another content type', { 'content-type': 'text/html', 'x-goog-content-length-range': '0,1000' }, 'x', 403, 'SignatureDoesNotMatch'],
    ['a body beyond the signed range', { 'content-type': 'application/pdf', 'x-goog-content-length-range': '0,1000' }, 'x'.repeat(1001), 400, 'EntityTooLarge'],
    ['a missing signed header', { 'content-type': 'application/pdf' }, 'x', 403, 'SignatureDoesNotMatch'],
    ['a widened range header', { 'content-type': 'application/pdf', 'x-goog-content-length-range': '0,99999' }, 'x', 403, 'SignatureDoesNotMatch'],
  ])('refuses %s', async (_label, headers, body, status, code) => {
    server = await startGcsTestServer({ buckets: ['inbox'], signers: { [EMAIL]: { publicKey: signing.publicKey } } });
    const res = await put(await signedPutUrl(server.url, 'a.pdf'), body, headers);
    expect(res.status).toBe(status);
    expect(await res.text()).toContain(`<Code>${code}</Code>`);
    expect(server.object('inbox', 'a.pdf')).toBeUndefined();
  });

  it('refuses a signature from another key, an expired URL and a URL that does not sign the length range', async () => {
    const other = keyPair();
    server = await startGcsTestServer({ buckets: ['inbox'], signers: { [EMAIL]: { publicKey: other.publicKey } } });
    const headers = { 'content-type': 'application/pdf', 'x-goog-content-length-range': '0,1000' };
    expect((await put(await signedPutUrl(server.url, 'a.pdf'), 'x', headers)).status).toBe(403);
    const storage = new Storage({ apiEndpoint: server.url, projectId: 'p', credentials: { client_email: EMAIL, private_key: signing.privateKey } });
    const [unbounded] = await storage.bucket('inbox').file('a.pdf').getSignedUrl({ version: 'v4', action: 'write', expires: Date.now() + 60_000, contentType: 'application/pdf' });
    const res = await put(unbounded, 'x', { 'content-type': 'application/pdf' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('x-goog-content-length-range');
    await server.close();

    server = await startGcsTestServer({ buckets: ['inbox'], now: () => new Date(Date.now() + 3_600_000) });
    const expired = await put(await signedPutUrl(server.url, 'a.pdf', 'application/pdf', '0,1000', 60_000), 'x', headers);
    expect(await expired.text()).toContain('ExpiredToken');

  });
});

describe('Cloud Storage test server: JSON API', () => {
  it('posts finalize CloudEvents in binary mode with Eventarc-shaped data', async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    try {
      server = await startGcsTestServer({ buckets: ['inbox'], notifyUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/` });
      const store = createGcsBlobStore(new Storage({ apiEndpoint: server.url, projectId: 'p' }));
      const stat = await store.write({ bucket: 'inbox', name: 'a/b.xml' }, '<Invoice/>', { contentType: 'application/xml' });
      await server.idle();
      expect(received).toHaveLength(1);
      expect(received[0]!.headers).toMatchObject({
        'ce-specversion': '1.0',
        'ce-type': 'google.cloud.storage.object.v1.finalized',
        'ce-source': '//storage.googleapis.com/projects/_/buckets/inbox',
        'ce-subject': 'objects/a/b.xml',
      });
      const data = JSON.parse(received[0]!.body) as Record<string, unknown>;
      expect(data).toMatchObject({ bucket: 'inbox', name: 'a/b.xml', generation: stat.generation, size: '10', contentType: 'application/xml' });
      expect(typeof data['timeCreated']).toBe('string');
    } finally {
      sink.close();
    }
  });

  it('serves the client without the /storage/v1 prefix when STORAGE_EMULATOR_HOST is set', async () => {
    server = await startGcsTestServer({ buckets: ['inbox'], defaultPageSize: 1 });
    process.env.STORAGE_EMULATOR_HOST = server.url;
    try {
      const storage = new Storage({ projectId: 'p' });
      const store = createGcsBlobStore(storage);
      await store.write({ bucket: 'inbox', name: 'x/1.txt' }, 'one');
      await store.write({ bucket: 'inbox', name: 'x/2.txt' }, 'two');
      expect(new TextDecoder().decode(await store.read({ bucket: 'inbox', name: 'x/2.txt' }))).toBe('two');
      expect((await store.list('inbox', 'x/')).map((s) => s.name)).toEqual(['x/1.txt', 'x/2.txt']);
      const [exists] = await storage.bucket('inbox').exists();
      expect(exists).toBe(true);
      expect(server.requests.filter((r) => r === 'GET list')).toHaveLength(2);
      expect(server.requests).toContain('POST upload:multipart');
      expect(server.requests).toContain('GET object:media');
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
  });

  it('answers raw JSON API calls with the service status codes', async () => {
    server = await startGcsTestServer({ buckets: ['inbox'] });
    const media = (q: string, body: string) =>
      fetch(`${server!.url}/upload/storage/v1/b/inbox/o?uploadType=media&name=r.txt${q}`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    const created = (await (await media('&ifGenerationMatch=0', 'a')).json()) as { generation: string; size: string };
    expect(created.size).toBe('1');
    const conflict = await media('&ifGenerationMatch=0', 'b');
    expect(conflict.status).toBe(412);
    expect(((await conflict.json()) as { error: { errors: Array<{ reason: string }> } }).error.errors[0]!.reason).toBe('conditionNotMet');
    expect((await fetch(`${server.url}/storage/v1/b/inbox/o/missing`)).status).toBe(404);
    expect((await fetch(`${server.url}/storage/v1/b/nope/o`)).status).toBe(404);
    const ranged = await fetch(`${server.url}/storage/v1/b/inbox/o/r.txt?alt=media`, { headers: { range: 'bytes=0-0' } });
    expect(ranged.status).toBe(206);
    expect((await fetch(`${server.url}/storage/v1/b/inbox/o/r.txt?ifGenerationMatch=1`, { method: 'DELETE' })).status).toBe(412);
    expect((await fetch(`${server.url}/storage/v1/b/inbox/o/r.txt?ifGenerationMatch=${created.generation}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('maps a 412 from a write into PreconditionFailedError through the real client', async () => {
    server = await startGcsTestServer({ buckets: ['inbox'] });
    const store = createGcsBlobStore(new Storage({ apiEndpoint: server.url, projectId: 'p' }));
    await store.write({ bucket: 'inbox', name: 'a' }, 'x', { ifGenerationMatch: '0' });
    await expect(store.write({ bucket: 'inbox', name: 'a' }, 'y', { ifGenerationMatch: '0' })).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(store.read({ bucket: 'nope', name: 'a' })).rejects.toThrow(/not found/);
  });
});

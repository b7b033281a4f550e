import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CRC32C } from '@google-cloud/storage';
import { checkContentLengthRange, SignedUrlError, verifySignedRequest, type SignerKey } from './signed-url.js';

/**
 * An in-process Cloud Storage server for tests: the JSON API subset the GCS adapter and the client library
 * use (bucket and object metadata, `alt=media` downloads, multipart and media uploads with generation
 * preconditions, prefix listing with pagination, deletes), V4 signed-URL PUTs on the XML API path, and
 * finalize notifications shaped like Eventarc's `google.cloud.storage.object.v1.finalized` CloudEvents.
 *
 * Written by hand because no Cloud Storage emulator installs from npm (fake-gcs-server is a Go program,
 * firebase-tools' emulator needs Java 21 and downloads). It answers with the status codes and JSON error
 * bodies of the real service so that the client's own error mapping is exercised, not bypassed.
 */

/** The HTTP headers of a CloudEvent in binary content mode, as Eventarc posts a finalize event. */
export function binaryModeHeaders(event: FinalizedEvent): Record<string, string> {
  return {
    'content-type': 'application/json',
    'ce-specversion': event.specversion,
    'ce-id': event.id,
    'ce-source': event.source,
    'ce-type': event.type,
    'ce-subject': event.subject,
    'ce-time': event.time,
  };
}

/**
 * The Pub/Sub message Cloud Storage publishes for `event` through a notification configuration with payload
 * format JSON_API_V1 (https://cloud.google.com/storage/docs/pubsub-notifications): the object resource as
 * JSON data and the notification's attributes.
 */
export function storageNotificationOf(event: FinalizedEvent, notificationConfig = 'projects/_/buckets/inbox/notificationConfigs/1') {
  return {
    data: Buffer.from(JSON.stringify(event.data)),
    attributes: {
      notificationConfig,
      eventType: 'OBJECT_FINALIZE',
      payloadFormat: 'JSON_API_V1',
      bucketId: event.data.bucket,
      objectId: event.data.name,
      objectGeneration: event.data.generation,
      eventTime: event.time,
    },
  };
}

export interface StoredObject {
  bucket: string;
  name: string;
  data: Buffer;
  generation: string;
  metageneration: string;
  contentType: string;
  metadata?: Record<string, string> | undefined;
  timeCreated: string;
  updated: string;
  md5Hash: string;
  crc32c: string;
  etag: string;
}

/** The data of a `google.cloud.storage.object.v1.finalized` event (StorageObjectData as JSON). */
export type StorageObjectData = ReturnType<typeof resourceOf>;

export interface FinalizedEvent {
  /** CloudEvent context attributes, as Eventarc sets them. */
  specversion: '1.0';
  id: string;
  source: string;
  type: 'google.cloud.storage.object.v1.finalized';
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: StorageObjectData;
}

export interface GcsTestServerOptions {
  /** Buckets that exist from the start. */
  buckets?: string[];
  /** Called after each object is finalized (upload or signed PUT committed). */
  onFinalize?: (event: FinalizedEvent) => void | Promise<void>;
  /** POSTs each finalize event to this URL as a binary-mode CloudEvent (ce-* headers), like Eventarc. */
  notifyUrl?: string;
  /** Known signers for signed URLs; without it signatures are not verified (their parameters still are). */
  signers?: Record<string, SignerKey>;
  /** Headers a signed URL must sign; default content-type and x-goog-content-length-range. */
  requiredSignedHeaders?: string[];
  /** Page size when a list request gives no maxResults (the service's default is 1,000). */
  defaultPageSize?: number;
  now?: () => Date;
}

export interface GcsTestServer {
  /** `http://127.0.0.1:PORT`: the client's `apiEndpoint` or `STORAGE_EMULATOR_HOST`. */
  url: string;
  createBucket(name: string): void;
  /** The stored object, or undefined. */
  object(bucket: string, name: string): StoredObject | undefined;
  /** Resolves once every notification started so far was delivered (or failed). */
  idle(): Promise<void>;
  /** Deletes every object of every bucket (buckets stay). */
  reset(): void;
  /** Requests served, by `METHOD path-kind` (e.g. `POST upload:multipart`), for assertions on client behaviour. */
  readonly requests: string[];
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason = 'invalid',
  ) {
    super(message);
  }
}

const PRECONDITION = 'At least one of the pre-conditions you specified did not hold.';

function resourceOf(o: StoredObject, baseUrl: string) {
  const encoded = encodeURIComponent(o.name);
  return {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${o.bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${o.bucket}/o/${encoded}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: o.metageneration,
    contentType: o.contentType,
    storageClass: 'STANDARD',
    size: String(o.data.length),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: o.etag,
    timeCreated: o.timeCreated,
    updated: o.updated,
    timeStorageClassUpdated: o.timeCreated,
    ...(o.metadata ? { metadata: o.metadata } : {}),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Splits a multipart/related body (RFC 2387) into its parts' headers and bytes. */
function parseMultipart(body: Buffer, contentType: string): Array<{ headers: Record<string, string>; body: Buffer }> {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new HttpError(400, 'multipart upload without a boundary');
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: Array<{ headers: Record<string, string>; body: Buffer }> = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    let partStart = start + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break;
    if (body.subarray(partStart, partStart + 2).toString() === '\r\n') partStart += 2;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) throw new HttpError(400, 'unterminated multipart body');
    const part = body.subarray(partStart, next - 2); // drop the CRLF before the delimiter
    const split = part.indexOf('\r\n\r\n');
    if (split === -1) throw new HttpError(400, 'multipart part without headers');
    const headers: Record<string, string> = {};
    for (const line of part.subarray(0, split).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: part.subarray(split + 4) });
    start = next;
  }
  return parts;
}

const UploadMetadata = (json: unknown) => {
  if (json === null || typeof json !== 'object') throw new HttpError(400, 'object metadata must be a JSON object');
  const o = json as Record<string, unknown>;
  const metadata = o['metadata'];
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object')) throw new HttpError(400, 'metadata must be a map');
  return {
    name: typeof o['name'] === 'string' ? o['name'] : undefined,
    contentType: typeof o['contentType'] === 'string' ? o['contentType'] : undefined,
    metadata: metadata as Record<string, string> | undefined,
  };
};

function validObjectName(name: string | undefined | null): string {
  // The service's rules: 1-1024 bytes of UTF-8, no CR/LF, not "." or "..".
  if (!name || Buffer.byteLength(name) > 1024 || /[\r\n]/.test(name) || name === '.' || name === '..') {
    throw new HttpError(400, 'invalid object name');
  }
  return name;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startGcsTestServer(options: GcsTestServerOptions = {}): Promise<GcsTestServer> {
  const now = options.now ?? (() => new Date());
  const buckets = new Map<string, Map<string, StoredObject>>();
  for (const b of options.buckets ?? []) buckets.set(b, new Map());
  const pending = new Set<Promise<void>>();
  const requests: string[] = [];
  let lastGeneration = 0n;
  let baseUrl = '';

  // Generations are microsecond timestamps on the service; strictly increasing here even within a microsecond.
  const nextGeneration = () => {
    const micros = BigInt(now().getTime()) * 1000n;
    lastGeneration = micros > lastGeneration ? micros : lastGeneration + 1n;
    return lastGeneration.toString();
  };

  const bucketOf = (name: string) => {
    const b = buckets.get(name);
    if (!b) throw new HttpError(404, 'The specified bucket does not exist.', 'notFound');
    return b;
  };

  const checkPreconditions = (current: StoredObject | undefined, q: URLSearchParams) => {
    const match = q.get('ifGenerationMatch');
    if (match !== null) {
      if (!/^\d+$/.test(match)) throw new HttpError(400, 'ifGenerationMatch must be an int64');
      const ok = match === '0' ? current === undefined : current?.generation === match;
      if (!ok) throw new HttpError(412, PRECONDITION, 'conditionNotMet');
    }
    const notMatch = q.get('ifGenerationNotMatch');
    if (notMatch !== null && (notMatch === '0' ? current !== undefined : current?.generation === notMatch)) {
      throw new HttpError(412, PRECONDITION, 'conditionNotMet');
    }
    const metaMatch = q.get('ifMetagenerationMatch');
    if (metaMatch !== null && current?.metageneration !== metaMatch) throw new HttpError(412, PRECONDITION, 'conditionNotMet');
  };

  const notify = (o: StoredObject) => {
    const data = resourceOf(o, 'https://storage.googleapis.com');
    const event: FinalizedEvent = {
      specversion: '1.0',
      id: randomUUID(),
      source: `//storage.googleapis.com/projects/_/buckets/${o.bucket}`,
      type: 'google.cloud.storage.object.v1.finalized',
      subject: `objects/${o.name}`,
      time: o.updated,
      datacontenttype: 'application/json',
      data,
    };
    const deliver = async () => {
      if (options.onFinalize) await options.onFinalize(event);
      if (options.notifyUrl) {
        await fetch(options.notifyUrl, {
          method: 'POST',
          headers: binaryModeHeaders(event),
          body: JSON.stringify(data),
        });
      }
    };
    const p = deliver()
      .catch(() => undefined) // a failed delivery is the receiver's problem, as with Eventarc without retries
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  /** Validates preconditions and stores the object in one synchronous step (no await: atomic per name). */
  const commit = (
    bucket: string,
    name: string,
    data: Buffer,
    contentType: string | undefined,
    metadata: Record<string, string> | undefined,
    q: URLSearchParams,
  ): StoredObject => {
    const objects = bucketOf(bucket);
    checkPreconditions(objects.get(name), q);
    const time = now().toISOString();
    const crc = new CRC32C();
    crc.update(data);
    const stored: StoredObject = {
      bucket,
      name,
      data,
      generation: nextGeneration(),
      metageneration: '1',
      contentType: contentType || 'application/octet-stream',
      metadata,
      timeCreated: time,
      updated: time,
      md5Hash: createHash('md5').update(data).digest('base64'),
      crc32c: crc.toString(),
      etag: randomUUID().replace(/-/g, '').slice(0, 16),
    };
    objects.set(name, stored);
    notify(stored);
    return stored;
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const sendObjectMedia = (req: IncomingMessage, res: ServerResponse, o: StoredObject) => {
    const headers: Record<string, string | number> = {
      'content-type': o.contentType,
      'x-goog-generation': o.generation,
      'x-goog-metageneration': o.metageneration,
      'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': o.data.length,
      etag: o.etag,
    };
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range && (range[1] || range[2])) {
      const size = o.data.length;
      const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      const slice = o.data.subarray(start, end + 1);
      // A partial body cannot be checked against whole-object hashes.
      delete headers['x-goog-hash'];
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': slice.length });
      res.end(slice);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': o.data.length });
    res.end(o.data);
  };

  const getObject = (bucket: string, name: string, q: URLSearchParams) => {
    const o = bucketOf(bucket).get(name);
    const generation = q.get('generation');
    if (!o || (generation !== null && generation !== o.generation)) {
      throw new HttpError(404, `No such object: ${bucket}/${name}`, 'notFound');
    }
    return o;
  };

  const list = (bucket: string, q: URLSearchParams) => {
    const objects = bucketOf(bucket);
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxResults = Math.min(Number(q.get('maxResults') ?? options.defaultPageSize ?? 1000) || 1000, 1000);
    const after = q.get('pageToken') ? Buffer.from(q.get('pageToken')!, 'base64url').toString('utf8') : '';
    // Names sort by their UTF-8 bytes on the service; JS string order matches it outside surrogate pairs.
    const names = [...objects.keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
    const items: StoredObject[] = [];
    const prefixes = new Set<string>();
    let last = '';
    for (const n of names) {
      if (items.length + prefixes.size >= maxResults) break;
      const rest = n.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + delimiter.length));
      else items.push(objects.get(n)!);
      last = n;
    }
    const more = names.some((n) => n > last) && last !== '';
    return {
      kind: 'storage#objects',
      ...(items.length ? { items: items.map((o) => resourceOf(o, baseUrl)) } : {}),
      ...(prefixes.size ? { prefixes: [...prefixes] } : {}),
      ...(more ? { nextPageToken: Buffer.from(last).toString('base64url') } : {}),
    };
  };

  const handleSignedPut = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const name = validObjectName(rest.map(decodeURIComponent).join('/'));
    const bucketName = decodeURIComponent(bucket);
    try {
      if (req.method !== 'PUT') throw new SignedUrlError(405, 'MethodNotAllowed', 'signed URLs here accept PUT only');
      verifySignedRequest(
        { method: 'PUT', bucket: bucketName, object: name, query: url.searchParams, headers: req.headers },
        {
          now: now(),
          requiredSignedHeaders: options.requiredSignedHeaders ?? ['content-type', 'x-goog-content-length-range'],
          ...(options.signers ? { signers: options.signers } : {}),
        },
      );
      const body = await readBody(req);
      checkContentLengthRange(req.headers, body.length);
      if (!buckets.has(bucketName)) throw new SignedUrlError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
      const q = new URLSearchParams();
      const match = req.headers['x-goog-if-generation-match'];
      if (typeof match === 'string') q.set('ifGenerationMatch', match);
      let stored: StoredObject;
      try {
        stored = commit(bucketName, name, body, req.headers['content-type'], undefined, q);
      } catch (err) {
        if (err instanceof HttpError && err.status === 412) throw new SignedUrlError(412, 'PreconditionFailed', err.message);
        throw err;
      }
      res.writeHead(200, { etag: `"${Buffer.from(stored.md5Hash, 'base64').toString('hex')}"`, 'x-goog-generation': stored.generation });
      res.end();
    } catch (err) {
      if (!(err instanceof SignedUrlError)) throw err;
      req.resume();
      const xml = `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${err.code}</Code><Message>${err.message}</Message></Error>`;
      res.writeHead(err.status, { 'content-type': 'application/xml; charset=UTF-8' });
      res.end(xml);
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    if (q.has('X-Goog-Algorithm')) {
      requests.push(`${req.method} signed-url`);
      return handleSignedPut(req, res, url);
    }
    // With STORAGE_EMULATOR_HOST the client sends JSON API calls without the /storage/v1 prefix.
    const path = url.pathname.replace(/^\/(storage|download\/storage)\/v1(?=\/)/, '');
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (upload && req.method === 'POST') {
      const bucket = decodeURIComponent(upload[1]!);
      const type = q.get('uploadType');
      requests.push(`POST upload:${type}`);
      const body = await readBody(req);
      if (type === 'multipart') {
        const [meta, media] = parseMultipart(body, String(req.headers['content-type'] ?? ''));
        if (!meta || !media) throw new HttpError(400, 'a multipart upload needs a metadata and a media part');
        const m = UploadMetadata(JSON.parse(meta.body.toString('utf8')));
        const name = validObjectName(q.get('name') ?? m.name);
        const stored = commit(bucket, name, Buffer.from(media.body), m.contentType ?? media.headers['content-type'], m.metadata, q);
        return json(res, 200, resourceOf(stored, baseUrl));
      }
      if (type === 'media') {
        const name = validObjectName(q.get('name'));
        const stored = commit(bucket, name, body, req.headers['content-type'], undefined, q);
        return json(res, 200, resourceOf(stored, baseUrl));
      }
      throw new HttpError(400, `uploadType ${type} is not supported by this test server`);
    }
    const objectPath = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (objectPath) {
      const bucket = decodeURIComponent(objectPath[1]!);
      const name = decodeURIComponent(objectPath[2]!);
      if (req.method === 'GET') {
        const o = getObject(bucket, name, q);
        if (q.get('alt') === 'media') {
          requests.push('GET object:media');
          return sendObjectMedia(req, res, o);
        }
        requests.push('GET object:metadata');
        return json(res, 200, resourceOf(o, baseUrl));
      }
      if (req.method === 'DELETE') {
        requests.push('DELETE object');
        const objects = bucketOf(bucket);
        const current = getObject(bucket, name, q);
        checkPreconditions(current, q);
        objects.delete(name);
        res.writeHead(204).end();
        return;
      }
    }
    const listPath = /^\/b\/([^/]+)\/o$/.exec(path);
    if (listPath && req.method === 'GET') {
      requests.push('GET list');
      return json(res, 200, list(decodeURIComponent(listPath[1]!), q));
    }
    const bucketPath = /^\/b\/([^/]+)$/.exec(path);
    if (bucketPath && req.method === 'GET') {
      requests.push('GET bucket');
      const name = decodeURIComponent(bucketPath[1]!);
      bucketOf(name);
      return json(res, 200, { kind: 'storage#bucket', id: name, name, location: 'US', storageClass: 'STANDARD', metageneration: '1' });
    }
    throw new HttpError(404, `not served by the test server: ${req.method} ${url.pathname}`, 'notFound');
  };

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof SyntaxError ? 400 : 500;
      const reason = err instanceof HttpError ? err.reason : 'backendError';
      const message = err instanceof Error ? err.message : String(err);
      req.resume();
      if (!res.headersSent) json(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  const idle = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    url: baseUrl,
    requests,
    createBucket(name) {
      if (!buckets.has(name)) buckets.set(name, new Map());
    },
    object: (bucket, name) => buckets.get(bucket)?.get(name),
    idle,
    reset() {
      for (const objects of buckets.values()) objects.clear();
    },
    async close() {
      await idle();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

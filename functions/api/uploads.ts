/**
 * Uploads through the API. Two ways in, both ending as an object in the inbox bucket (whose finalize event
 * starts the pipeline, and whose `bucket/name#generation` gives the invoice id):
 *
 * - **Signed upload URLs** for browsers: the server chooses the object name and binds the content type, the
 *   exact declared size and an expiry. On GCP a V4 signed PUT straight to Cloud Storage
 *   (`x-goog-content-length-range: <size>,<size>`); locally an HMAC-signed URL served by the local server itself,
 *   which checks the same four things before writing into the local inbox bucket.
 * - **Direct upload** (integrations): a small file in the request body, its type sniffed from its magic bytes.
 *   An `Idempotency-Key` makes a retried request (or two sent at once) one invoice.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { detectFileType, mimeTypeOf } from '../core/invoice/file-type.js';
import { invoiceIdFor, sha256Hex } from '../core/pipeline/invoice-id.js';
import { PreconditionFailedError, type BlobStat, type BlobStore } from '../core/ports.js';
import { sanitizeFileName, UPLOAD_CONTENT_TYPES, CONTENT_LENGTH_RANGE_HEADER, type UploadSigner } from '../platform/gcp/signed-url.js';
import { ApiProblem } from './problem.js';

export { UPLOAD_CONTENT_TYPES, sanitizeFileName };

/**
 * `<prefix><yyyy>/<mm>/<dd>/<uuid>/<sanitized name>` (UTC): unique by its uuid folder, and the last segment is
 * the caller's file name as stored safely, which is what the pipeline records as the invoice's file name.
 */
export function apiObjectName(prefix: string, fileName: string, now: Date, id: string = randomUUID()): string {
  const day = now.toISOString().slice(0, 10).split('-').join('/');
  return `${prefix}${day}/${id}/${sanitizeFileName(fileName)}`;
}

export interface SignRequest {
  bucket: string;
  objectName: string;
  contentType: string;
  sizeBytes: number;
  now: Date;
  expires: Date;
}

/** Where a browser PUTs a file: the URL and the headers it must send exactly. */
export interface UploadTarget {
  sign(request: SignRequest): Promise<{ url: string; headers: Record<string, string> }>;
}

/** GCP: a V4 signed URL (see platform/gcp/signed-url.ts) bound to exactly `sizeBytes`. */
export function gcsUploadTarget(signer: UploadSigner): UploadTarget {
  return {
    async sign({ bucket, objectName, contentType, sizeBytes, now, expires }) {
      const range = `${sizeBytes},${sizeBytes}`;
      const url = await signer({ bucket, objectName, contentType, extensionHeaders: { [CONTENT_LENGTH_RANGE_HEADER]: range }, accessibleAt: now, expires });
      return { url, headers: { 'Content-Type': contentType, [CONTENT_LENGTH_RANGE_HEADER]: range } };
    },
  };
}

export const LOCAL_UPLOAD_PATH = '/v1/uploads/local';

export const LocalUploadQuerySchema = z.object({
  object: z.string().min(1).max(1024),
  type: z.string().min(1).max(100),
  size: z.string().regex(/^\d{1,12}$/),
  expires: z.string().regex(/^\d{1,12}$/),
  signature: z.string().regex(/^[0-9a-f]{64}$/),
});
export type LocalUploadQuery = z.infer<typeof LocalUploadQuerySchema>;

const signingText = (q: Omit<LocalUploadQuery, 'signature'>) => ['PUT', q.object, q.type, q.size, q.expires].join('\n');
const hmac = (key: string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest('hex');

/** Local: an HMAC-signed URL of the local server (`PUT /v1/uploads/local?...`), checked by {@link verifyLocalUpload}. */
export function localUploadTarget(key: string, baseUrl: () => string): UploadTarget {
  return {
    async sign({ objectName, contentType, sizeBytes, expires }) {
      const q = { object: objectName, type: contentType, size: String(sizeBytes), expires: String(Math.floor(expires.getTime() / 1000)) };
      const params = new URLSearchParams({ ...q, signature: hmac(key, signingText(q)) });
      return { url: `${baseUrl()}${LOCAL_UPLOAD_PATH}?${params.toString()}`, headers: { 'Content-Type': contentType } };
    },
  };
}

/**
 * Checks a local signed PUT before any byte is stored: the signature over (object, type, size, expiry), the
 * expiry, the Content-Type sent (exactly the signed one) and the declared Content-Length (exactly the signed
 * size). Throws {@link ApiProblem}; the body's real length is checked again while it is read.
 */
export function verifyLocalUpload(key: string, q: LocalUploadQuery, contentType: string | undefined, contentLength: string | undefined, now: Date): { size: number } {
  const expected = Buffer.from(hmac(key, signingText(q)), 'utf8');
  const given = Buffer.from(q.signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new ApiProblem('SIGNATURE_INVALID', 'the upload URL signature does not match');
  if (Number(q.expires) * 1000 < now.getTime()) throw new ApiProblem('SIGNATURE_INVALID', 'the upload URL has expired');
  if ((contentType ?? '').split(';')[0]!.trim().toLowerCase() !== q.type) throw new ApiProblem('SIGNATURE_INVALID', `Content-Type must be exactly ${q.type}`);
  const size = Number(q.size);
  if (contentLength === undefined) throw new ApiProblem('LENGTH_REQUIRED', 'send Content-Length');
  if (Number(contentLength) !== size) throw new ApiProblem('SIZE_MISMATCH', `the signed size is ${size} bytes`);
  return { size };
}

/** Reads a request body of at most `max` bytes (and exactly `exact` when given); throws 413 / SIZE_MISMATCH past it. */
export async function readBody(body: ReadableStream<Uint8Array> | null, max: number, exact?: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new ApiProblem('FILE_TOO_LARGE', `the body exceeds ${max} bytes`);
    }
    chunks.push(value);
  }
  if (exact !== undefined && total !== exact) throw new ApiProblem('SIZE_MISMATCH', `received ${total} bytes, the signed size is ${exact}`);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export interface AcceptedUpload {
  invoiceId: string;
  objectName: string;
  generation: string;
  /** True when an earlier request with the same Idempotency-Key already stored this file. */
  replayed: boolean;
}

/**
 * Stores a direct upload in the inbox. The type is sniffed from the bytes (the request's Content-Type is not
 * trusted); an empty file, an unsupported type or one above `maxBytes` is refused before anything is written.
 * With an idempotency key the object name is derived from (caller, key) and written only if absent: a retry or
 * a concurrent duplicate finds the first one's object and answers with its invoice (409 when the bytes differ).
 */
export async function acceptDirectUpload(
  blobs: BlobStore,
  options: { bucket: string; prefix: string; now: Date },
  input: { bytes: Uint8Array; fileName: string; callerId: string; idempotencyKey?: string | undefined },
): Promise<AcceptedUpload> {
  if (input.bytes.byteLength === 0) throw new ApiProblem('FILE_EMPTY', 'the request body is empty');
  const type = detectFileType(input.bytes);
  if (type === 'unknown' || !(mimeTypeOf(type) in UPLOAD_CONTENT_TYPES)) {
    throw new ApiProblem('UNSUPPORTED_TYPE', `not a PDF, PNG, JPEG, TIFF, WebP or XML file (by its content); accepted: ${Object.keys(UPLOAD_CONTENT_TYPES).join(', ')}`);
  }
  const contentType = mimeTypeOf(type);
  const sha = sha256Hex(input.bytes);
  const safeName = sanitizeFileName(input.fileName);
  if (!input.idempotencyKey) {
    const objectName = apiObjectName(options.prefix, safeName, options.now);
    const stat = await blobs.write({ bucket: options.bucket, name: objectName }, input.bytes, { contentType, ifGenerationMatch: '0', metadata: { sha256: sha } });
    return { invoiceId: invoiceIdFor(stat.bucket, stat.name, stat.generation), objectName, generation: stat.generation, replayed: false };
  }
  const keyHash = sha256Hex(new TextEncoder().encode(`${input.callerId}\n${input.idempotencyKey}`)).slice(0, 40);
  const folder = `${options.prefix}idempotent/${keyHash}/`;
  const objectName = `${folder}${safeName}`;
  const ref = { bucket: options.bucket, name: objectName };
  const earlier = (await blobs.list(options.bucket, folder)).find((s) => s.name !== objectName);
  if (earlier) throw new ApiProblem('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used for another file name');
  let stat: BlobStat;
  let replayed = false;
  try {
    stat = await blobs.write(ref, input.bytes, { contentType, ifGenerationMatch: '0', metadata: { sha256: sha } });
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    const existing = await blobs.stat(ref);
    if (!existing) throw new ApiProblem('CONFLICT', 'the earlier upload with this key disappeared; retry');
    const existingSha = (existing as BlobStat & { metadata?: Record<string, string> }).metadata?.['sha256'] ?? sha256Hex(await blobs.read(ref));
    if (existingSha !== sha) throw new ApiProblem('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used for other content');
    stat = existing;
    replayed = true;
  }
  return { invoiceId: invoiceIdFor(stat.bucket, stat.name, stat.generation), objectName, generation: stat.generation, replayed };
}

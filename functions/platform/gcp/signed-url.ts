/**
 * V4 signed upload URLs into the inbox bucket: the browser PUTs the file straight to Cloud Storage, so no
 * file body ever passes through a function, and the finalize event then starts the pipeline.
 *
 * What the signature binds (Cloud Storage refuses the PUT otherwise):
 * - the object name, chosen by the server (`inbox/<yyyy>/<mm>/<dd>/<uuid>-<sanitized name>`): a client can
 *   neither overwrite another upload nor write outside the inbox prefix;
 * - `Content-Type`: exactly the signed type; a different one is a signature mismatch;
 * - `x-goog-content-length-range: <size>,<size>`: exactly the size the caller declared (and the server checked
 *   against its limit); Cloud Storage rejects a body of any other length before it is stored, so the declared
 *   size cannot be used to pass the limit and then upload something else;
 * - the expiry (default 15 min).
 *
 * Browser PUTs need CORS on the inbox bucket (infra/modules/pipeline/buckets.tf sets it): origin = the web
 * page's origin only, methods PUT and OPTIONS (the preflight caused by the custom header), response headers
 * `Content-Type` and `x-goog-content-length-range` (both are sent by the browser and must be allowed), and a
 * preflight cache (max age). Without it the browser blocks the request before it reaches the signature check.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Storage } from '@google-cloud/storage';

/** Content types accepted for upload, with the file type the OCR stage will find by magic bytes. */
export const UPLOAD_CONTENT_TYPES: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/tiff': 'tiff',
  'image/webp': 'webp',
  'application/xml': 'xml',
  'text/xml': 'xml',
};

export const CONTENT_LENGTH_RANGE_HEADER = 'x-goog-content-length-range';

/** The body of an upload-url request. */
export const UploadRequestSchema = z.object({
  fileName: z.string().trim().min(1, 'fileName is required').max(1024, 'fileName is longer than 1024 characters'),
  contentType: z.string().trim().min(1, 'contentType is required'),
  sizeBytes: z.number().int('sizeBytes must be an integer').positive('sizeBytes must be positive'),
});
export type UploadRequest = z.infer<typeof UploadRequestSchema>;

export interface SignedUpload {
  url: string;
  method: 'PUT';
  /** Headers the client must send with the PUT, exactly as given. */
  headers: { 'Content-Type': string; 'x-goog-content-length-range': string };
  objectName: string;
  expiresAt: string;
}

/** A request that can never be signed (unsupported type, oversize): answered 400 with `code`. */
export class UploadRejectedError extends Error {
  override readonly name = 'UploadRejectedError';
  constructor(
    readonly code: 'UNSUPPORTED_TYPE' | 'FILE_TOO_LARGE',
    message: string,
  ) {
    super(message);
  }
}

/** Signs a V4 PUT URL; the GCP implementation is {@link createGcsUploadSigner}, tests may pass their own. */
export type UploadSigner = (request: {
  bucket: string;
  objectName: string;
  contentType: string;
  extensionHeaders: Record<string, string>;
  /** Start of the validity window (the signing time). */
  accessibleAt: Date;
  expires: Date;
}) => Promise<string>;

/**
 * Signs with `@google-cloud/storage` (`getSignedUrl` v4, action `write`). With a service-account key in the
 * client's credentials the signature is computed offline; without one (Cloud Functions) the library signs
 * through the IAM `signBlob` API as the function's own identity, which needs
 * `roles/iam.serviceAccountTokenCreator` on itself.
 */
export function createGcsUploadSigner(storage: Storage): UploadSigner {
  return async ({ bucket, objectName, contentType, extensionHeaders, accessibleAt, expires }) => {
    const [url] = await storage.bucket(bucket).file(objectName).getSignedUrl({
      version: 'v4',
      action: 'write',
      accessibleAt,
      expires,
      contentType,
      extensionHeaders,
    });
    return url;
  };
}

/**
 * A storage-safe version of a user's file name: ASCII letters, digits, `.`, `_` and `-` only (accents are
 * folded, everything else becomes `-`), no leading dots, at most 100 characters with the extension kept.
 * Never empty (`upload` when nothing is left).
 */
export function sanitizeFileName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const folded = base.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  let safe = folded.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[.-]+/, '').replace(/-+$/, '');
  if (safe.length > 100) {
    const dot = safe.lastIndexOf('.');
    const ext = dot > 0 && safe.length - dot <= 10 ? safe.slice(dot) : '';
    safe = safe.slice(0, 100 - ext.length).replace(/[.-]+$/, '') + ext;
  }
  return safe || 'upload';
}

/** `<prefix><yyyy>/<mm>/<dd>/<uuid>-<sanitized name>`, dated in UTC. */
export function uploadObjectName(prefix: string, fileName: string, now: Date, id: string = randomUUID()): string {
  const yyyy = String(now.getUTCFullYear()).padStart(4, '0');
  const mm = String(now.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(now.getUTCDate()).padStart(2, '0');
  return `${prefix}${yyyy}/${mm}/${dd}/${id}-${sanitizeFileName(fileName)}`;
}

export interface SignUploadOptions {
  bucket: string;
  objectPrefix: string;
  maxBytes: number;
  ttlSeconds: number;
  now: Date;
  /** Object id generator (a random UUID by default). */
  newId?: () => string;
}

/**
 * Issues a signed upload for a validated request. Throws {@link UploadRejectedError} for an unsupported
 * content type or a declared size above `maxBytes`; a signing failure propagates as is.
 */
export async function signUpload(signer: UploadSigner, request: UploadRequest, options: SignUploadOptions): Promise<SignedUpload> {
  // Parameters such as `; charset=utf-8` are dropped: the browser must send exactly the signed value.
  const contentType = request.contentType.split(';')[0]!.trim().toLowerCase();
  if (!(contentType in UPLOAD_CONTENT_TYPES)) {
    throw new UploadRejectedError(
      'UNSUPPORTED_TYPE',
      `content type ${contentType} is not accepted; use one of ${Object.keys(UPLOAD_CONTENT_TYPES).join(', ')}`,
    );
  }
  if (request.sizeBytes > options.maxBytes) {
    throw new UploadRejectedError('FILE_TOO_LARGE', `file of ${request.sizeBytes} bytes exceeds the limit of ${options.maxBytes} bytes`);
  }
  const objectName = uploadObjectName(options.objectPrefix, request.fileName, options.now, (options.newId ?? randomUUID)());
  const expires = new Date(options.now.getTime() + options.ttlSeconds * 1000);
  const headers = { 'Content-Type': contentType, [CONTENT_LENGTH_RANGE_HEADER]: `${request.sizeBytes},${request.sizeBytes}` } as SignedUpload['headers'];
  const url = await signer({
    bucket: options.bucket,
    objectName,
    contentType,
    extensionHeaders: { [CONTENT_LENGTH_RANGE_HEADER]: headers[CONTENT_LENGTH_RANGE_HEADER] },
    accessibleAt: options.now,
    expires,
  });
  return { url, method: 'PUT', headers, objectName, expiresAt: expires.toISOString() };
}

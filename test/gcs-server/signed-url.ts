import { createHash, createHmac, createVerify, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Verification of Cloud Storage V4 signed URLs
 * (https://cloud.google.com/storage/docs/authentication/canonical-requests and .../signatures).
 * Hand-written because no npm package verifies GOOG4 signatures; the client only generates them.
 */

/** A key the server knows for a credential id (service-account email or HMAC access id). */
export type SignerKey = { publicKey: string | KeyObject } | { hmacSecret: string };

export interface SignedRequest {
  method: string;
  bucket: string;
  object: string;
  /** Query parameters, decoded. */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface SignedUrlPolicy {
  now: Date;
  /** Signed headers every URL must cover (lower case); `host` is always required. */
  requiredSignedHeaders: readonly string[];
  /** Known signers by credential id; when undefined, signatures are not checked (parameters still are). */
  signers?: Readonly<Record<string, SignerKey>>;
}

/** A refusal with the XML API's error code and HTTP status. */
export class SignedUrlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ALGORITHMS = new Set(['GOOG4-RSA-SHA256', 'GOOG4-HMAC-SHA256']);
const MAX_EXPIRES_S = 7 * 24 * 3600;

/** RFC 3986 encoding: everything but A-Z a-z 0-9 - . _ ~ is percent-encoded. */
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function parseGoogDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(date.getTime()) ? null : date;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * The value a signed header must have had. The Node client signs `host` as the URL's hostname without the
 * port (real endpoints never carry one), so the port of the Host header is ignored for `host`.
 */
function canonicalHeaderValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headerValue(headers, name);
  if (raw === undefined) return undefined;
  const value = name === 'host' ? raw.replace(/:\d+$/, '') : raw;
  return value.trim().replace(/\s+/g, ' ');
}

/**
 * Checks a V4 signed request: algorithm, credential scope, date, expiry window, signed headers (all present
 * on the request, the required ones included) and, when the signer is known, the RSA or HMAC signature over
 * the canonical request rebuilt from what was actually received. A Content-Type other than the signed one
 * therefore fails as SignatureDoesNotMatch, as on Cloud Storage.
 * @throws SignedUrlError with the XML API error code.
 */
export function verifySignedRequest(req: SignedRequest, policy: SignedUrlPolicy): void {
  const q = req.query;
  const algorithm = q.get('X-Goog-Algorithm') ?? '';
  if (!ALGORITHMS.has(algorithm)) throw new SignedUrlError(400, 'InvalidArgument', `unsupported algorithm ${algorithm}`);
  const credential = q.get('X-Goog-Credential') ?? '';
  const scope = /^(.+)\/(\d{8})\/([a-z0-9-]+)\/storage\/goog4_request$/.exec(credential);
  if (!scope) throw new SignedUrlError(400, 'AuthorizationQueryParametersError', 'malformed X-Goog-Credential');
  const [, signerId, scopeDate, region] = scope as unknown as [string, string, string, string];
  const dateText = q.get('X-Goog-Date') ?? '';
  const signedAt = parseGoogDate(dateText);
  if (!signedAt || dateText.slice(0, 8) !== scopeDate) {
    throw new SignedUrlError(400, 'AuthorizationQueryParametersError', 'X-Goog-Date missing or not the credential date');
  }
  const expiresText = q.get('X-Goog-Expires') ?? '';
  const expires = /^\d+$/.test(expiresText) ? Number(expiresText) : NaN;
  if (!(expires >= 1 && expires <= MAX_EXPIRES_S)) {
    throw new SignedUrlError(400, 'AuthorizationQueryParametersError', 'X-Goog-Expires must be 1..604800 seconds');
  }
  const nowMs = policy.now.getTime();
  if (nowMs < signedAt.getTime() - 60_000) throw new SignedUrlError(400, 'RequestNotYetValid', 'signed for a later time');
  if (nowMs > signedAt.getTime() + expires * 1000) throw new SignedUrlError(400, 'ExpiredToken', 'the signed URL has expired');

  const signedHeaders = (q.get('X-Goog-SignedHeaders') ?? '').split(';').filter(Boolean);
  const sortedUnique = [...new Set(signedHeaders)].sort();
  if (signedHeaders.join(';') !== sortedUnique.join(';') || signedHeaders.some((h) => h !== h.toLowerCase())) {
    throw new SignedUrlError(400, 'AuthorizationQueryParametersError', 'X-Goog-SignedHeaders must be sorted lower-case names');
  }
  for (const required of new Set(['host', ...policy.requiredSignedHeaders])) {
    if (!signedHeaders.includes(required)) {
      throw new SignedUrlError(403, 'AccessDenied', `the URL must sign the ${required} header`);
    }
  }
  const canonicalHeaders = signedHeaders.map((name) => {
    const value = canonicalHeaderValue(req.headers, name);
    if (value === undefined) throw new SignedUrlError(403, 'SignatureDoesNotMatch', `signed header ${name} is missing`);
    return `${name}:${value}\n`;
  });

  const signature = q.get('X-Goog-Signature') ?? '';
  if (!/^[0-9a-f]+$/.test(signature)) throw new SignedUrlError(400, 'AuthorizationQueryParametersError', 'malformed signature');
  if (!policy.signers) return;
  const key = policy.signers[signerId];
  if (!key) throw new SignedUrlError(403, 'AccessDenied', 'unknown signer');

  const canonicalQuery = [...q.entries()]
    .filter(([k]) => k !== 'X-Goog-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const path = `/${rfc3986(req.bucket)}/${req.object.split('/').map(rfc3986).join('/')}`;
  const payloadHash = canonicalHeaderValue(req.headers, 'x-goog-content-sha256') ?? 'UNSIGNED-PAYLOAD';
  const canonicalRequest = [req.method, path, canonicalQuery, canonicalHeaders.join(''), signedHeaders.join(';'), payloadHash].join('\n');
  const stringToSign = [
    algorithm,
    dateText,
    `${scopeDate}/${region}/storage/goog4_request`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');

  let valid: boolean;
  if ('publicKey' in key) {
    if (algorithm !== 'GOOG4-RSA-SHA256') throw new SignedUrlError(403, 'SignatureDoesNotMatch', 'algorithm does not fit the key');
    valid = createVerify('RSA-SHA256').update(stringToSign).verify(key.publicKey, Buffer.from(signature, 'hex'));
  } else {
    if (algorithm !== 'GOOG4-HMAC-SHA256') throw new SignedUrlError(403, 'SignatureDoesNotMatch', 'algorithm does not fit the key');
    let k: Buffer = createHmac('sha256', `GOOG4${key.hmacSecret}`).update(scopeDate).digest();
    for (const part of [region, 'storage', 'goog4_request']) k = createHmac('sha256', k).update(part).digest();
    const expected = createHmac('sha256', k).update(stringToSign).digest();
    const given = Buffer.from(signature, 'hex');
    valid = given.length === expected.length && timingSafeEqual(given, expected);
  }
  if (!valid) throw new SignedUrlError(403, 'SignatureDoesNotMatch', 'the request signature does not match');
}

/**
 * Checks a body length against a signed `x-goog-content-length-range: min,max` header.
 * @throws SignedUrlError EntityTooSmall / EntityTooLarge.
 */
export function checkContentLengthRange(headers: IncomingHttpHeaders, length: number): void {
  const range = headerValue(headers, 'x-goog-content-length-range');
  if (range === undefined) return;
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(range);
  if (!m) throw new SignedUrlError(400, 'InvalidArgument', 'malformed x-goog-content-length-range');
  if (length < Number(m[1])) throw new SignedUrlError(400, 'EntityTooSmall', 'the body is smaller than the signed range');
  if (length > Number(m[2])) throw new SignedUrlError(400, 'EntityTooLarge', 'the body is larger than the signed range');
}

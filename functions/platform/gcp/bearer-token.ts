import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Application bearer tokens (`LEDGERX_API_TOKENS`), checked in addition to the platform's IAM authentication.
 *
 * Entry format, separated by commas or whitespace: `<token>` or `sha256:<64 hex>` (the token's SHA-256, so the
 * secret need not hold plain tokens), optionally followed by `#<roles>` (roles are read by the api function;
 * any valid token may request an upload URL).
 *
 * On Cloud Run / Cloud Functions gen2 the caller's IAM identity token can travel in
 * `X-Serverless-Authorization`, which leaves `Authorization: Bearer` free for this application token.
 */
export function bearerTokenAccepted(authorization: string | undefined, configured: readonly string[]): boolean {
  if (configured.length === 0) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return false;
  const presented = sha256(m[1]!);
  let ok = false;
  // Every entry is compared (no early exit) with constant-time equality on fixed-length digests.
  for (const entry of configured) {
    const secret = entry.split('#')[0]!;
    const expected = secret.startsWith('sha256:') ? Buffer.from(secret.slice(7), 'hex') : sha256(secret);
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) ok = true;
  }
  return ok;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `LedgerX-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is part of what is signed, so a captured request cannot be replayed later with a fresh
 * timestamp; a receiver refuses a timestamp outside its tolerance (5 minutes by default) and deduplicates by the
 * `LedgerX-Delivery` id (the same id for every retry of one delivery).
 */
export const SIGNATURE_HEADER = 'LedgerX-Signature';
export const DELIVERY_HEADER = 'LedgerX-Delivery';
export const EVENT_HEADER = 'LedgerX-Event';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The header value for `body` signed with `secret` at `now`. */
export function signWebhook(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${hmacHex(secret, `${t}.${body}`)}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: 'MALFORMED' | 'MISMATCH' | 'EXPIRED' };

/**
 * What a receiver does with a delivery (exported for receivers written in TypeScript and for the tests):
 * parses the header, recomputes the HMAC over the raw body, compares in constant time, and checks the
 * timestamp is within `toleranceSeconds` of `now` (either side).
 */
export function verifyWebhookSignature(secret: string, body: string, header: string | undefined | null, now: Date, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): SignatureCheck {
  if (!header) return { ok: false, reason: 'MALFORMED' };
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'MALFORMED' };
    const key = item.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  const signatures = parts.get('v1') ?? [];
  if (!Number.isInteger(t) || signatures.length === 0) return { ok: false, reason: 'MALFORMED' };
  const expected = Buffer.from(hmacHex(secret, `${t}.${body}`), 'utf8');
  const matches = signatures.some((s) => {
    const given = Buffer.from(s, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, reason: 'MISMATCH' };
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, timestamp: t };
}

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

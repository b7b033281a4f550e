/**
 * API keys: `lxk_<id>_<secret>`, the id public (it names the stored record), the secret 32 random bytes in
 * base64url, of which only the SHA-256 is stored. A key is shown once, when it is created.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord } from '../core/api/ports.js';
import type { Role } from '../core/api/roles.js';

const KEY_PATTERN = /^lxk_([a-z0-9]{8,32})_([A-Za-z0-9_-]{43})$/;

export interface IssuedKey {
  /** The full key, to hand to the caller once. */
  key: string;
  record: ApiKeyRecord;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A new key and its record (not stored yet). */
export function issueApiKey(name: string, role: Role, createdBy: string, now: Date): IssuedKey {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    key: `lxk_${id}_${secret}`,
    record: { id, name, role, secretSha256: sha256Hex(secret), createdAt: now.toISOString(), createdBy },
  };
}

/** The id and secret of a well-formed key, or null. */
export function parseApiKey(key: string): { id: string; secret: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('lxk_');
}

/** Constant-time comparison of the secret's hash with the stored one. */
export function secretMatches(secret: string, storedSha256: string): boolean {
  const a = Buffer.from(sha256Hex(secret), 'hex');
  const b = Buffer.from(storedSha256, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Bootstrap keys from a secret (GCP: the `api-tokens` Secret Manager secret, mounted as LEDGERX_API_TOKENS):
 * one entry per line or comma, `<name>:<role>:<key id>:<sha256 of the secret part>`. Lets an operator give an
 * automation an admin key without any Google identity; the key itself never lives in the secret.
 */
export function parseBootstrapKeys(text: string | undefined): Map<string, { secretSha256: string; role: Role; name: string }> {
  const out = new Map<string, { secretSha256: string; role: Role; name: string }>();
  for (const entry of (text ?? '').split(/[\n,]+/).map((e) => e.trim()).filter(Boolean)) {
    const [name, role, id, hash] = entry.split(':');
    if (!name || !id || !hash || !/^[0-9a-f]{64}$/.test(hash) || !['viewer', 'reviewer', 'admin'].includes(role ?? '')) {
      throw new Error('LEDGERX_API_TOKENS entries must be <name>:<role>:<key id>:<sha256 hex of the secret>');
    }
    out.set(id, { secretSha256: hash, role: role as Role, name });
  }
  return out;
}

/**
 * Authentication, roles and rate limits, applied per route (every route declares who may call it: see
 * functions/api/modules.ts). Credentials, in `Authorization: Bearer <credential>` (or `X-API-Key`):
 * - an API key `lxk_<id>_<secret>` (machines): looked up by id, its secret's SHA-256 compared in constant time;
 * - a Google ID token (browser users, GCP): verified (signature, issuer, expiry, audience), then the user's role
 *   comes from the configured email -> role table.
 * Missing credentials answer 401 UNAUTHENTICATED, bad ones 401 INVALID_CREDENTIALS, an expired token 401
 * EXPIRED_CREDENTIALS, a role below the route's 403 FORBIDDEN. Then the caller's rate limit is counted.
 */
import type { MiddlewareHandler } from 'hono';
import type { Principal, Role } from '../core/api/roles.js';
import { roleAllows } from '../core/api/roles.js';
import type { Access, ApiDeps, ApiEnv, Guard } from './context.js';
import { looksLikeApiKey, parseApiKey, secretMatches } from './api-keys.js';
import { IdTokenError } from './id-token.js';
import { ApiProblem } from './problem.js';
import { errorFields } from '../platform/logger.js';

export type { Access, Guard };

const KEY_CACHE_MS = 10_000;

/** The credential of a request, if any: the bearer token, else the X-API-Key header. */
function credentialOf(authorization: string | undefined, apiKeyHeader: string | undefined): string | null {
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new ApiProblem('INVALID_CREDENTIALS', 'the Authorization header must be "Bearer <credential>"');
    return m[1]!;
  }
  return apiKeyHeader?.trim() || null;
}

function roleOfUser(users: ApiDeps['users'], email: string | undefined, verified: boolean, hostedDomain: string | undefined): Role | undefined {
  if (!email || !verified) return undefined;
  const lower = email.toLowerCase();
  const exact = users.get(lower);
  if (exact) return exact;
  const domain = lower.slice(lower.lastIndexOf('@') + 1);
  // A domain-wide entry holds only for accounts of that Google Workspace domain (hd claim), not for any account
  // that merely registered an address of the domain.
  return hostedDomain?.toLowerCase() === domain ? users.get(`*@${domain}`) : undefined;
}

export function makeGuard(deps: ApiDeps): Guard {
  const keyCache = new Map<string, { at: number; principal: Principal | null; secretSha256: string }>();

  async function fromApiKey(token: string): Promise<Principal> {
    const parsed = parseApiKey(token);
    if (!parsed) throw new ApiProblem('INVALID_CREDENTIALS', 'malformed API key');
    const now = deps.clock.now().getTime();
    let cached = keyCache.get(parsed.id);
    if (!cached || now - cached.at > KEY_CACHE_MS) {
      const boot = deps.bootstrapKeys?.get(parsed.id);
      const record = boot ? null : await deps.keys.get(parsed.id);
      const principal: Principal | null = boot
        ? { id: `key:${parsed.id}`, kind: 'api-key', role: boot.role, label: boot.name }
        : record && !record.revokedAt
          ? { id: `key:${record.id}`, kind: 'api-key', role: record.role, label: record.name }
          : null;
      cached = { at: now, principal, secretSha256: boot?.secretSha256 ?? record?.secretSha256 ?? '0'.repeat(64) };
      keyCache.set(parsed.id, cached);
      if (keyCache.size > 5_000) keyCache.clear();
    }
    // Compare even for an unknown id, so timing does not tell known ids from unknown ones.
    const matches = secretMatches(parsed.secret, cached.secretSha256);
    if (!cached.principal || !matches) throw new ApiProblem('INVALID_CREDENTIALS', 'unknown or revoked API key');
    return cached.principal;
  }

  async function fromIdToken(token: string): Promise<Principal> {
    if (!deps.idTokens || token.split('.').length !== 3) throw new ApiProblem('INVALID_CREDENTIALS', 'not an API key or a Google ID token');
    let user;
    try {
      user = await deps.idTokens.verify(token);
    } catch (err) {
      if (err instanceof IdTokenError && err.expired) throw new ApiProblem('EXPIRED_CREDENTIALS', 'the ID token has expired: sign in again');
      throw new ApiProblem('INVALID_CREDENTIALS', 'the ID token does not verify');
    }
    const role = roleOfUser(deps.users, user.email, user.emailVerified, user.hostedDomain);
    if (!role) throw new ApiProblem('FORBIDDEN', 'this account has no LedgerX role');
    return { id: `user:${user.subject}`, kind: 'user', role, label: user.email ?? user.subject };
  }

  async function authenticate(authorization: string | undefined, apiKeyHeader: string | undefined): Promise<Principal> {
    const credential = credentialOf(authorization, apiKeyHeader);
    if (!credential) throw new ApiProblem('UNAUTHENTICATED', 'send an API key or a Google ID token as "Authorization: Bearer <credential>"');
    return looksLikeApiKey(credential) ? fromApiKey(credential) : fromIdToken(credential);
  }

  const guard = ((access: Access): MiddlewareHandler<ApiEnv> =>
    async (c, next) => {
      if (access === 'public' || access === 'signed') return next();
      const principal = await authenticate(c.req.header('authorization'), c.req.header('x-api-key'));
      if (!roleAllows(principal.role, access)) throw new ApiProblem('FORBIDDEN', `this route needs the ${access} role`);
      const limit = principal.kind === 'api-key' ? deps.settings.rateLimitPerMinute : deps.settings.userRateLimitPerMinute;
      const now = deps.clock.now();
      let rate;
      try {
        rate = await deps.rateLimiter.take(principal.id, limit, now);
      } catch (err) {
        // Fail open: an unavailable counter store must not take the API down with it (logged, and alerted on).
        c.get('log').warn('rate limit not counted', { ...errorFields(err), principal: principal.id });
        c.set('principal', principal);
        return next();
      }
      const resetSeconds = Math.max(1, Math.ceil((Date.parse(rate.resetAt) - now.getTime()) / 1000));
      c.header('RateLimit-Limit', String(rate.limit));
      c.header('RateLimit-Remaining', String(rate.remaining));
      c.header('RateLimit-Reset', String(resetSeconds));
      if (!rate.allowed) {
        throw new ApiProblem('RATE_LIMITED', `at most ${rate.limit} requests a minute for this identity`, {
          headers: { 'Retry-After': String(resetSeconds), 'RateLimit-Limit': String(rate.limit), 'RateLimit-Remaining': '0', 'RateLimit-Reset': String(resetSeconds) },
        });
      }
      c.set('principal', principal);
      c.set('log', c.get('log').child({ principal: principal.id }));
      return next();
    }) as Guard;
  guard.authenticate = authenticate;
  return guard;
}

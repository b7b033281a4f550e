/**
 * Every route of the OpenAPI document called with every role and with missing, malformed, unknown, revoked and
 * expired credentials (API keys and Google ID tokens minted here from a local RS256 key, the verifier given its
 * certificate). The list of routes comes from the document itself, and the document must list exactly the
 * routes the app serves: a new route cannot escape the matrix.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../functions/core/api/roles.js';
import { ACCESS_EXTENSION } from '../../functions/api/modules.js';
import { OPENAPI_PATH } from '../../functions/api/app.js';
import { AUDIENCE, googleKeys, mintIdToken, testApi, type TestApi } from './helpers.js';

type Operation = { method: string; path: string; access: string };

const ROLE_RANK: Record<Role, number> = { viewer: 0, reviewer: 1, admin: 2 };

/** A concrete URL for a templated path: ids that exist nowhere (so no route mutates anything real). */
function concrete(path: string): string {
  return path
    .replace('/v1/webhooks/{id}', '/v1/webhooks/wh_0000000000')
    .replace('/v1/api-keys/{id}', '/v1/api-keys/00000000ff')
    .replace('/v1/runs/{id}', '/v1/runs/run_none')
    .replace('/v1/jobs/{id}', '/v1/jobs/job_none')
    .replace('{name}', 'quality')
    .replace('{version}', 'v-none')
    .replace('{requestId}', 'req_none')
    .replace('{decision}', 'approve')
    .replace('{id}', 'inv_000000000000000000000000')
    .replace('{page}', '1');
}

describe('the API: OpenAPI document and the route x role matrix', () => {
  let api: TestApi;
  let doc: { paths: Record<string, Record<string, Record<string, unknown>>> };
  let operations: Operation[];
  const google = googleKeys();
  const users: Record<string, Role> = { 'viewer@example.com': 'viewer', 'reviewer@example.com': 'reviewer', 'admin@example.com': 'admin', '*@corp.example': 'viewer' };

  beforeAll(async () => {
    api = await testApi({ users, certs: google.certs, settings: { eventStreamSeconds: 0.2 } });
    const res = await api.request(OPENAPI_PATH);
    expect(res.status).toBe(200);
    doc = (await res.json()) as typeof doc;
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, access: String(op[ACCESS_EXTENSION]) })),
    );
  });
  afterAll(async () => api?.dispose());

  it('is a valid OpenAPI 3.1 document', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
    expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('lists exactly the routes the app serves, each with its access', () => {
    const served = api.app.routes
      .filter((r) => r.method !== 'ALL' && r.path !== OPENAPI_PATH)
      .map((r) => `${r.method} ${r.path}`);
    const documented = operations.map((o) => `${o.method} ${o.path.replace(/\{(\w+)\}/g, ':$1')}`);
    expect([...new Set(served)].sort()).toEqual([...documented].sort());
    for (const op of operations) expect(['public', 'signed', 'viewer', 'reviewer', 'admin'], `${op.method} ${op.path}`).toContain(op.access);
    expect(operations.length).toBeGreaterThanOrEqual(20);
  });

  const credentials = (): Array<{ name: string; header: Record<string, string>; role?: Role; expect?: { status: number; code: string } }> => {
    const now = Math.floor(Date.now() / 1000);
    return [
      { name: 'viewer key', header: { authorization: `Bearer ${api.keys.viewer}` }, role: 'viewer' },
      { name: 'reviewer key', header: { authorization: `Bearer ${api.keys.reviewer}` }, role: 'reviewer' },
      { name: 'admin key', header: { 'x-api-key': api.keys.admin }, role: 'admin' },
      { name: 'viewer user', header: { authorization: `Bearer ${mintIdToken(google.privateKey, google.kid, { email: 'viewer@example.com', sub: '1' })}` }, role: 'viewer' },
      { name: 'reviewer user', header: { authorization: `Bearer ${mintIdToken(google.privateKey, google.kid, { email: 'Reviewer@Example.com', sub: '2' })}` }, role: 'reviewer' },
      { name: 'admin user', header: { authorization: `Bearer ${mintIdToken(google.privateKey, google.kid, { email: 'admin@example.com', sub: '3' })}` }, role: 'admin' },
      { name: 'workspace domain user', header: { authorization: `Bearer ${mintIdToken(google.privateKey, google.kid, { email: 'x@corp.example', hd: 'corp.example', sub: '4' })}` }, role: 'viewer' },
      { name: 'no credentials', header: {}, expect: { status: 401, code: 'UNAUTHENTICATED' } },
      { name: 'a Basic header', header: { authorization: 'Basic dXNlcjpwYXNz' }, expect: { status: 401, code: 'INVALID_CREDENTIALS' } },
      { name: 'a malformed key', header: { authorization: 'Bearer lxk_short' }, expect: { status: 401, code: 'INVALID_CREDENTIALS' } },
      { name: 'an unknown key', header: { authorization: `Bearer lxk_0123456789abcdef_${'A'.repeat(43)}` }, expect: { status: 401, code: 'INVALID_CREDENTIALS' } },
      { name: 'a revoked key', header: { authorization: `Bearer ${revokedKey}` }, expect: { status: 401, code: 'INVALID_CREDENTIALS' } },
      { name: 'a malformed token', header: { authorization: 'Bearer not.a.jwt' }, expect: { status: 401, code: 'INVALID_CREDENTIALS' } },
      { name: 'an expired token', header: { authorization: `Bearer ${mintIdToken(google.privateKey, google.kid, { iat: now - 7200, exp: now - 3600 })}` }, expect: { status: 401, code: 'EXPIRED_CREDENTIALS' } },
      { name: 'a token for another app', header: { authorization: `Bearer ${mintIdToken(google.privateKey, google.kid, { aud: 'someone-else.apps.googleusercontent.com' })}` }, expect: { status: 401, code: 'INVALID_CREDENTIALS' } },
      { name: 'a token signed by another key', header: { authorization: `Bearer ${mintIdToken(googleKeys().privateKey, google.kid)}` }, expect: { status: 401, code: 'INVALID_CREDENTIALS' } },
      { name: 'an unverified email', header: { authorization: `Bearer ${mintIdToken(google.privateKey, google.kid, { email: 'admin@example.com', email_verified: false })}` }, expect: { status: 403, code: 'FORBIDDEN' } },
      { name: 'a domain address without its Workspace', header: { authorization: `Bearer ${mintIdToken(google.privateKey, google.kid, { email: 'y@corp.example', sub: '5' })}` }, expect: { status: 403, code: 'FORBIDDEN' } },
      { name: 'a user with no role', header: { authorization: `Bearer ${mintIdToken(google.privateKey, google.kid, { email: 'stranger@example.org' })}` }, expect: { status: 403, code: 'FORBIDDEN' } },
    ];
  };
  let revokedKey = '';

  it('answers every route, for every credential, as its access says', async () => {
    const revoked = await api.newKey('admin', 'to revoke');
    await api.deps.keys.revoke(revoked.id, new Date().toISOString());
    revokedKey = revoked.key;
    const failures: string[] = [];
    let calls = 0;
    for (const op of operations) {
      for (const cred of credentials()) {
        const init: RequestInit = { method: op.method, headers: { ...cred.header } };
        if (['POST', 'PUT', 'PATCH'].includes(op.method)) {
          (init.headers as Record<string, string>)['content-type'] = 'application/json';
          init.body = '{}';
        }
        const res = await api.app.request(concrete(op.path), init);
        calls += 1;
        const body = res.headers.get('content-type')?.includes('json') ? ((await res.json()) as { code?: string }) : (await res.body?.cancel(), {});
        const label = `${op.method} ${op.path} with ${cred.name} (${op.access})`;
        let want: string;
        let ok: boolean;
        if (op.access === 'public' || op.access === 'signed') {
          want = 'not 401/403/5xx';
          ok = ![401, 403].includes(res.status) || (op.access === 'signed' && body.code === 'SIGNATURE_INVALID');
          ok = ok && res.status < 500;
        } else if (cred.expect) {
          want = `${cred.expect.status} ${cred.expect.code}`;
          ok = res.status === cred.expect.status && body.code === cred.expect.code;
        } else if (ROLE_RANK[cred.role!] >= ROLE_RANK[op.access as Role]) {
          want = 'allowed (not 401/403/429/5xx; 501 NOT_AVAILABLE for what the runtime does not have)';
          ok = ![401, 403, 429].includes(res.status) && (res.status < 500 || (res.status === 501 && body.code === 'NOT_AVAILABLE'));
        } else {
          want = '403 FORBIDDEN';
          ok = res.status === 403 && body.code === 'FORBIDDEN';
        }
        if (!ok) failures.push(`${label}: got ${res.status} ${body.code ?? ''}, want ${want}`);
        if (res.status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    expect(failures).toEqual([]);
    expect(calls).toBe(operations.length * credentials().length);
    console.info(`[api] route x credential matrix: ${operations.length} routes x ${credentials().length} credentials = ${calls} calls`);
  });

  it('puts the security headers on every answer, errors included, and errors are problem+json with a stable code', async () => {
    for (const [path, key] of [['/v1/health', null], ['/v1/invoices', null], ['/v1/nope', api.keys.viewer], ['/v1/invoices', api.keys.viewer]] as const) {
      const res = await api.request(path, { key });
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'none'");
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-request-id')).toMatch(/\S/);
      // HSTS only where the API is always behind https (GCP).
      expect(res.headers.get('strict-transport-security')).toBeNull();
      if (res.status >= 400) {
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        const problem = (await res.json()) as Record<string, unknown>;
        expect(problem).toMatchObject({ status: res.status, code: expect.stringMatching(/^[A-Z_]+$/), type: expect.stringContaining('/problems/'), title: expect.any(String) });
      }
    }
    const gcp = await testApi({ local: false });
    try {
      expect((await gcp.request('/v1/health')).headers.get('strict-transport-security')).toContain('max-age=');
    } finally {
      await gcp.dispose();
    }
  });

  it('allows CORS for the page origin only', async () => {
    const cors = await testApi({ settings: { corsOrigins: ['https://app.example.com'] } });
    try {
      const preflight = await cors.request('/v1/invoices', {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const other = await cors.request('/v1/invoices', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const get = await cors.request('/v1/health', { headers: { origin: 'https://app.example.com' } });
      expect(get.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(get.headers.get('access-control-expose-headers')).toContain('Retry-After');
    } finally {
      await cors.dispose();
    }
  });

  it('checks ID tokens against the configured audience', () => {
    expect(AUDIENCE).toMatch(/apps\.googleusercontent\.com$/);
  });
});

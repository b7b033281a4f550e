/**
 * The web app's files served by the API app: page routes answer index.html, assets are served by their flat
 * names only (no traversal, no folders, no other files of the folder), every page answer carries the page CSP
 * (scripts and styles from this origin, nothing inline) in place of the API's, and API routes keep theirs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebSite, pageCsp } from '../../functions/api/web-site.js';
import { testApi, type TestApi } from './helpers.js';

describe('the web app served by the API', () => {
  let dir: string;
  let api: TestApi;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledgerx-web-site-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>x</title><script type="module" src="/app.js"></script>');
    await writeFile(join(dir, 'app.js'), 'console.log(1)');
    await writeFile(join(dir, 'app.css'), 'body{}');
    await writeFile(join(dir, 'secret.txt'), 'not served');
    api = await testApi();
    api.deps.staticSite = createWebSite({ dirs: [join(dir, 'missing'), dir], runtime: 'local' });
  });
  afterAll(async () => {
    await api?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the page routes with index.html under the page CSP, and assets by name', async () => {
    for (const path of ['/', '/review', '/models', '/monitoring', '/invoices/inv_0123456789abcdef01234567']) {
      const res = await api.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toBe(pageCsp());
      expect(res.headers.get('x-ledgerx-page-csp')).toBeNull();
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(await res.text()).toContain('/app.js');
    }
    const js = await api.request('/app.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(pageCsp()).not.toContain('unsafe-inline');
    expect(pageCsp()).toContain("frame-ancestors 'none'");
    const config = await api.request('/config.json');
    expect(await config.json()).toEqual({ runtime: 'local', oauthClientId: null });
  });

  it('serves nothing else: traversal, folders, unknown types and API paths are not files', async () => {
    for (const path of ['/secret.txt', '/../package.json', '/%2e%2e/package.json', '/web/app.js', '/index.html', '/APP.JS', '/invoices/../secret.txt', '/invoices/a/b']) {
      const res = await api.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'none'");
    }
    const apiRoute = await api.request('/v1/nope', { key: api.keys.viewer });
    expect(apiRoute.status).toBe(404);
    expect(apiRoute.headers.get('content-type')).toBe('application/problem+json');
    expect((await api.request('/v1/health')).headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('answers 404 for every page when the app was not built', async () => {
    const site = createWebSite({ dirs: [join(dir, 'missing')], runtime: 'gcp', oauthClientId: 'x.apps.googleusercontent.com' });
    expect(await site('/')).toBeNull();
    expect(await (await site('/config.json'))!.json()).toEqual({ runtime: 'gcp', oauthClientId: 'x.apps.googleusercontent.com' });
  });
});

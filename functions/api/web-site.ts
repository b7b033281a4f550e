/**
 * The web app's files (built by scripts/build.mjs into dist/web, and copied beside the `api` function's bundle),
 * served from the API's own origin for GET requests no API route matched: the page's routes answer index.html,
 * the assets themselves, and `/config.json` tells the page how to sign in (the OAuth client id is public).
 *
 * Every page answer carries the page's content security policy: scripts and styles from this origin only (no
 * inline script, no inline style attribute), images from here or blob: (page images fetched with the bearer
 * token), connections to here and, on GCP, to Cloud Storage for the signed PUT. The API's own stricter policy is
 * replaced only on these answers (see {@link WEB_CSP_MARKER}).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A header set by this module and consumed by the app's header middleware: the CSP of a page answer. */
export const WEB_CSP_MARKER = 'x-ledgerx-page-csp';

export const WEB_ROUTES = /^\/(|invoices(\/[A-Za-z0-9_-]{1,64})?|review|models|monitoring|signin)$/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export interface WebSiteOptions {
  /** Folders that may hold the built app (the first with an index.html wins). */
  dirs: string[];
  runtime: 'gcp' | 'local';
  /** Google sign-in (GCP): the OAuth client id the API checks ID tokens against. */
  oauthClientId?: string | undefined;
  /** Extra origins the page may connect to (the bucket host of signed uploads). */
  connectSources?: string[];
}

export function pageCsp(connectSources: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src 'self'${connectSources.map((s) => ` ${s}`).join('')}`,
    "font-src 'self'",
    "manifest-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** `(path) => Response | null` for {@link ApiDeps.staticSite}; null when the build is missing or the path is not the app's. */
export function createWebSite(options: WebSiteOptions): (path: string) => Promise<Response | null> {
  const dir = options.dirs.find((d) => existsSync(join(d, 'index.html')));
  const csp = pageCsp(options.connectSources);
  const cache = new Map<string, Uint8Array>();
  const config = JSON.stringify({ runtime: options.runtime, oauthClientId: options.oauthClientId ?? null });
  const load = async (name: string): Promise<Uint8Array | null> => {
    if (!dir) return null;
    let bytes = cache.get(name);
    if (!bytes) {
      try {
        bytes = new Uint8Array(await readFile(join(dir, name)));
      } catch {
        return null;
      }
      cache.set(name, bytes);
    }
    return bytes;
  };
  const answer = (body: Uint8Array | string, type: string, cacheControl = 'no-cache') =>
    new Response(typeof body === 'string' ? body : (body as Uint8Array<ArrayBuffer>), {
      status: 200,
      headers: { 'Content-Type': type, 'Cache-Control': cacheControl, [WEB_CSP_MARKER]: csp, 'X-Content-Type-Options': 'nosniff' },
    });
  return async (path) => {
    if (path === '/config.json') return answer(config, 'application/json', 'no-store');
    if (WEB_ROUTES.test(path)) {
      const page = await load('index.html');
      return page ? answer(page, TYPES['.html']!) : null;
    }
    // Only the build's own flat file names: no folders, no dot segments.
    const m = /^\/([a-z0-9-]+(\.[a-z0-9]+)+)$/.exec(path);
    if (!m) return null;
    const ext = path.slice(path.lastIndexOf('.'));
    const type = TYPES[ext];
    if (!type || m[1] === 'index.html') return null;
    const bytes = await load(m[1]!);
    return bytes ? answer(bytes, type) : null;
  };
}

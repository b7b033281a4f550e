/**
 * `api` (HTTP): the LedgerX API (functions/api/app.ts) served by functions-framework. The function accepts
 * unauthenticated invocations (browsers with Google ID tokens and machines with API keys cannot carry an IAM
 * identity) and the application authenticates every request itself: see infra/README.md, "The api function".
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { getRequestListener } from '@hono/node-server';
import { lazy } from './core/lazy.js';
import { errorFields } from './platform/logger.js';
import { createApiApp } from './api/app.js';
import type { ApiDeps } from './api/context.js';
import { createGcpApiDepsFromEnv } from './api/gcp/runtime.js';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;

/**
 * The `api` HTTP function over the ports `getDeps` returns (memoized: built on the first request). The Hono app
 * reads the body functions-framework already parsed from `req.rawBody` (@hono/node-server supports it).
 */
export function makeApiHandler(getDeps: () => Promise<ApiDeps>): HttpHandler {
  const listener = lazy(async () => getRequestListener(createApiApp(await getDeps()).fetch));
  return async (req, res) => {
    let handle;
    try {
      handle = await listener();
    } catch (err) {
      console.error(JSON.stringify({ severity: 'ERROR', message: 'api is misconfigured', ...errorFields(err) }));
      res.status(500).type('application/problem+json').send(JSON.stringify({ type: 'https://ledgerx.dev/problems/INTERNAL', title: 'Internal error', status: 500, code: 'MISCONFIGURED' }));
      return;
    }
    await handle(req, res);
  };
}

export const handler = makeApiHandler(lazy(() => createGcpApiDepsFromEnv()));

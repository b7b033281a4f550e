/**
 * The LedgerX HTTP API: one Hono app (with @hono/zod-openapi, so every route's request and answer are zod
 * schemas and the OpenAPI document is generated from them), served by the `api` Cloud Function through
 * functions-framework on GCP and by `ledgerx serve` on a loopback address through @hono/node-server.
 *
 * Every answer carries the security headers and CORS for the configured page origins; every error is an
 * `application/problem+json` with a stable `code` (functions/api/problem.ts).
 */
import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Context } from 'hono';
import { errorFields } from '../platform/logger.js';
import type { ApiDeps, ApiEnv } from './context.js';
import { makeGuard } from './guard.js';
import { routeTools, type ApiModule } from './modules.js';
import { ApiProblem, PROBLEM_CONTENT_TYPE, problemBody, type ProblemCode } from './problem.js';
import { metaModule } from './routes/meta.js';
import { invoicesModule } from './routes/invoices.js';
import { uploadsModule } from './routes/uploads.js';
import { apiKeysModule } from './routes/api-keys.js';
import { webhooksModule } from './routes/webhooks.js';
import { usageModule } from './routes/usage.js';
import { eventsModule } from './routes/events.js';
import { WEB_CSP_MARKER } from './web-site.js';

export const API_VERSION = '1.0.0';
export const OPENAPI_PATH = '/v1/openapi.json';

/** The modules of this issue, in registration order (static paths before parameterized ones). */
export const CORE_MODULES: readonly ApiModule[] = [metaModule, uploadsModule, invoicesModule, eventsModule, apiKeysModule, webhooksModule, usageModule];

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function problemResponse(c: Context<ApiEnv>, code: ProblemCode, detail?: string, extra: ApiProblem['extra'] = {}): Response {
  const body = problemBody(code, detail, c.get('requestId'), extra.issues);
  const headers = new Headers({ 'Content-Type': PROBLEM_CONTENT_TYPE, ...extra.headers });
  if (code === 'UNAUTHENTICATED' || code === 'INVALID_CREDENTIALS' || code === 'EXPIRED_CREDENTIALS') headers.set('WWW-Authenticate', 'Bearer');
  return new Response(JSON.stringify(body), { status: body.status, headers });
}

export function createApiApp(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  // The review-label module, when plugged in, tells the review queue which invoices are done (ApiDeps.reviewed).
  const labelled = deps.modules?.find((m) => m.reviewedOf);
  if (!deps.reviewed && labelled?.reviewedOf) deps.reviewed = labelled.reviewedOf(deps);
  const app = new OpenAPIHono<ApiEnv>({
    // A request that does not match its route's schema: 400 with every issue listed.
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        throw new ApiProblem('INVALID_REQUEST', issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; '), { issues });
      }
      return undefined;
    },
  });

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('log', deps.log.child({ requestId }));
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    // The route template, never the concrete path or query (they may carry supplier names or ids of others).
    const principal = c.get('principal');
    c.get('log').info('request', {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
      ...(principal ? { principal: principal.id } : {}),
    });
  });
  // The web app's pages carry their own CSP (functions/api/web-site.ts): it replaces the API's, after secureHeaders.
  app.use('*', async (c, next) => {
    await next();
    const pagePolicy = c.res.headers.get(WEB_CSP_MARKER);
    if (pagePolicy) {
      c.res.headers.set('Content-Security-Policy', pagePolicy);
      c.res.headers.delete(WEB_CSP_MARKER);
    }
  });
  app.use(
    '*',
    secureHeaders({
      // An API: nothing in an answer may load anything or be framed. The web page (next issue) sets its own.
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
      strictTransportSecurity: deps.settings.hsts ? 'max-age=63072000; includeSubDomains' : false,
      xContentTypeOptions: 'nosniff',
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      crossOriginResourcePolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
      xXssProtection: '0',
    }),
  );
  const origins = new Set(deps.settings.corsOrigins);
  app.use(
    '*',
    cors({
      origin: (origin) => (origins.has(origin) ? origin : null),
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'X-API-Key', 'Idempotency-Key', 'X-File-Name', 'X-Request-Id', 'Last-Event-ID'],
      exposeHeaders: ['Location', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id', 'ETag'],
      maxAge: 600,
      credentials: false,
    }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`lxk_...`) or, on GCP, a Google ID token minted for the web app\'s OAuth client. `X-API-Key: <key>` works too.',
  });
  const guard = makeGuard(deps);
  const tools = routeTools(deps, guard);
  for (const module of [...CORE_MODULES, ...(deps.modules ?? [])]) module.register(app, tools);

  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'LedgerX API',
      version: API_VERSION,
      description: 'Invoices, review queue, uploads, exports and webhooks of the LedgerX pipeline. Errors are application/problem+json with a stable `code`.',
    },
    tags: [...CORE_MODULES, ...(deps.modules ?? [])].map((m) => ({ name: m.name })),
  });

  app.notFound(async (c) => {
    if (deps.staticSite && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
      const page = await deps.staticSite(c.req.path);
      if (page) return page;
    }
    return problemResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path.slice(0, 200)}`);
  });
  app.onError((err, c) => {
    if (err instanceof ApiProblem) {
      if (err.status >= 500) c.get('log')?.error('request failed', { code: err.code });
      return problemResponse(c, err.code, err.message, err.extra);
    }
    if (err instanceof Error && err.message === 'invalid list cursor') return problemResponse(c, 'INVALID_CURSOR', 'the cursor was not issued by this listing');
    const status = (err as { status?: unknown }).status;
    // Hono's own HTTPExceptions (e.g. a malformed JSON body) are client errors.
    if (typeof status === 'number' && status >= 400 && status < 500) return problemResponse(c, 'INVALID_REQUEST', 'the request could not be read');
    (c.get('log') ?? deps.log).error('unhandled error', errorFields(err));
    return problemResponse(c, 'INTERNAL', 'internal error; quote the request id when reporting it');
  });
  return app;
}

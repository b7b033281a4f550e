/**
 * Route modules: the API is assembled from one module per resource (invoices, uploads, API keys, webhooks,
 * usage, metrics...). Each module registers its routes through {@link RouteTools.route}, which makes every route
 * declare who may call it (a role, `public`, or `signed`) and applies authentication, the role check and the
 * rate limit before the handler; the declaration is also written into the OpenAPI document
 * (`x-ledgerx-access`), from which the route x role test is driven, so a new route cannot escape it.
 *
 * Plugging in a store built elsewhere (the learning loop: review labels, the model registry with approvals,
 * job records, experiment runs, the prediction log, drift reports, the ops log) is one module per resource:
 *
 *   // functions/api/routes/reviews.ts
 *   export function reviewsModule(reviews: ReviewLabelStore): ApiModule {
 *     return { name: 'reviews', register(app, { route, deps }) {
 *       app.openapi(route('reviewer', { method: 'post', path: '/v1/invoices/{id}/review', ... }), async (c) => ...);
 *     } };
 *   }
 *
 * and one line in each composition root that has the store: `modules: [reviewsModule(store)]` in
 * functions/api/local/server.ts (`startLocalApi`, option `modules`, passed by functions/cli/commands/serve.ts) and
 * `GCP_MODULES` in functions/api/gcp/runtime.ts. The review-label store also sets `ApiDeps.reviewed` (reviewed
 * invoices leave the review queue).
 */
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { ApiDeps, Guard, RouteTools } from './context.js';
import { problemResponse } from './problem.js';

export type { Access, ApiModule, RouteTools } from './context.js';

/** The OpenAPI extension naming a route's access; the route x role test reads it. */
export const ACCESS_EXTENSION = 'x-ledgerx-access';

export function routeTools(deps: ApiDeps, guard: Guard): RouteTools {
  return {
    deps,
    guard,
    route(access, config) {
      const secured = access !== 'public' && access !== 'signed';
      const responses = {
        ...(secured
          ? {
              401: problemResponse('Missing, malformed, invalid or expired credentials.'),
              403: problemResponse(`The caller's role is below ${access}.`),
              429: problemResponse('Rate limit reached; see Retry-After.'),
            }
          : {}),
        ...config.responses,
      };
      return createRoute({
        ...config,
        responses,
        ...(secured ? { security: [{ bearer: [] }] } : { security: [] }),
        middleware: [guard(access), ...(Array.isArray(config.middleware) ? config.middleware : config.middleware ? [config.middleware] : [])],
        [ACCESS_EXTENSION]: access,
      } as RouteConfig) as never;
    },
  };
}

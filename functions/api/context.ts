/**
 * What the API app is built from (its ports and settings) and what each request carries through the
 * middleware (who is calling, the request id, a request logger). The app is the same on GCP and locally; only
 * the ports differ (functions/api/gcp/runtime.ts, functions/api/local/server.ts).
 */
import type { ApiKeyStore, RateLimiter, WebhookStore } from '../core/api/ports.js';
import type { Principal, Role } from '../core/api/roles.js';
import type { BlobStore, Clock, InvoiceStore, Logger } from '../core/ports.js';
import type { IdTokenVerifier } from './id-token.js';
import type { UploadTarget } from './uploads.js';
import type { InvoiceUpdates } from './updates.js';
import type { MiddlewareHandler } from 'hono';
import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';

export interface ApiSettings {
  /** Requests per minute per API key (machine clients). */
  rateLimitPerMinute: number;
  /** Requests per minute per signed-in user (the web app; its live updates come over one SSE stream). */
  userRateLimitPerMinute: number;
  /** Origins allowed by CORS (the web page's origin); empty = no cross-origin access. */
  corsOrigins: string[];
  /** Strict-Transport-Security on every answer (GCP: always https). */
  hsts: boolean;
  /** Largest file accepted by direct upload (request body) and signed uploads. */
  maxUploadBytes: number;
  /** Largest file accepted in the request body of a direct upload (small files; bigger ones use a signed URL). */
  maxDirectUploadBytes: number;
  /** Validity of signed upload URLs. */
  uploadTtlSeconds: number;
  /** Prefix of server-chosen object names in the inbox (`api/` = under the inbox's api/ folder). */
  uploadPrefix: string;
  /** Share of auto-approved invoices drawn into the review queue's audit sample (0..1). */
  auditSampleRate: number;
  /** Upper bound of `?wait=` on a direct upload, in seconds. */
  maxWaitSeconds: number;
  /** Interval of the wait loop and of the update feed's polling. */
  pollIntervalMs: number;
  /** How long one server-sent-events stream stays open before the client reconnects (GCP: under the function timeout). */
  eventStreamSeconds: number;
  /** Allow webhook targets on loopback / private addresses (local tests only; never on GCP). */
  webhookAllowPrivateTargets: boolean;
  /** Require https webhook targets (GCP). */
  webhookRequireHttps: boolean;
}

/** Email -> role of signed-in users; `*@example.com` keys give a role to every verified address of a domain. */
export type UserRoles = ReadonlyMap<string, Role>;

/** Monthly Document AI page counts, where the runtime has them (GCP). */
export interface UsageSource {
  pagesIn(month: string): Promise<number>;
}

export interface ApiDeps {
  runtime: 'gcp' | 'local';
  store: InvoiceStore;
  blobs: BlobStore;
  buckets: { inbox: string; artifacts: string };
  keys: ApiKeyStore;
  webhooks: WebhookStore;
  rateLimiter: RateLimiter;
  uploads: UploadTarget;
  /** HMAC key of local signed upload URLs (local runtime only). */
  localUploadKey?: string | undefined;
  /** Verifies Google ID tokens (GCP); absent locally, where only API keys sign in. */
  idTokens?: IdTokenVerifier | undefined;
  users: UserRoles;
  /** Keys accepted besides the key store (GCP bootstrap secret): key id -> { sha256 of the secret, role }. */
  bootstrapKeys?: ReadonlyMap<string, { secretSha256: string; role: Role; name: string }> | undefined;
  usage?: UsageSource | undefined;
  updates: InvoiceUpdates;
  /** Prometheus text of the local runtime's metrics (`/metrics`, local only). */
  metrics?: (() => Promise<{ contentType: string; body: string }>) | undefined;
  /**
   * Which of these invoices already carry a review label: they leave the review queue. Absent until the
   * review-label store (learning-loop branch) is plugged in; then `(ids) => reviews.reviewed(ids)`.
   */
  reviewed?: ((invoiceIds: string[]) => Promise<Set<string>>) | undefined;
  /** Route modules added to the API (the learning-loop stores plug in here: see functions/api/modules.ts). */
  modules?: ApiModule[] | undefined;
  /** Serves the web page (next issue): called for GET requests no API route matched. */
  staticSite?: ((path: string) => Promise<Response | null>) | undefined;
  settings: ApiSettings;
  clock: Clock;
  log: Logger;
}

export interface ApiVariables {
  principal: Principal;
  requestId: string;
  log: Logger;
}

export type ApiEnv = { Variables: ApiVariables };

/** Who may call a route: a role (and every role above it), anyone, or whoever holds a valid URL signature. */
export type Access = Role | 'public' | 'signed';

export interface Guard {
  (access: Access): MiddlewareHandler<ApiEnv>;
  /** Authenticates a request's headers (handlers that need it outside the route middleware). */
  authenticate(authorization: string | undefined, apiKeyHeader: string | undefined): Promise<Principal>;
}

export interface RouteTools {
  deps: ApiDeps;
  guard: Guard;
  /** A route definition for `app.openapi(...)`, guarded for `access` and documented with its problems. */
  route<R extends RouteConfig>(access: Access, config: R): R & { getRoutingPath(): string };
}

/** A resource's routes (see functions/api/modules.ts for how a store built elsewhere plugs in). */
export interface ApiModule {
  /** Resource name (also the OpenAPI tag). */
  name: string;
  register(app: OpenAPIHono<ApiEnv>, tools: RouteTools): void;
  /** A module over the review-label store says which invoices are reviewed (see {@link ApiDeps.reviewed}). */
  reviewedOf?(deps: ApiDeps): NonNullable<ApiDeps['reviewed']>;
}

/**
 * Environment of the `api` and `webhooks` functions (set by infra/modules/pipeline/functions.tf), validated
 * with zod on the first request; every problem is reported at once. Kept apart from platform/gcp/config.ts (the
 * pipeline stages'), with the same conventions.
 */
import { z } from 'zod';
import { RoleSchema, type Role } from '../../core/api/roles.js';
import type { Env } from '../../platform/gcp/config.js';
import { ConfigError } from '../../platform/gcp/config.js';

const Required = z.string({ error: 'is required' }).trim().min(1, 'is required');
const PositiveInt = z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number).pipe(z.number().int().positive('must be a positive integer'));
const Fraction = z.string().transform(Number).pipe(z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'));

const Common = z.object({
  GOOGLE_CLOUD_PROJECT: Required,
  LEDGERX_ENVIRONMENT: z.string().default('dev'),
  LEDGERX_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  LEDGERX_FIRESTORE_DATABASE: z.string().min(1).default('(default)'),
  LEDGERX_COLLECTION_INVOICES: z.string().min(1).default('invoices'),
});

export const ApiEnvSchema = Common.extend({
  LEDGERX_INBOX_BUCKET: Required,
  LEDGERX_ARTIFACTS_BUCKET: Required,
  /** The web app's OAuth client id: the audience of accepted Google ID tokens (none = API keys only). */
  LEDGERX_OAUTH_CLIENT_ID: z.string().optional(),
  /** JSON object email (or `*@domain`) -> role. */
  LEDGERX_API_USERS: z.string().default('{}'),
  /** Bootstrap keys (Secret Manager `api-tokens`): see functions/api/api-keys.ts parseBootstrapKeys. */
  LEDGERX_API_TOKENS: z.string().optional(),
  LEDGERX_API_RATE_LIMIT_PER_MINUTE: PositiveInt.default(100),
  LEDGERX_API_USER_RATE_LIMIT_PER_MINUTE: PositiveInt.default(600),
  /** Comma-separated page origins allowed by CORS. */
  LEDGERX_API_CORS_ORIGINS: z.string().default(''),
  LEDGERX_UPLOAD_MAX_BYTES: PositiveInt.default(40 * 1024 * 1024),
  LEDGERX_API_DIRECT_UPLOAD_MAX_BYTES: PositiveInt.default(10 * 1024 * 1024),
  LEDGERX_UPLOAD_URL_TTL_SECONDS: PositiveInt.default(900),
  LEDGERX_API_UPLOAD_PREFIX: z.string().regex(/^([^/]+\/)*$/, 'must be empty or end with /').default('api/'),
  LEDGERX_AUDIT_SAMPLE_RATE: Fraction.default(0.05),
  LEDGERX_API_MAX_WAIT_SECONDS: PositiveInt.default(45),
  LEDGERX_SERVICE_ACCOUNT: z.email('must be a service account email').optional(),
  /** The learning stores the api reads and writes (review labels, registry, runs, jobs): as the learning functions. */
  LEDGERX_LEARNING_COLLECTION_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/).default(''),
  LEDGERX_PROMOTION_MODE: z.enum(['auto', 'approval']).default('approval'),
  LEDGERX_MODEL_ADMINS: z.string().default(''),
});

export const WebhooksEnvSchema = Common.extend({
  LEDGERX_TOPIC_DEAD_LETTER: Required,
  LEDGERX_MAX_EVENT_AGE_MS: PositiveInt.optional(),
  LEDGERX_WEBHOOK_MAX_ATTEMPTS: PositiveInt.default(8),
  LEDGERX_WEBHOOK_TIMEOUT_MS: PositiveInt.default(10_000),
  /** = the push subscription's max_delivery_attempts: on the last attempt a failure is dead-lettered. */
  LEDGERX_MAX_DELIVERY_ATTEMPTS: PositiveInt.optional(),
});

function parse<S extends z.ZodType>(name: string, schema: S, env: Env, extra: (data: z.infer<S>) => string[] = () => []): z.infer<S> {
  const parsed = schema.safeParse(env);
  const problems = parsed.success ? extra(parsed.data) : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'} ${i.message}`);
  if (!parsed.success || problems.length > 0) throw new ConfigError(name, problems);
  return parsed.data;
}

export interface ApiFunctionConfig {
  projectId: string;
  environment: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  databaseId: string;
  invoicesCollection: string;
  inboxBucket: string;
  artifactsBucket: string;
  oauthClientId?: string | undefined;
  users: Map<string, Role>;
  bootstrapKeysText?: string | undefined;
  rateLimitPerMinute: number;
  userRateLimitPerMinute: number;
  corsOrigins: string[];
  maxUploadBytes: number;
  maxDirectUploadBytes: number;
  uploadTtlSeconds: number;
  uploadPrefix: string;
  auditSampleRate: number;
  maxWaitSeconds: number;
  learning: { prefix: string; promotionMode: 'auto' | 'approval'; admins: string[] };
}

/** `{"alice@example.com":"admin","*@example.com":"viewer"}` -> map (keys lower-cased); throws a readable message. */
export function parseUsers(text: string): Map<string, Role> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('LEDGERX_API_USERS must be a JSON object of email -> role');
  }
  const parsed = z.record(z.string().regex(/^(\*|[^@\s*]+)@[^@\s]+$/, 'keys are emails or *@domain'), RoleSchema).safeParse(raw);
  if (!parsed.success) throw new Error(`LEDGERX_API_USERS: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return new Map(Object.entries(parsed.data).map(([k, v]) => [k.toLowerCase(), v]));
}

export function loadApiConfig(env: Env = process.env): ApiFunctionConfig {
  const e = parse('api', ApiEnvSchema, env, (d) => {
    try {
      parseUsers(d.LEDGERX_API_USERS);
      return [];
    } catch (err) {
      return [(err as Error).message];
    }
  });
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT, environment: e.LEDGERX_ENVIRONMENT, logLevel: e.LEDGERX_LOG_LEVEL,
    databaseId: e.LEDGERX_FIRESTORE_DATABASE, invoicesCollection: e.LEDGERX_COLLECTION_INVOICES,
    inboxBucket: e.LEDGERX_INBOX_BUCKET, artifactsBucket: e.LEDGERX_ARTIFACTS_BUCKET,
    oauthClientId: e.LEDGERX_OAUTH_CLIENT_ID || undefined, users: parseUsers(e.LEDGERX_API_USERS), bootstrapKeysText: e.LEDGERX_API_TOKENS,
    rateLimitPerMinute: e.LEDGERX_API_RATE_LIMIT_PER_MINUTE, userRateLimitPerMinute: e.LEDGERX_API_USER_RATE_LIMIT_PER_MINUTE,
    corsOrigins: e.LEDGERX_API_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    maxUploadBytes: e.LEDGERX_UPLOAD_MAX_BYTES, maxDirectUploadBytes: e.LEDGERX_API_DIRECT_UPLOAD_MAX_BYTES,
    uploadTtlSeconds: e.LEDGERX_UPLOAD_URL_TTL_SECONDS, uploadPrefix: e.LEDGERX_API_UPLOAD_PREFIX,
    auditSampleRate: e.LEDGERX_AUDIT_SAMPLE_RATE, maxWaitSeconds: e.LEDGERX_API_MAX_WAIT_SECONDS,
    learning: { prefix: e.LEDGERX_LEARNING_COLLECTION_PREFIX, promotionMode: e.LEDGERX_PROMOTION_MODE, admins: e.LEDGERX_MODEL_ADMINS.split(/[\s,]+/).filter(Boolean) },
  };
}

export interface WebhooksFunctionConfig {
  projectId: string;
  environment: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  databaseId: string;
  deadLetterTopic: string;
  maxEventAgeMs: number;
  maxAttempts: number;
  timeoutMs: number;
  maxDeliveryAttempts?: number | undefined;
}

export function loadWebhooksConfig(env: Env = process.env): WebhooksFunctionConfig {
  const e = parse('webhooks', WebhooksEnvSchema, env);
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT, environment: e.LEDGERX_ENVIRONMENT, logLevel: e.LEDGERX_LOG_LEVEL, databaseId: e.LEDGERX_FIRESTORE_DATABASE,
    deadLetterTopic: e.LEDGERX_TOPIC_DEAD_LETTER, maxEventAgeMs: e.LEDGERX_MAX_EVENT_AGE_MS ?? 24 * 3600 * 1000,
    maxAttempts: e.LEDGERX_WEBHOOK_MAX_ATTEMPTS, timeoutMs: e.LEDGERX_WEBHOOK_TIMEOUT_MS,
    maxDeliveryAttempts: e.LEDGERX_MAX_DELIVERY_ATTEMPTS,
  };
}

/**
 * Ports of the API: stored API keys, webhook subscriptions with their delivery log, and the shared rate-limit
 * counter. Each has an embedded (SQLite / in-process) and a Firestore adapter, checked by one contract suite.
 */
import { z } from 'zod';
import { RoleSchema } from './roles.js';

// ---------------------------------------------------------------------------------------------- API keys

/** A stored API key: never the key itself, only the SHA-256 of its secret part. */
export const ApiKeyRecordSchema = z.object({
  /** Public id, also the first part of the key (`lxk_<id>_<secret>`). */
  id: z.string().regex(/^[a-z0-9]{8,32}$/),
  name: z.string().min(1).max(100),
  role: RoleSchema,
  /** Hex SHA-256 of the secret part. The secret has 256 random bits, so a plain hash cannot be brute-forced. */
  secretSha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  /** The principal id that created it (`user:...`, `key:...`, or `bootstrap`). */
  createdBy: z.string(),
  revokedAt: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;

/** API keys by id. `create` fails (rejects) when the id exists; `revoke` is idempotent. */
export interface ApiKeyStore {
  create(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Every key, newest first (revoked ones included, with `revokedAt`). */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked at `at`; false when there is no such key. A revoked key stays revoked (first time kept). */
  revoke(id: string, at: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------- webhooks

export const WebhookEventSchema = z.enum(['invoice.scored']);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/** A webhook subscription: where decisions are posted, and the secret their signatures are made with. */
export const WebhookRecordSchema = z.object({
  id: z.string().regex(/^wh_[a-z0-9]{8,32}$/),
  url: z.string().url().max(2048),
  description: z.string().max(200).default(''),
  events: z.array(WebhookEventSchema).min(1),
  /**
   * The HMAC key of the signatures (shown once, at creation). Stored as is: the sender needs it to sign, so it
   * cannot be hashed; reading it takes the store's own access rights.
   */
  secret: z.string().min(32),
  active: z.boolean(),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
});
export type WebhookRecord = z.infer<typeof WebhookRecordSchema>;

export const DeliveryStatusSchema = z.enum(['pending', 'succeeded', 'failed']);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

/** One attempt of one delivery, as logged. */
export const DeliveryAttemptSchema = z.object({
  at: z.string(),
  /** HTTP status answered, absent when no answer came (timeout, refused, blocked target). */
  responseStatus: z.number().int().optional(),
  /** Short machine-readable cause of a failed attempt: `HTTP_500`, `TIMEOUT`, `TARGET_BLOCKED`, `NETWORK`... */
  error: z.string().optional(),
  durationMs: z.number().nonnegative(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;

/**
 * The delivery of one event to one webhook. Its id is derived from (webhook, invoice, revision): a redelivered
 * bus message finds the same delivery and never posts a decision twice once it succeeded.
 */
export const WebhookDeliverySchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  event: WebhookEventSchema,
  invoiceId: z.string(),
  revision: z.number().int().positive(),
  status: DeliveryStatusSchema,
  attempts: z.array(DeliveryAttemptSchema),
  /** While an attempt is being made: until when the attempt holds the delivery (a crashed sender's lease expires). */
  leaseUntil: z.string().optional(),
  /** When the next attempt is due (pending deliveries after a failed attempt). */
  nextAttemptAt: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export interface DeliveryQuery {
  webhookId?: string;
  invoiceId?: string;
  status?: DeliveryStatus;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/** Webhook subscriptions and their delivery log. */
export interface WebhookStore {
  create(record: WebhookRecord): Promise<void>;
  get(id: string): Promise<WebhookRecord | null>;
  /** Every subscription, oldest first. */
  list(): Promise<WebhookRecord[]>;
  /** Replaces the record with the same id; false when there is none. */
  update(record: WebhookRecord): Promise<boolean>;
  /** Deletes the subscription (its delivery log stays); false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Creates the delivery unless one with its id exists; returns the stored one either way. */
  openDelivery(delivery: WebhookDelivery): Promise<{ created: boolean; delivery: WebhookDelivery }>;
  /**
   * Takes the delivery for one attempt, atomically: only while it is `pending`, its lease (if any) has expired
   * at `now`, and its next attempt is due. Returns the delivery under the new lease, or null when another
   * sender holds it, it is settled, or it is not due yet.
   */
  leaseDelivery(id: string, now: string, leaseUntil: string): Promise<WebhookDelivery | null>;
  /** Appends an attempt and sets the outcome; clears the lease. */
  recordAttempt(id: string, attempt: DeliveryAttempt, outcome: { status: DeliveryStatus; nextAttemptAt?: string | undefined }): Promise<WebhookDelivery>;
  getDelivery(id: string): Promise<WebhookDelivery | null>;
  /** Newest first, keyset-paged. */
  listDeliveries(query: DeliveryQuery): Promise<{ items: WebhookDelivery[]; nextCursor?: string | undefined }>;
}

// ---------------------------------------------------------------------------------------------- rate limits

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the current window after this one (0 when refused). */
  remaining: number;
  /** End of the current window (ISO): when a refused caller may try again. */
  resetAt: string;
}

/**
 * A fixed-window request counter per identity, shared by every instance of the API: `take` counts one request
 * and says whether it fits in `limit` for the window that contains `now`.
 */
export interface RateLimiter {
  take(identity: string, limit: number, now: Date): Promise<RateDecision>;
}

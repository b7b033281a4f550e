import { FieldPath, type CollectionReference, type Firestore, type Query } from '@google-cloud/firestore';
import {
  WebhookDeliverySchema, WebhookRecordSchema, type DeliveryAttempt, type DeliveryQuery, type DeliveryStatus, type WebhookDelivery,
  type WebhookRecord, type WebhookStore,
} from '../../core/api/ports.js';
import { decodeListCursor, encodeListCursor } from '../list-cursor.js';
import { GrpcCode, grpcCodeOf, rethrowClassified, runTransaction, withoutUndefined } from './firestore-data.js';

const MAX_PAGE = 500;

/**
 * {@link WebhookStore} on Firestore: subscriptions in `webhooks`, deliveries in `webhookDeliveries` (id = the
 * delivery id, so opening one is a `create()`, and a lease is a transaction on that one document). The delivery
 * log's filtered listings use the composite indexes (webhookId|invoiceId|status, createdAt desc) of
 * infra/modules/pipeline/firestore.tf.
 */
export class FirestoreWebhookStore implements WebhookStore {
  private readonly hooks: CollectionReference;
  private readonly deliveries: CollectionReference;

  constructor(private readonly db: Firestore, options: { collection?: string; deliveriesCollection?: string } = {}) {
    this.hooks = db.collection(options.collection ?? 'webhooks');
    this.deliveries = db.collection(options.deliveriesCollection ?? 'webhookDeliveries');
  }

  async create(record: WebhookRecord): Promise<void> {
    const valid = WebhookRecordSchema.parse(record);
    try {
      await this.hooks.doc(valid.id).create(withoutUndefined(valid));
    } catch (err) {
      if (grpcCodeOf(err) === GrpcCode.ALREADY_EXISTS) throw new Error(`webhook ${valid.id} already exists`, { cause: err });
      rethrowClassified(err, 'webhook create');
    }
  }

  async get(id: string): Promise<WebhookRecord | null> {
    try {
      const data = (await this.hooks.doc(id).get()).data();
      return data ? WebhookRecordSchema.parse(data) : null;
    } catch (err) {
      return rethrowClassified(err, 'webhook read');
    }
  }

  async list(): Promise<WebhookRecord[]> {
    try {
      const snaps = await this.hooks.orderBy('createdAt').limit(1_000).get();
      return snaps.docs.map((d) => WebhookRecordSchema.parse(d.data()));
    } catch (err) {
      return rethrowClassified(err, 'webhook list');
    }
  }

  async update(record: WebhookRecord): Promise<boolean> {
    const valid = WebhookRecordSchema.parse(record);
    try {
      await this.hooks.doc(valid.id).update(withoutUndefined(valid) as Record<string, unknown>);
      return true;
    } catch (err) {
      if (grpcCodeOf(err) === GrpcCode.NOT_FOUND) return false;
      return rethrowClassified(err, 'webhook update');
    }
  }

  async delete(id: string): Promise<boolean> {
    const ref = this.hooks.doc(id);
    try {
      return await runTransaction(this.db, async (tx) => {
        if (!(await tx.get(ref)).exists) return false;
        tx.delete(ref);
        return true;
      });
    } catch (err) {
      return rethrowClassified(err, 'webhook delete');
    }
  }

  async openDelivery(delivery: WebhookDelivery): Promise<{ created: boolean; delivery: WebhookDelivery }> {
    const valid = WebhookDeliverySchema.parse(delivery);
    try {
      await this.deliveries.doc(valid.id).create(withoutUndefined(valid));
      return { created: true, delivery: valid };
    } catch (err) {
      if (grpcCodeOf(err) !== GrpcCode.ALREADY_EXISTS) return rethrowClassified(err, 'delivery create');
    }
    const stored = await this.getDelivery(valid.id);
    if (!stored) throw new Error(`delivery ${valid.id} vanished during create`);
    return { created: false, delivery: stored };
  }

  async leaseDelivery(id: string, now: string, leaseUntil: string): Promise<WebhookDelivery | null> {
    const ref = this.deliveries.doc(id);
    try {
      return await runTransaction(this.db, async (tx) => {
        const data = (await tx.get(ref)).data();
        if (!data) return null;
        const current = WebhookDeliverySchema.parse(data);
        if (current.status !== 'pending') return null;
        if (current.leaseUntil && current.leaseUntil > now) return null;
        if (current.nextAttemptAt && current.nextAttemptAt > now) return null;
        tx.update(ref, { leaseUntil, updatedAt: now });
        return { ...current, leaseUntil, updatedAt: now };
      });
    } catch (err) {
      return rethrowClassified(err, 'delivery lease');
    }
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt, outcome: { status: DeliveryStatus; nextAttemptAt?: string | undefined }): Promise<WebhookDelivery> {
    const ref = this.deliveries.doc(id);
    try {
      return await runTransaction(this.db, async (tx) => {
        const data = (await tx.get(ref)).data();
        if (!data) throw new Error(`delivery ${id} does not exist`);
        const { leaseUntil: _lease, nextAttemptAt: _next, ...rest } = WebhookDeliverySchema.parse(data);
        const next = WebhookDeliverySchema.parse({
          ...rest,
          attempts: [...rest.attempts, attempt],
          status: outcome.status,
          ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
          updatedAt: attempt.at,
        });
        tx.set(ref, withoutUndefined(next));
        return next;
      });
    } catch (err) {
      return rethrowClassified(err, 'delivery attempt');
    }
  }

  async getDelivery(id: string): Promise<WebhookDelivery | null> {
    try {
      const data = (await this.deliveries.doc(id).get()).data();
      return data ? WebhookDeliverySchema.parse(data) : null;
    } catch (err) {
      return rethrowClassified(err, 'delivery read');
    }
  }

  async listDeliveries(query: DeliveryQuery): Promise<{ items: WebhookDelivery[]; nextCursor?: string | undefined }> {
    let q: Query = this.deliveries;
    if (query.webhookId !== undefined) q = q.where('webhookId', '==', query.webhookId);
    if (query.invoiceId !== undefined) q = q.where('invoiceId', '==', query.invoiceId);
    if (query.status !== undefined) q = q.where('status', '==', query.status);
    q = q.orderBy('createdAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (query.cursor !== undefined) q = q.startAfter(...decodeListCursor(query.cursor));
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_PAGE);
    try {
      const snaps = await q.limit(limit + 1).get();
      const items = snaps.docs.slice(0, limit).map((d) => WebhookDeliverySchema.parse(d.data()));
      const last = items.at(-1);
      return { items, nextCursor: snaps.size > limit && last ? encodeListCursor(last.createdAt, last.id) : undefined };
    } catch (err) {
      return rethrowClassified(err, 'delivery list');
    }
  }
}

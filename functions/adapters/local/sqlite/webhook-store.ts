import {
  WebhookDeliverySchema, WebhookRecordSchema, type DeliveryAttempt, type DeliveryQuery, type DeliveryStatus, type WebhookDelivery,
  type WebhookRecord, type WebhookStore,
} from '../../../core/api/ports.js';
import { decodeListCursor, encodeListCursor } from '../../list-cursor.js';
import type { SqliteDatabase } from './database.js';

const MAX_PAGE = 500;

/** {@link WebhookStore} on the embedded database (migration 42); every state change in one IMMEDIATE transaction. */
export class SqliteWebhookStore implements WebhookStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(record: WebhookRecord): Promise<void> {
    const valid = WebhookRecordSchema.parse(record);
    const info = this.db.statement('INSERT OR IGNORE INTO webhooks (id, created_at, record) VALUES (?, ?, ?)').run(valid.id, valid.createdAt, JSON.stringify(valid));
    if (info.changes !== 1) throw new Error(`webhook ${valid.id} already exists`);
  }

  async get(id: string): Promise<WebhookRecord | null> {
    const row = this.db.statement('SELECT record FROM webhooks WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? WebhookRecordSchema.parse(JSON.parse(row.record)) : null;
  }

  async list(): Promise<WebhookRecord[]> {
    const rows = this.db.statement('SELECT record FROM webhooks ORDER BY created_at, id').all() as Array<{ record: string }>;
    return rows.map((r) => WebhookRecordSchema.parse(JSON.parse(r.record)));
  }

  async update(record: WebhookRecord): Promise<boolean> {
    const valid = WebhookRecordSchema.parse(record);
    return this.db.statement('UPDATE webhooks SET record = ? WHERE id = ?').run(JSON.stringify(valid), valid.id).changes === 1;
  }

  async delete(id: string): Promise<boolean> {
    return this.db.statement('DELETE FROM webhooks WHERE id = ?').run(id).changes === 1;
  }

  async openDelivery(delivery: WebhookDelivery): Promise<{ created: boolean; delivery: WebhookDelivery }> {
    const valid = WebhookDeliverySchema.parse(delivery);
    return this.db.immediate(() => {
      const info = this.db
        .statement('INSERT OR IGNORE INTO webhook_deliveries (id, webhook_id, invoice_id, status, created_at, record) VALUES (?, ?, ?, ?, ?, ?)')
        .run(valid.id, valid.webhookId, valid.invoiceId, valid.status, valid.createdAt, JSON.stringify(valid));
      return info.changes === 1 ? { created: true, delivery: valid } : { created: false, delivery: this.read(valid.id)! };
    });
  }

  async leaseDelivery(id: string, now: string, leaseUntil: string): Promise<WebhookDelivery | null> {
    return this.db.immediate(() => {
      const current = this.read(id);
      if (!current || current.status !== 'pending') return null;
      if (current.leaseUntil && current.leaseUntil > now) return null;
      if (current.nextAttemptAt && current.nextAttemptAt > now) return null;
      const next: WebhookDelivery = { ...current, leaseUntil, updatedAt: now };
      this.write(next);
      return next;
    });
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt, outcome: { status: DeliveryStatus; nextAttemptAt?: string | undefined }): Promise<WebhookDelivery> {
    return this.db.immediate(() => {
      const current = this.read(id);
      if (!current) throw new Error(`delivery ${id} does not exist`);
      const { leaseUntil: _lease, nextAttemptAt: _next, ...rest } = current;
      const next: WebhookDelivery = WebhookDeliverySchema.parse({
        ...rest,
        attempts: [...current.attempts, attempt],
        status: outcome.status,
        ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
        updatedAt: attempt.at,
      });
      this.write(next);
      return next;
    });
  }

  async getDelivery(id: string): Promise<WebhookDelivery | null> {
    return this.read(id);
  }

  async listDeliveries(query: DeliveryQuery): Promise<{ items: WebhookDelivery[]; nextCursor?: string | undefined }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (query.webhookId !== undefined) add('webhook_id = ?', query.webhookId);
    if (query.invoiceId !== undefined) add('invoice_id = ?', query.invoiceId);
    if (query.status !== undefined) add('status = ?', query.status);
    if (query.cursor !== undefined) add('(created_at, id) < (?, ?)', ...decodeListCursor(query.cursor));
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_PAGE);
    const rows = this.db
      .statement(`SELECT record FROM webhook_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(...params, limit + 1) as Array<{ record: string }>;
    const items = rows.slice(0, limit).map((r) => WebhookDeliverySchema.parse(JSON.parse(r.record)));
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeListCursor(last.createdAt, last.id) : undefined };
  }

  private read(id: string): WebhookDelivery | null {
    const row = this.db.statement('SELECT record FROM webhook_deliveries WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? WebhookDeliverySchema.parse(JSON.parse(row.record)) : null;
  }

  private write(d: WebhookDelivery): void {
    this.db.statement('UPDATE webhook_deliveries SET status = ?, record = ? WHERE id = ?').run(d.status, JSON.stringify(d), d.id);
  }
}

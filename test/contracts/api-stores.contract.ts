import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord, ApiKeyStore, RateLimiter, WebhookDelivery, WebhookRecord, WebhookStore } from '../../functions/core/api/ports.js';

/** A fresh, empty store; `dispose` releases it. */
export interface Harness<T> {
  store: T;
  dispose(): Promise<void>;
}

const key = (id: string, at: string, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id, name: `key ${id}`, role: 'viewer', secretSha256: 'a'.repeat(64), createdAt: at, createdBy: 'user:1', ...extra,
});

/** The behaviour every {@link ApiKeyStore} adapter must have: unique ids, newest-first listing, sticky revocation. */
export function runApiKeyStoreContract(name: string, factory: () => Promise<Harness<ApiKeyStore>>): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    let h: Harness<ApiKeyStore>;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => h.dispose());

    it('creates a key once, reads it back and lists keys newest first', async () => {
      await h.store.create(key('aaaaaaaa01', '2025-01-01T00:00:00.000Z', { role: 'admin' }));
      await h.store.create(key('aaaaaaaa02', '2025-01-02T00:00:00.000Z'));
      await expect(h.store.create(key('aaaaaaaa01', '2025-01-03T00:00:00.000Z'))).rejects.toThrow(/exists/);
      expect(await h.store.get('aaaaaaaa01')).toMatchObject({ role: 'admin', secretSha256: 'a'.repeat(64) });
      expect(await h.store.get('nope00000')).toBeNull();
      expect((await h.store.list()).map((k) => k.id)).toEqual(['aaaaaaaa02', 'aaaaaaaa01']);
    });

    it('refuses an invalid record', async () => {
      await expect(h.store.create({ ...key('aaaaaaaa03', '2025-01-01T00:00:00.000Z'), secretSha256: 'plain-text-secret' })).rejects.toThrow();
    });

    it('revokes once: the first revocation time stays, an unknown key says false', async () => {
      await h.store.create(key('bbbbbbbb01', '2025-01-01T00:00:00.000Z'));
      expect(await h.store.revoke('bbbbbbbb01', '2025-02-01T00:00:00.000Z')).toBe(true);
      expect(await h.store.revoke('bbbbbbbb01', '2025-03-01T00:00:00.000Z')).toBe(true);
      expect((await h.store.get('bbbbbbbb01'))?.revokedAt).toBe('2025-02-01T00:00:00.000Z');
      expect(await h.store.revoke('cccccccc01', '2025-02-01T00:00:00.000Z')).toBe(false);
    });
  });
}

const hook = (id: string, at: string): WebhookRecord => ({
  id, url: 'https://erp.example.com/hooks/ledgerx', description: '', events: ['invoice.scored'], secret: 's'.repeat(40), active: true, createdAt: at, createdBy: 'key:x', updatedAt: at,
});
const delivery = (id: string, at: string, extra: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id, webhookId: 'wh_aaaaaaaa', event: 'invoice.scored', invoiceId: 'inv-1', revision: 1, status: 'pending', attempts: [], createdAt: at, updatedAt: at, ...extra,
});

/** The behaviour every {@link WebhookStore} adapter must have: CRUD, idempotent deliveries, exclusive leases, the log. */
export function runWebhookStoreContract(name: string, factory: () => Promise<Harness<WebhookStore>>): void {
  describe(`WebhookStore contract: ${name}`, () => {
    let h: Harness<WebhookStore>;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => h.dispose());

    it('creates, reads, lists, updates and deletes subscriptions', async () => {
      await h.store.create(hook('wh_aaaaaaaa', '2025-01-01T00:00:00.000Z'));
      await h.store.create(hook('wh_bbbbbbbb', '2025-01-02T00:00:00.000Z'));
      await expect(h.store.create(hook('wh_aaaaaaaa', '2025-01-03T00:00:00.000Z'))).rejects.toThrow();
      expect((await h.store.list()).map((w) => w.id)).toEqual(['wh_aaaaaaaa', 'wh_bbbbbbbb']);
      expect(await h.store.update({ ...hook('wh_aaaaaaaa', '2025-01-01T00:00:00.000Z'), active: false })).toBe(true);
      expect((await h.store.get('wh_aaaaaaaa'))?.active).toBe(false);
      expect(await h.store.update(hook('wh_cccccccc', '2025-01-01T00:00:00.000Z'))).toBe(false);
      expect(await h.store.delete('wh_bbbbbbbb')).toBe(true);
      expect(await h.store.delete('wh_bbbbbbbb')).toBe(false);
      expect(await h.store.get('wh_bbbbbbbb')).toBeNull();
    });

    it('opens a delivery once: a redelivered event finds the stored one', async () => {
      const first = await h.store.openDelivery(delivery('dlv_1', '2025-01-01T00:00:00.000Z'));
      expect(first.created).toBe(true);
      await h.store.recordAttempt('dlv_1', { at: '2025-01-01T00:00:01.000Z', durationMs: 5, responseStatus: 200 }, { status: 'succeeded' });
      const again = await h.store.openDelivery(delivery('dlv_1', '2025-01-01T00:05:00.000Z'));
      expect(again).toMatchObject({ created: false, delivery: { status: 'succeeded', createdAt: '2025-01-01T00:00:00.000Z' } });
      expect(again.delivery.attempts).toHaveLength(1);
    });

    it('leases a pending delivery to exactly one of several senders, and only when due', async () => {
      await h.store.openDelivery(delivery('dlv_2', '2025-01-01T00:00:00.000Z'));
      const now = '2025-01-01T00:00:10.000Z';
      const leases = await Promise.all(Array.from({ length: 8 }, () => h.store.leaseDelivery('dlv_2', now, '2025-01-01T00:01:10.000Z')));
      expect(leases.filter((l) => l !== null)).toHaveLength(1);
      // After a failed attempt it waits for nextAttemptAt; an expired lease of a crashed sender is taken over.
      const pending = await h.store.recordAttempt('dlv_2', { at: now, durationMs: 3, error: 'HTTP_500', responseStatus: 500 }, { status: 'pending', nextAttemptAt: '2025-01-01T00:00:30.000Z' });
      expect(pending).toMatchObject({ status: 'pending', nextAttemptAt: '2025-01-01T00:00:30.000Z' });
      expect(pending.leaseUntil).toBeUndefined();
      expect(await h.store.leaseDelivery('dlv_2', '2025-01-01T00:00:20.000Z', '2025-01-01T00:01:20.000Z')).toBeNull();
      expect(await h.store.leaseDelivery('dlv_2', '2025-01-01T00:00:31.000Z', '2025-01-01T00:00:40.000Z')).not.toBeNull();
      expect(await h.store.leaseDelivery('dlv_2', '2025-01-01T00:00:35.000Z', '2025-01-01T00:01:35.000Z')).toBeNull();
      expect(await h.store.leaseDelivery('dlv_2', '2025-01-01T00:00:41.000Z', '2025-01-01T00:01:41.000Z')).not.toBeNull();
      const done = await h.store.recordAttempt('dlv_2', { at: '2025-01-01T00:00:42.000Z', durationMs: 4, responseStatus: 204 }, { status: 'succeeded' });
      expect(done.attempts.map((a) => a.responseStatus)).toEqual([500, 204]);
      expect(await h.store.leaseDelivery('dlv_2', '2025-01-02T00:00:00.000Z', '2025-01-02T00:01:00.000Z')).toBeNull();
    });

    it('lists the delivery log newest first with filters and a cursor', async () => {
      for (let i = 0; i < 7; i++) {
        await h.store.openDelivery(delivery(`dlv_l${i}`, `2025-01-01T00:00:0${i}.000Z`, { webhookId: i % 2 ? 'wh_odd00000' : 'wh_even0000', invoiceId: `inv-${i % 3}` }));
      }
      await h.store.recordAttempt('dlv_l4', { at: '2025-01-01T00:01:00.000Z', durationMs: 1, error: 'TIMEOUT' }, { status: 'failed' });
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await h.store.listDeliveries({ webhookId: 'wh_even0000', limit: 2, cursor });
        ids.push(...page.items.map((d) => d.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(ids).toEqual(['dlv_l6', 'dlv_l4', 'dlv_l2', 'dlv_l0']);
      expect((await h.store.listDeliveries({ status: 'failed', limit: 10 })).items.map((d) => d.id)).toEqual(['dlv_l4']);
      expect((await h.store.listDeliveries({ invoiceId: 'inv-1', limit: 10 })).items.map((d) => d.id)).toEqual(['dlv_l4', 'dlv_l1']);
    });
  });
}

/** The behaviour every {@link RateLimiter} adapter must have: exactly `limit` per identity and window, even concurrently. */
export function runRateLimiterContract(name: string, factory: () => Promise<Harness<RateLimiter>>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    let h: Harness<RateLimiter>;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => h.dispose());

    it('lets exactly the limit through in a window, concurrently, then refuses until the window ends', async () => {
      const now = new Date('2025-01-01T00:00:10.000Z');
      // In waves of 10 at once (an instance serves up to 20 requests at a time).
      const decisions = [];
      for (let wave = 0; wave < 13; wave++) decisions.push(...(await Promise.all(Array.from({ length: 10 }, () => h.store.take('key:a', 120, now)))));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(120);
      const refused = decisions.find((d) => !d.allowed)!;
      expect(refused).toMatchObject({ remaining: 0, limit: 120, resetAt: '2025-01-01T00:01:00.000Z' });
      expect((await h.store.take('key:a', 120, new Date('2025-01-01T00:00:59.000Z'))).allowed).toBe(false);
      // Another identity has its own budget; the next window starts afresh.
      expect((await h.store.take('key:b', 120, now)).allowed).toBe(true);
      expect((await h.store.take('key:a', 120, new Date('2025-01-01T00:01:00.000Z'))).allowed).toBe(true);
    });
  });
}

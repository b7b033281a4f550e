import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PermanentError } from '../../functions/core/errors.js';
import { PreconditionFailedError } from '../../functions/core/ports.js';
import { createFsBlobStore, type LocalBlobStat } from '../../functions/adapters/local/fs-blob-store.js';
import { openLedgerDatabase, LEDGER_MIGRATIONS } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteDatabase } from '../../functions/adapters/local/sqlite/database.js';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import { SqliteIdempotencyStore } from '../../functions/adapters/local/sqlite/idempotency-store.js';
import { SqliteDeadLetterStore } from '../../functions/adapters/local/sqlite/dead-letter-store.js';
import type { DeadLetter } from '../../functions/core/messages.js';
import { runBlobStoreContract } from './blob-store.contract.js';
import { runInvoiceStoreContract } from './invoice-store.contract.js';
import { runIdempotencyStoreContract } from './idempotency-store.contract.js';
import { makeRecord } from './invoice-records.js';
import { SqliteLabelStore } from '../../functions/adapters/local/sqlite/label-store.js';
import { DEFAULT_AUDIT_SAMPLE_RATE, inAuditSample } from '../../functions/core/api/audit-sample.js';
import { runApiKeyStoreContract, runRateLimiterContract, runWebhookStoreContract } from './api-stores.contract.js';
import { SqliteApiKeyStore } from '../../functions/adapters/local/sqlite/api-key-store.js';
import { SqliteWebhookStore } from '../../functions/adapters/local/sqlite/webhook-store.js';
import { MemoryRateLimiter } from '../../functions/adapters/local/memory-rate-limiter.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ledgerx-local-'));
}

runBlobStoreContract('filesystem bucket', async () => {
  const root = tempDir();
  return { store: createFsBlobStore(root), bucket: 'inbox', dispose: async () => rmSync(root, { recursive: true, force: true }) };
});

runInvoiceStoreContract('sqlite (file, WAL)', async () => {
  const root = tempDir();
  const db = openLedgerDatabase(join(root, 'ledger.db'));
  return {
    store: new SqliteInvoiceStore(db),
    childEnv: { LEDGERX_TEST_SQLITE: join(root, 'ledger.db') },
    dispose: async () => {
      db.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
});

runIdempotencyStoreContract('sqlite (:memory:)', async () => {
  const db = openLedgerDatabase(':memory:');
  return { store: new SqliteIdempotencyStore(db), dispose: async () => db.close() };
});

runApiKeyStoreContract('sqlite (:memory:)', async () => {
  const db = openLedgerDatabase(':memory:');
  return { store: new SqliteApiKeyStore(db), dispose: async () => db.close() };
});
runWebhookStoreContract('sqlite (:memory:)', async () => {
  const db = openLedgerDatabase(':memory:');
  return { store: new SqliteWebhookStore(db), dispose: async () => db.close() };
});
runRateLimiterContract('in-process', async () => ({ store: new MemoryRateLimiter(), dispose: async () => {} }));

describe('filesystem bucket specifics', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir();
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it.each([
    ['inbox', '../escape.pdf'],
    ['inbox', 'a/../../b.pdf'],
    ['inbox', '/etc/passwd'],
    ['inbox', 'a//b.pdf'],
    ['inbox', 'a/./b.pdf'],
    ['inbox', 'nul\0byte.pdf'],
    ['inbox', 'back\\slash.pdf'],
    ['inbox', 'x'.repeat(1025)],
    ['..', 'a.pdf'],
    ['.ledgerx', 'meta.json'],
    ['in/box', 'a.pdf'],
  ])('refuses the unsafe ref %s / %s with INVALID_NAME', async (bucket, name) => {
    const store = createFsBlobStore(root);
    const attempt = store.write({ bucket, name }, 'x');
    await expect(attempt).rejects.toBeInstanceOf(PermanentError);
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(store.read({ bucket, name })).rejects.toMatchObject({ code: 'INVALID_NAME' });
  });

  it('stores bytes at <root>/<bucket>/<name> and metadata outside the bucket, leaving no temp files', async () => {
    const store = createFsBlobStore(root);
    await store.write({ bucket: 'inbox', name: 'acme/inv.pdf' }, '%PDF-1.7', { metadata: { uploader: 'u-1' } });
    await store.write({ bucket: 'inbox', name: 'acme/inv.pdf' }, '%PDF-1.7 v2', { metadata: { uploader: 'u-2' } });
    expect(readdirSync(join(root, 'inbox'), { recursive: true }).sort()).toEqual(['acme', join('acme', 'inv.pdf')]);
    expect(readdirSync(join(root, '.ledgerx', 'tmp'))).toEqual([]);
    const stat = await store.stat({ bucket: 'inbox', name: 'acme/inv.pdf' });
    expect(stat).toMatchObject({ contentType: 'application/pdf', metadata: { uploader: 'u-2' }, size: 11 });
    expect((await store.list('inbox', '')).map((s) => s.name)).toEqual(['acme/inv.pdf']);
  });

  it('calls onFinalize after each successful write only', async () => {
    const finalized: LocalBlobStat[] = [];
    const store = createFsBlobStore(root, { onFinalize: (stat) => void finalized.push(stat) });
    const first = await store.write({ bucket: 'inbox', name: 'a.pdf' }, '%PDF', { ifGenerationMatch: '0' });
    await expect(store.write({ bucket: 'inbox', name: 'a.pdf' }, '%PDF', { ifGenerationMatch: '0' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect(finalized).toEqual([first]);
    expect(finalized[0]).toMatchObject({ bucket: 'inbox', name: 'a.pdf', size: 4 });
  });

  it('treats a file dropped into the folder as an object, with a generation from its mtime', async () => {
    const store = createFsBlobStore(root);
    mkdirSync(join(root, 'inbox', 'drop'), { recursive: true });
    writeFileSync(join(root, 'inbox', 'drop', 'scan.png'), 'png-bytes');
    const dropped = await store.stat({ bucket: 'inbox', name: 'drop/scan.png' });
    expect(dropped).toMatchObject({ size: 9, contentType: 'image/png' });
    expect(await store.stat({ bucket: 'inbox', name: 'drop/scan.png' })).toEqual(dropped);
    const rewritten = await store.write({ bucket: 'inbox', name: 'drop/scan.png' }, 'new', { ifGenerationMatch: dropped!.generation });
    expect(BigInt(rewritten.generation)).toBeGreaterThan(BigInt(dropped!.generation));
    // Replacing the file behind the store's back gives a new generation too (the sidecar no longer matches).
    writeFileSync(join(root, 'inbox', 'drop', 'scan.png'), 'replaced!');
    utimesSync(join(root, 'inbox', 'drop', 'scan.png'), new Date(Date.now() + 5_000), new Date(Date.now() + 5_000));
    const replaced = await store.stat({ bucket: 'inbox', name: 'drop/scan.png' });
    expect(replaced?.size).toBe(9);
    expect(BigInt(replaced!.generation)).toBeGreaterThan(BigInt(rewritten.generation));
  });

  it('imports a file with the content type of its extension', async () => {
    const src = join(root, 'outside.xml');
    writeFileSync(src, '<Invoice/>');
    const finalize = vi.fn();
    const store = createFsBlobStore(join(root, 'buckets'), { onFinalize: finalize });
    const stat = await store.importFile('inbox', 'e/invoice.xml', src);
    expect(stat).toMatchObject({ contentType: 'application/xml', size: 10 });
    expect(new TextDecoder().decode(await store.read({ bucket: 'inbox', name: 'e/invoice.xml' }))).toBe('<Invoice/>');
    expect(finalize).toHaveBeenCalledTimes(1);
  });

  it('refuses an object whose name would need a file to also be a folder', async () => {
    const store = createFsBlobStore(root);
    await store.write({ bucket: 'inbox', name: 'a' }, 'file');
    await expect(store.write({ bucket: 'inbox', name: 'a/b' }, 'x')).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await store.write({ bucket: 'inbox', name: 'c/d' }, 'x');
    await expect(store.write({ bucket: 'inbox', name: 'c' }, 'x')).rejects.toMatchObject({ code: 'INVALID_NAME' });
    expect(await store.stat({ bucket: 'inbox', name: 'c' })).toBeNull();
    await expect(store.read({ bucket: 'inbox', name: 'c' })).rejects.toThrow(/not found/);
    expect(readdirSync(join(root, '.ledgerx', 'tmp'))).toEqual([]);
  });

  it('removes emptied folders on delete', async () => {
    const store = createFsBlobStore(root);
    await store.write({ bucket: 'inbox', name: 'deep/er/x.txt' }, 'x');
    await store.delete({ bucket: 'inbox', name: 'deep/er/x.txt' });
    expect(readdirSync(join(root, 'inbox'))).toEqual([]);
  });
});

describe('embedded database specifics', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir();
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('applies migrations once, uses WAL for files, and refuses a schema newer than the code', () => {
    const path = join(root, 'db', 'ledger.db');
    const db = openLedgerDatabase(path);
    expect(db.schemaVersion()).toBe(LEDGER_MIGRATIONS.at(-1)!.version);
    expect(db.connection.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const again = openLedgerDatabase(path);
    const rows = again.connection.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number };
    expect(rows.n).toBe(LEDGER_MIGRATIONS.length);
    again.close();
    expect(() => SqliteDatabase.open(path, { migrations: LEDGER_MIGRATIONS.slice(0, 1) })).toThrow(/newer/);
  });

  it('migration 60 puts records scored before it into the review queue index: REVIEW, the audit draw at the default rate, labels', async () => {
    const path = join(root, 'legacy.db');
    const old = SqliteDatabase.open(path, { migrations: LEDGER_MIGRATIONS.filter((m) => m.version < 60) });
    const legacy = Array.from({ length: 400 }, (_, i) => makeRecord({ id: `old-${String(i).padStart(3, '0')}`, at: i, status: 'SCORED', decision: i % 4 === 0 ? 'REVIEW' : i % 4 === 3 ? 'REJECT' : 'APPROVE' }));
    const insert = old.connection.prepare('INSERT INTO invoices (invoice_id, status, file_name, decision, created_at, updated_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const r of legacy) insert.run(r.invoiceId, r.status, r.fileName, r.decision!.decision, r.createdAt, r.updatedAt, JSON.stringify(r));
    // Reviewed before the migration: one REVIEW invoice and one drawn approval.
    const drawn = legacy.filter((r) => r.decision!.decision === 'APPROVE' && inAuditSample(r.invoiceId, DEFAULT_AUDIT_SAMPLE_RATE)).map((r) => r.invoiceId);
    expect(drawn.length).toBeGreaterThan(1);
    const labels = new SqliteLabelStore(old);
    for (const id of ['old-004', drawn[0]!]) await labels.put({ invoiceId: id, revision: 1, reviewer: 'ann', reviewedAt: '2025-03-02T00:00:00Z', decision: 'approve' });
    old.close();

    const db = openLedgerDatabase(path);
    try {
      const store = new SqliteInvoiceStore(db);
      for (const r of legacy) {
        const stored = (await store.get(r.invoiceId))!;
        expect(stored.decision?.auditSample, r.invoiceId).toBe(r.decision!.decision === 'APPROVE' ? drawn.includes(r.invoiceId) : undefined);
      }
      expect((await store.get('old-004'))?.reviewedRevision).toBe(1);
      const open = legacy.filter((r) => (r.decision!.decision === 'REVIEW' || drawn.includes(r.invoiceId)) && !['old-004', drawn[0]].includes(r.invoiceId)).map((r) => r.invoiceId);
      const queue = await store.list({ reviewQueue: true, order: 'oldest', limit: 1000 });
      expect(queue.items.map((s) => s.invoiceId)).toEqual(open);
      // The listing's tags were rebuilt with the records: filters still find them.
      expect((await store.list({ decision: 'APPROVE', limit: 1000 })).items).toHaveLength(legacy.filter((r) => r.decision!.decision === 'APPROVE').length);
    } finally {
      db.close();
    }
  });

  it('rolls back a failing migration as a whole', () => {
    const path = join(root, 'bad.db');
    expect(() =>
      SqliteDatabase.open(path, {
        migrations: [{ version: 1, name: 'broken', sql: 'CREATE TABLE t (x INTEGER); INSERT INTO nope VALUES (1);' }],
      }),
    ).toThrow();
    const db = SqliteDatabase.open(path);
    expect(db.connection.prepare("SELECT name FROM sqlite_master WHERE name = 't'").get()).toBeUndefined();
    expect(db.schemaVersion()).toBe(0);
    db.close();
  });

  it('keeps claims and transitions consistent across two connections to one file', async () => {
    const path = join(root, 'shared.db');
    const a = openLedgerDatabase(path);
    const b = openLedgerDatabase(path);
    const now = new Date('2025-03-01T00:00:00Z');
    const [x, y] = [new SqliteIdempotencyStore(a), new SqliteIdempotencyStore(b)];
    const claims = [await x.claim('k', 1_000, now), await y.claim('k', 1_000, now)];
    expect(claims.map((c) => c.state)).toEqual(['claimed', 'in-progress']);
    if (claims[0]!.state !== 'claimed') throw new Error('claim lost');
    expect(await x.complete('k', claims[0]!.token, { ok: true }, now)).toBe(true);
    expect(await y.claim('k', 1_000, now)).toEqual({ state: 'completed', result: { ok: true } });

    const [ia, ib] = [new SqliteInvoiceStore(a), new SqliteInvoiceStore(b)];
    await ia.createIfAbsent(makeRecord({ id: 'inv', at: 0 }));
    expect((await ib.createIfAbsent(makeRecord({ id: 'inv', at: 5 }))).created).toBe(false);
    expect((await ia.transition('inv', 'FEATURES_DONE', {})).applied).toBe(true);
    expect((await ib.transition('inv', 'OCR_DONE', { pageCount: 3 })).applied).toBe(false);
    expect(await ia.get('inv')).toMatchObject({ status: 'FEATURES_DONE' });
    a.close();
    b.close();
    const reopened = new SqliteInvoiceStore(openLedgerDatabase(path));
    expect((await reopened.get('inv'))?.status).toBe('FEATURES_DONE');
  });

  it('refuses to store an invalid record and a forged list cursor', async () => {
    const store = new SqliteInvoiceStore(openLedgerDatabase(':memory:'));
    await expect(store.createIfAbsent({ ...makeRecord({ id: 'x', at: 0 }), status: 'DONE' as never })).rejects.toThrow();
    await expect(store.list({ limit: 5, cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
  });

  it('records, filters, counts and marks dead letters replayed', async () => {
    const store = new SqliteDeadLetterStore(openLedgerDatabase(':memory:'));
    const entry = (invoiceId: string, subscription: string): DeadLetter => ({
      topic: 'ocr-completed',
      subscription,
      payload: { invoiceId },
      attributes: {},
      reason: 'boom',
      code: 'UNAVAILABLE',
      attempts: 5,
      firstAttemptAt: '2025-03-01T00:00:00.000Z',
      deadLetteredAt: '2025-03-01T00:01:00.000Z',
      invoiceId,
    });
    const id1 = await store.record(entry('inv-1', 'features'));
    const id2 = await store.record(entry('inv-2', 'features'));
    await store.record(entry('inv-3', 'audit'));
    expect(await store.count()).toBe(3);
    expect((await store.list({ subscription: 'features' })).map((d) => d.invoiceId)).toEqual(['inv-1', 'inv-2']);
    expect((await store.list({ ids: [id2] })).map((d) => d.id)).toEqual([id2]);
    expect(await store.markReplayed(id1, new Date('2025-03-02T00:00:00Z'))).toBe(true);
    expect(await store.markReplayed(id1, new Date('2025-03-03T00:00:00Z'))).toBe(false);
    expect(await store.count()).toBe(2);
    expect(await store.count({ includeReplayed: true })).toBe(3);
    expect(await store.get(id1)).toMatchObject({ invoiceId: 'inv-1', replayedAt: '2025-03-02T00:00:00.000Z', attempts: 5 });
    expect(await store.get('999')).toBeNull();
    await expect(store.record({ ...entry('inv-4', 'x'), attempts: -1 })).rejects.toThrow();
  });
});

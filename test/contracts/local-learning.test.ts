import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteJobStore } from '../../functions/adapters/local/sqlite/job-store.js';
import { SqliteLabelStore } from '../../functions/adapters/local/sqlite/label-store.js';
import { SqliteModelRegistryStore } from '../../functions/adapters/local/sqlite/model-registry-store.js';
import { SqlitePredictionLog } from '../../functions/adapters/local/sqlite/prediction-log.js';
import { SqliteRunStore } from '../../functions/adapters/local/sqlite/run-store.js';
import { describe, expect, it } from 'vitest';
import {
  entry, runJobStoreContract, runLabelStoreContract, runModelRegistryContract, runPredictionLogContract, runServableVersionContract, runRunStoreContract,
} from './learning-stores.contract.js';

function sqlite<T>(make: (db: ReturnType<typeof openLedgerDatabase>) => T) {
  return async () => {
    const db = openLedgerDatabase(':memory:');
    return { store: make(db), dispose: async () => db.close() };
  };
}

runPredictionLogContract('SQLite', sqlite((db) => new SqlitePredictionLog(db)));
runLabelStoreContract('SQLite', sqlite((db) => new SqliteLabelStore(db)));
runModelRegistryContract('SQLite', sqlite((db) => new SqliteModelRegistryStore(db)));
runServableVersionContract('SQLite', sqlite((db) => new SqliteModelRegistryStore(db, { servingSchema: 'inv-features-v2' })));
runJobStoreContract('SQLite', sqlite((db) => new SqliteJobStore(db)));
runRunStoreContract('SQLite', sqlite((db) => new SqliteRunStore(db)));

describe('SQLite prediction log retention', () => {
  it('prune deletes entries past their retention, with their model index rows', async () => {
    const db = openLedgerDatabase(':memory:');
    const log = new SqlitePredictionLog(db, { retentionMs: 10 * 60_000 });
    await log.record(entry('old', 0));
    await log.record(entry('new', 30));
    expect(await log.prune(new Date(Date.parse('2025-03-01T00:15:00.000Z')))).toBe(1);
    expect((await log.query({ limit: 10 })).items.map((e) => e.invoiceId)).toEqual(['new']);
    expect((await log.query({ model: { name: 'failure', version: 'v1' }, limit: 10 })).items.map((e) => e.invoiceId)).toEqual(['new']);
    db.close();
  });

  it('only admins decide promotion requests when admins are configured', async () => {
    const db = openLedgerDatabase(':memory:');
    const store = new SqliteModelRegistryStore(db, { admins: ['root'] });
    const { version } = await import('./learning-stores.contract.js');
    const ctx = { actor: 'ops', reason: 'r', at: new Date() };
    await store.register(version('failure', 'v1'), ctx);
    const req = await store.requestPromotion('failure', 'v1', ctx);
    await expect(store.decide(req.id, 'approve', { ...ctx, actor: 'mallory', comment: 'x' })).rejects.toMatchObject({ code: 'NOT_ALLOWED' });
    expect((await store.decide(req.id, 'approve', { ...ctx, actor: 'root', comment: 'ok' })).status).toBe('approved');
    db.close();
  });
});

import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteDriftReportStore, SqliteOpsStore } from '../../functions/adapters/local/sqlite/monitoring-store.js';
import { runDriftReportStoreContract, runOpsStoreContract } from './monitoring-stores.contract.js';

function sqlite<T>(make: (db: ReturnType<typeof openLedgerDatabase>) => T) {
  return async () => {
    const db = openLedgerDatabase(':memory:');
    return { store: make(db), dispose: async () => db.close() };
  };
}

runDriftReportStoreContract('SQLite', sqlite((db) => new SqliteDriftReportStore(db)));
runOpsStoreContract('SQLite', sqlite((db) => new SqliteOpsStore(db)), sqlite((db) => new SqliteOpsStore(db, { admins: ['root'] })));

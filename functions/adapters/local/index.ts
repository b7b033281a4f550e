/** The embedded adapters of the local runtime (filesystem bucket, in-process bus, SQLite stores). */
export { createFsBlobStore, assertSafeRef, contentTypeFromName } from './fs-blob-store.js';
export type { FsBlobStore, FsBlobStoreOptions, LocalBlobStat } from './fs-blob-store.js';
export { createLocalBus, backoffDelay } from './local-bus.js';
export type {
  BusStats,
  DeliveryContext,
  LocalBus,
  LocalBusOptions,
  MessageHandler,
  ReplayResult,
  Scheduler,
  Subscription,
  SubscriptionOptions,
} from './local-bus.js';
export type { DeadLetterFilter, DeadLetterStore, StoredDeadLetter } from './dead-letter-store.js';
export { SqliteDatabase } from './sqlite/database.js';
export type { Migration, OpenDatabaseOptions } from './sqlite/database.js';
export { LEDGER_MIGRATIONS, openLedgerDatabase } from './sqlite/migrations.js';
export { SqliteInvoiceStore, InvoiceNotFoundError } from './sqlite/invoice-store.js';
export { SqliteIdempotencyStore } from './sqlite/idempotency-store.js';
export { SqliteDeadLetterStore } from './sqlite/dead-letter-store.js';
export { SqliteUsageCounter } from './sqlite/usage-counter.js';

import { createLocalBus, type LocalBus, type LocalBusOptions } from '../../functions/adapters/local/local-bus.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteDeadLetterStore } from '../../functions/adapters/local/sqlite/dead-letter-store.js';
import { SqliteMessageQueue } from '../../functions/adapters/local/sqlite/message-queue.js';
import type { SqliteDatabase } from '../../functions/adapters/local/sqlite/database.js';
import type { FeaturesComputed, OcrCompleted } from '../../functions/core/messages.js';

export interface BusFixture {
  bus: LocalBus;
  db: SqliteDatabase;
  deadLetters: SqliteDeadLetterStore;
}

/** A bus over an in-memory database with deterministic jitter (random = 0.5). */
export function makeBus(options: Partial<LocalBusOptions> = {}): BusFixture {
  const db = openLedgerDatabase(':memory:');
  const deadLetters = new SqliteDeadLetterStore(db);
  const bus = createLocalBus({ deadLetters, queue: new SqliteMessageQueue(db), random: () => 0.5, ...options });
  return { bus, db, deadLetters };
}

export function features(invoiceId: string, extra: Record<string, number> = {}): FeaturesComputed {
  return { schemaVersion: 1, invoiceId, revision: 1, featureSchemaVersion: 'f1', features: { total: 1, ...extra } };
}

export function ocrCompleted(invoiceId: string): OcrCompleted {
  return {
    schemaVersion: 1,
    invoiceId,
    revision: 1,
    source: { bucket: 'inbox', name: `${invoiceId}.pdf`, generation: '1' },
    contentSha256: 'a'.repeat(64),
    mimeType: 'application/pdf',
    ocr: { bucket: 'artifacts', name: `ocr/${invoiceId}.json` },
    pageCount: 1,
  };
}

/** Settles pending promise callbacks (several rounds: handlers await more than once). */
export async function flushMicrotasks(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

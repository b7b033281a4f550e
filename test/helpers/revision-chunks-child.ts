/**
 * Starts revisions in chunks through InvoiceStore.startRevisions in a process of its own (`node --import tsx`), so
 * that a test can kill it with a real signal half way through a chunk. Environment: LEDGERX_TEST_SQLITE (a database
 * file) or FIRESTORE_EMULATOR_HOST with LEDGERX_TEST_PROJECT; LEDGERX_TEST_IDS (comma-separated invoice ids, all
 * SCORED at revision 1 with a stored OCR document) and LEDGERX_TEST_CHUNK. Round r starts revision r + 1 of every
 * invoice, chunk by chunk, then settles each (FAILED) so that the next round can start again; it prints
 * `round <r>` after each round and never ends by itself.
 */
import { Firestore } from '@google-cloud/firestore';
import { FirestoreInvoiceStore } from '../../functions/adapters/gcp/firestore-invoice-store.js';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import type { InvoiceStore } from '../../functions/core/ports.js';

const sqlite = process.env.LEDGERX_TEST_SQLITE;
const store: InvoiceStore = sqlite
  ? new SqliteInvoiceStore(openLedgerDatabase(sqlite))
  : new FirestoreInvoiceStore(new Firestore({ projectId: process.env.LEDGERX_TEST_PROJECT }));
const ids = (process.env.LEDGERX_TEST_IDS ?? '').split(',');
const chunk = Number(process.env.LEDGERX_TEST_CHUNK);
for (let round = 1; ; round++) {
  for (let i = 0; i < ids.length; i += chunk) {
    const part = ids.slice(i, i + chunk);
    const results = await store.startRevisions(part.map((invoiceId) => ({ invoiceId, from: 'OCR_DONE' as const, reason: `round ${round}`, expectedRevision: round })));
    if (results.some((r) => !r.applied)) throw new Error(`round ${round}: ${JSON.stringify(results.find((r) => !r.applied))}`);
    for (const id of part) await store.transition(id, 'FAILED', {}, { revision: round + 1 });
  }
  process.stdout.write(`round ${round}\n`);
}

/** The monitoring contracts on the Firestore emulator (skipped with a message without the Cloud SDK). */
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe } from 'vitest';
import { FirestoreDriftReportStore, FirestoreOpsStore } from '../../functions/adapters/gcp/firestore-monitoring-store.js';
import { emulatorAvailable, resetFirestore, startEmulator, type RunningEmulator } from '../helpers/emulators.js';
import { runDriftReportStoreContract, runOpsStoreContract } from './monitoring-stores.contract.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const PROJECT = 'ledgerx-monitoring-test';
const firestoreReady = emulatorAvailable('firestore');
if (!firestoreReady) console.warn('[gcp-monitoring] Firestore emulator not installed (Cloud SDK): Firestore monitoring suites skipped');

describe.skipIf(!firestoreReady)('monitoring adapters on the Firestore emulator', () => {
  let emulator: RunningEmulator;
  let db: Firestore;
  beforeAll(async () => {
    emulator = await startEmulator('firestore');
    process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
    db = new Firestore({ projectId: PROJECT });
  }, 90_000);
  afterAll(async () => {
    await db?.terminate();
    await emulator?.stop();
  });
  const fresh = <T>(make: (db: Firestore) => T) => async () => {
    await resetFirestore(emulator.host, PROJECT);
    return { store: make(db), dispose: async () => {} };
  };

  runDriftReportStoreContract('Firestore emulator', fresh((d) => new FirestoreDriftReportStore(d)));
  runOpsStoreContract('Firestore emulator', fresh((d) => new FirestoreOpsStore(d)), fresh((d) => new FirestoreOpsStore(d, { admins: ['root'] })));
});

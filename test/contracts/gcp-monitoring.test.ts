/** The monitoring contracts on the Firestore emulator (skipped with a message without the Cloud SDK). */
import { describe } from 'vitest';
import { FirestoreDriftReportStore, FirestoreOpsStore } from '../../functions/adapters/gcp/firestore-monitoring-store.js';
import { emulatorAvailable } from '../helpers/emulators.js';
import { useFirestoreEmulator } from '../helpers/firestore-emulator.js';
import { runDriftReportStoreContract, runOpsStoreContract } from './monitoring-stores.contract.js';

process.env.METADATA_SERVER_DETECTION = 'none';
const PROJECT = 'ledgerx-monitoring-test';
const firestoreReady = emulatorAvailable('firestore');
if (!firestoreReady) console.warn('[gcp-monitoring] Firestore emulator not installed (Cloud SDK): Firestore monitoring suites skipped');

describe.skipIf(!firestoreReady)('monitoring adapters on the Firestore emulator', () => {
  const { fresh } = useFirestoreEmulator(PROJECT);

  runDriftReportStoreContract('Firestore emulator', fresh((d) => new FirestoreDriftReportStore(d)));
  runOpsStoreContract('Firestore emulator', fresh((d) => new FirestoreOpsStore(d)), fresh((d) => new FirestoreOpsStore(d, { admins: ['root'] })));
});

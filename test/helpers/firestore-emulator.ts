import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll } from 'vitest';
import { resetFirestore, startEmulator, type RunningEmulator } from './emulators.js';

/**
 * The Firestore emulator for the enclosing `describe`: started before its tests (FIRESTORE_EMULATOR_HOST set, for
 * code that builds its own clients) and stopped after them. `db` is a client on `projectId`; `fresh` turns a store
 * constructor into a contract suite's factory that empties the database first.
 */
export function useFirestoreEmulator(projectId: string) {
  let emulator: RunningEmulator | undefined;
  let db: Firestore | undefined;
  beforeAll(async () => {
    emulator = await startEmulator('firestore');
    process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
    db = new Firestore({ projectId });
  }, 90_000);
  afterAll(async () => {
    await db?.terminate();
    await emulator?.stop();
  });
  const reset = () => resetFirestore(emulator!.host, projectId);
  return {
    get db(): Firestore {
      return db!;
    },
    get host(): string {
      return emulator!.host;
    },
    reset,
    fresh:
      <T>(make: (db: Firestore) => T) =>
      async () => {
        await reset();
        return { store: make(db!), dispose: async () => {} };
      },
  };
}

/**
 * What `ledgerx ... --cloud` operates on: a deployed environment's dead letters (the `dead-letter-hold`
 * subscription) and its Document AI page counters (Firestore), through the same adapters the functions use.
 * Clients are built from the operator's environment (GOOGLE_CLOUD_PROJECT, application default credentials;
 * PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST against the emulators).
 */
import type { CloudDeadLetters } from '../../adapters/gcp/pubsub-dead-letters.js';
import type { UsageCounter } from '../../core/ports.js';
import { loadCloudOpsConfig, type Env } from './config.js';

export interface CloudOps {
  projectId: string;
  deadLetters: CloudDeadLetters;
  usage: UsageCounter;
  close(): Promise<void>;
}

/** Opens the clients. Throws ConfigError when GOOGLE_CLOUD_PROJECT (or another name) is missing or bad. */
export async function openCloudOps(env: Env = process.env): Promise<CloudOps> {
  const config = loadCloudOpsConfig(env);
  const [{ PubSub }, { Firestore }, { createPubSubDeadLetters }, { createFirestoreUsageCounter }] = await Promise.all([
    import('@google-cloud/pubsub'),
    import('@google-cloud/firestore'),
    import('../../adapters/gcp/pubsub-dead-letters.js'),
    import('../../adapters/gcp/usage-counter.js'),
  ]);
  const pubsub = new PubSub({ projectId: config.projectId });
  const db = new Firestore({ projectId: config.projectId, databaseId: config.firestore.databaseId, ignoreUndefinedProperties: true });
  const deadLetters = createPubSubDeadLetters(pubsub, config.deadLetterSubscription);
  return {
    projectId: config.projectId,
    deadLetters,
    usage: createFirestoreUsageCounter(db, { collection: config.firestore.usage }),
    async close() {
      await deadLetters.close();
      await pubsub.close();
      await db.terminate();
    },
  };
}

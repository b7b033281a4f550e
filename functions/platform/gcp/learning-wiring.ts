/**
 * The serving registry on GCP: production pointers from the Firestore registry (the bucket's registry.json
 * imported as its seed the first time), version files mirrored from the models bucket into the instance's
 * /tmp, pointers re-checked at most every `registryRefreshSeconds`.
 */
import type { Firestore } from '@google-cloud/firestore';
import { importSeed } from '../../core/learning/seed.js';
import type { BlobStore, Logger, ModelRegistry } from '../../core/ports.js';
import { bucketSeed, createBucketArtifactStore } from '../../adapters/gcp/bucket-model-artifacts.js';
import { FirestoreModelRegistryStore } from '../../adapters/gcp/firestore-model-registry.js';
import { createServingRegistry } from '../../adapters/onnx/serving-registry.js';
import { errorFields } from '../logger.js';
import type { GcpLearningConfig } from './learning-config.js';
import { FEATURE_SCHEMA_VERSION } from '../../core/features/schema.js';

export async function createFirestoreServingRegistry(options: { db: Firestore; blobs: BlobStore; config: GcpLearningConfig; log: Logger }): Promise<ModelRegistry> {
  const { db, blobs, config, log } = options;
  const store = new FirestoreModelRegistryStore(db, { prefix: config.prefix, admins: config.learning.promotion.admins, servingSchema: FEATURE_SCHEMA_VERSION });
  const artifacts = createBucketArtifactStore(blobs, config.modelsBucket);
  // First instance of a fresh project: the seed's production versions become the registry's. Idempotent;
  // a failure here only delays the import to the next cold start (serving reads whatever pointers exist).
  if (Object.keys(await store.production()).length === 0) {
    await importSeed(store, bucketSeed(blobs, config.modelsBucket), new Date()).catch((err: unknown) => log.warn('seed import failed', errorFields(err)));
  }
  return createServingRegistry({ store, artifacts, refreshMs: config.learning.registryRefreshSeconds * 1000, logger: log });
}

/**
 * The learning loop's routes on GCP (review actions, models, runs, jobs) over the Firestore stores the learning
 * functions use (same collection prefix), loaded with the rest of the clients on the first request.
 */
import type { Firestore } from '@google-cloud/firestore';
import { FirestoreJobStore } from '../../adapters/gcp/firestore-job-store.js';
import { FirestoreLabelStore } from '../../adapters/gcp/firestore-label-store.js';
import { FirestoreModelRegistryStore } from '../../adapters/gcp/firestore-model-registry.js';
import { FirestoreRunStore } from '../../adapters/gcp/firestore-run-store.js';
import type { ApiModule } from '../modules.js';
import { jobsModule, runsModule } from '../routes/learning-records.js';
import { modelsModule } from '../routes/models.js';
import { reviewsModule } from '../routes/reviews.js';
import type { ApiFunctionConfig } from './config.js';
import { FEATURE_SCHEMA_VERSION } from '../../core/features/schema.js';

export function gcpLearningModules(db: Firestore, config: Pick<ApiFunctionConfig, 'learning'>): ApiModule[] {
  const { prefix, admins, promotionMode } = config.learning;
  return [
    reviewsModule(new FirestoreLabelStore(db, { prefix })),
    modelsModule(new FirestoreModelRegistryStore(db, { prefix, admins, servingSchema: FEATURE_SCHEMA_VERSION }), { mode: promotionMode }),
    runsModule(new FirestoreRunStore(db, { collection: `${prefix}runs` })),
    jobsModule(new FirestoreJobStore(db, { prefix })),
  ];
}

/**
 * The learning loop's routes on the embedded database (review actions, models, runs, jobs), over the API's own
 * connection to `ledgerx.db`; promotion mode and admins from `<data-dir>/learning.json`, as the CLI reads them.
 */
import { SqliteJobStore } from '../../adapters/local/sqlite/job-store.js';
import { SqliteLabelStore } from '../../adapters/local/sqlite/label-store.js';
import { SqliteModelRegistryStore } from '../../adapters/local/sqlite/model-registry-store.js';
import { SqliteRunStore } from '../../adapters/local/sqlite/run-store.js';
import type { SqliteDatabase } from '../../adapters/local/sqlite/database.js';
import type { LearningConfig } from '../../core/learning/config.js';
import type { ApiModule } from '../modules.js';
import { jobsModule, runsModule } from '../routes/learning-records.js';
import { modelsModule } from '../routes/models.js';
import { reviewsModule } from '../routes/reviews.js';
import { FEATURE_SCHEMA_VERSION } from '../../core/features/schema.js';

export function localLearningModules(db: SqliteDatabase, config: Pick<LearningConfig, 'promotion'>): ApiModule[] {
  return [
    reviewsModule(new SqliteLabelStore(db)),
    modelsModule(new SqliteModelRegistryStore(db, { admins: config.promotion.admins, servingSchema: FEATURE_SCHEMA_VERSION }), { mode: config.promotion.mode }),
    runsModule(new SqliteRunStore(db)),
    jobsModule(new SqliteJobStore(db)),
  ];
}

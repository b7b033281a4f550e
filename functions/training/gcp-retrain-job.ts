/**
 * The retraining Cloud Run job: builds the learning ports on Firestore and the models bucket from the
 * environment (platform/gcp/learning-config.ts), claims the job record the `retrain` trigger created
 * (LEDGERX_JOB_ID; a new manual job without it) and runs it to the end with the generic job runner. A task
 * retried by Cloud Run after a crash resumes the same record from its checkpoint (its lease expired or the
 * previous attempt's execution is gone). Exit code 0 when the job succeeded or another runner holds it.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runJob } from '../core/learning/jobs.js';
import { importSeed } from '../core/learning/seed.js';
import type { BlobStore, Logger } from '../core/ports.js';
import { createLogger } from '../platform/logger.js';
import { loadRetrainJobConfig, type RetrainJobConfig } from '../platform/gcp/learning-config.js';
import type { Env } from '../platform/gcp/config.js';
import { datasetHash, DatasetMetaSchema, DatasetRowSchema, type Dataset } from './dataset-rows.js';
import { createRetrainHandler } from './retrain.js';
import { FEATURE_SCHEMA_VERSION } from '../core/features/schema.js';

/** The base corpus stored in the models bucket (`<name>` JSONL rows and `<name>.meta.json`). */
export async function bucketDataset(blobs: BlobStore, bucket: string, name: string): Promise<Dataset> {
  const rows = Buffer.from(await blobs.read({ bucket, name })).toString('utf8').split('\n').filter((l) => l.trim()).map((l) => DatasetRowSchema.parse(JSON.parse(l)));
  const meta = DatasetMetaSchema.parse(JSON.parse(Buffer.from(await blobs.read({ bucket, name: `${name}.meta.json` })).toString('utf8')));
  return { rows, meta: { ...meta, rows: rows.length, sha256: datasetHash(rows) }, cachePath: `${bucket}/${name}` };
}

export async function runRetrainJob(env: Env = process.env): Promise<number> {
  let config: RetrainJobConfig;
  try {
    config = loadRetrainJobConfig(env);
  } catch (err) {
    process.stderr.write(`${JSON.stringify({ severity: 'ERROR', message: 'retrain job is misconfigured', error: (err as Error).message })}\n`);
    return 2;
  }
  const log: Logger = createLogger({ level: config.logLevel, base: { job: 'retrain', environment: config.environment, execution: config.execution } });
  const [{ Firestore }, { Storage }, gcs, fsJobs, fsLabels, fsPred, fsReg, fsRuns, bucketArt] = await Promise.all([
    import('@google-cloud/firestore'), import('@google-cloud/storage'),
    import('../adapters/gcp/gcs-blob-store.js'), import('../adapters/gcp/firestore-job-store.js'), import('../adapters/gcp/firestore-label-store.js'),
    import('../adapters/gcp/firestore-prediction-log.js'), import('../adapters/gcp/firestore-model-registry.js'), import('../adapters/gcp/firestore-run-store.js'),
    import('../adapters/gcp/bucket-model-artifacts.js'),
  ]);
  const [fsMon, { promotionHold }] = await Promise.all([import('../adapters/gcp/firestore-monitoring-store.js'), import('../core/monitoring/ops-policy.js')]);
  const db = new Firestore({ projectId: config.projectId, databaseId: config.databaseId, ignoreUndefinedProperties: true });
  const blobs = gcs.createGcsBlobStore(new Storage({ projectId: config.projectId }));
  const prefix = config.prefix;
  const registry = new fsReg.FirestoreModelRegistryStore(db, { prefix, admins: config.learning.promotion.admins, servingSchema: FEATURE_SCHEMA_VERSION });
  const artifacts = bucketArt.createBucketArtifactStore(blobs, config.modelsBucket);
  const jobs = new fsJobs.FirestoreJobStore(db, { prefix });
  try {
    await importSeed(registry, bucketArt.bucketSeed(blobs, config.modelsBucket), new Date());
    const handler = createRetrainHandler({
      registry, artifacts, runs: new fsRuns.FirestoreRunStore(db, { collection: `${prefix}runs` }), labels: new fsLabels.FirestoreLabelStore(db, { prefix }),
      predictions: new fsPred.FirestorePredictionLog(db, { collection: `${prefix}predictions` }), blobs, bucket: config.modelsBucket, config: config.learning,
      baseDataset: () => bucketDataset(blobs, config.modelsBucket, config.baseDataset),
      reportsDir: path.join(tmpdir(), 'ledgerx-reports'),
      publishReport: async (version, files) => {
        const uris: string[] = [];
        for (const [kind, file] of Object.entries(files)) {
          const name = `reports/${version}/report.${kind}`;
          await blobs.write({ bucket: config.modelsBucket, name }, await readFile(file), { contentType: kind === 'html' ? 'text/html' : 'application/json' });
          uris.push(`gs://${config.modelsBucket}/${name}`);
        }
        return uris;
      },
      // The operations log is read for a hold on promotions (written by the drift check's policy, same prefix).
      promotionHold: () => promotionHold(new fsMon.FirestoreOpsStore(db, { prefix }), new Date()),
      actor: 'retrain-job', logger: log, now: () => new Date(),
    });
    const jobId = config.jobId ?? (await jobs.create({ id: `job-${randomUUID()}`, kind: 'retrain', key: `retrain:manual:${randomUUID()}`, params: { reason: 'manual', trigger: 'job' }, now: new Date() })).job.id;
    const outcome = await runJob(jobId, { store: jobs, handlers: { retrain: handler }, owner: `${config.execution ?? 'execution'}:${randomUUID().slice(0, 8)}`, log, now: () => new Date(), leaseMs: 30 * 60_000 });
    log.info('retrain job finished', { jobId, status: outcome.status, claimed: outcome.claimed });
    if (!outcome.claimed) return 0;
    return outcome.status === 'succeeded' ? 0 : 1;
  } finally {
    await db.terminate();
  }
}

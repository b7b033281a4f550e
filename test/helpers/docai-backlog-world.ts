/**
 * The docai-backlog job's world on real local servers: Firestore (the emulator: invoices, claims, jobs, page
 * counters) and Cloud Storage (the project's test server), a recording bus, and the Document AI batch service
 * over a fake of the remote LRO. Shared by the contract test and the child process it kills.
 */
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { createDocumentAiBatchService } from '../../functions/adapters/gcp/documentai-batch.js';
import { FirestoreIdempotencyStore } from '../../functions/adapters/gcp/firestore-idempotency-store.js';
import { FirestoreInvoiceStore } from '../../functions/adapters/gcp/firestore-invoice-store.js';
import { FirestoreJobStore } from '../../functions/adapters/gcp/firestore-job-store.js';
import { createGcsBlobStore } from '../../functions/adapters/gcp/gcs-blob-store.js';
import { createRateGovernor } from '../../functions/adapters/gcp/rate-governor.js';
import { createFirestoreUsageCounter } from '../../functions/adapters/gcp/usage-counter.js';
import { createBatchHandlers } from '../../functions/core/batch/handlers.js';
import type { JobStore } from '../../functions/core/learning/jobs.js';
import type { BlobStore, OcrEngine } from '../../functions/core/ports.js';
import { PipelineConfigSchema } from '../../functions/core/pipeline/config.js';
import type { PipelineDeps } from '../../functions/core/pipeline/deps.js';
import { DecisionThresholdsSchema } from '../../functions/core/scoring/decide.js';
import { ValidationConfigSchema } from '../../functions/core/validation/index.js';
import { createRecordingBus } from '../functions/fakes.js';
import type { FakeDocumentAiBatch } from './fake-documentai-batch.js';

export const VERSION = 'projects/p/locations/eu/processors/abc/processorVersions/pretrained-invoice-v2.0-2023-12-06';
export const BUCKETS = { inbox: 'inbox', artifacts: 'artifacts' } as const;

const noOcr: OcrEngine = { name: 'documentai', recognize: () => Promise.reject(new Error('the job must not read online')) };

export function gcsStore(url: string): BlobStore {
  return createGcsBlobStore(new Storage({ apiEndpoint: url, projectId: 'p' }));
}

/** A world on its own Firestore database (`project`); the emulator's host comes from FIRESTORE_EMULATOR_HOST. */
export function backlogWorld(project: string, blobs: BlobStore, artifacts: string = BUCKETS.artifacts) {
  const db = new Firestore({ projectId: project });
  const bus = createRecordingBus();
  const clock = { now: () => new Date() };
  const deps: PipelineDeps = {
    blobs, bus, clock, ocr: noOcr,
    store: new FirestoreInvoiceStore(db, { clock }),
    idempotency: new FirestoreIdempotencyStore(db),
    models: { loadProduction: async () => null },
    config: PipelineConfigSchema.parse({ buckets: { inbox: BUCKETS.inbox, artifacts }, ocr: { maxPages: 200 } }),
    validation: ValidationConfigSchema.parse({}),
    thresholds: DecisionThresholdsSchema.parse({}),
  };
  return { db, bus, deps, jobs: new FirestoreJobStore(db) as JobStore, usage: createFirestoreUsageCounter(db) };
}
export type BacklogWorld = ReturnType<typeof backlogWorld>;

/** The batch handlers of `w`, docai-backlog on `fake` through the real batch service adapter. */
export function backlogHandlers(w: BacklogWorld, fake: FakeDocumentAiBatch, options: { pollMs?: number } = {}) {
  const service = createDocumentAiBatchService(fake, { processorVersion: VERSION, store: w.deps.blobs, bucket: BUCKETS.artifacts, governor: createRateGovernor({ requestsPerMinute: 60_000, burst: 100 }) });
  const pollMs = options.pollMs ?? 0;
  return createBatchHandlers({ pipeline: w.deps, exportsBucket: 'exports', usage: w.usage }, { service, pollMs, ...(pollMs === 0 ? { sleep: async () => {} } : {}) });
}

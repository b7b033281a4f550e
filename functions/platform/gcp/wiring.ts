/**
 * The GCP composition root, twin of `platform/local-runtime.ts`: the ports every pipeline stage shares (Cloud
 * Storage, Pub/Sub, Firestore), built once per instance on the first invocation. Each function's own builder
 * (runtimes/<function>.ts) adds what only it uses (Document AI for ocr, the models for inference), so that a
 * function's bundle holds only what it imports.
 *
 * SDKs are imported dynamically inside the builders: registering a function loads no SDK and does no I/O.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import type { Topic } from '../../core/messages.js';
import type { PredictionLog } from '../../core/learning/prediction-log.js';
import type { BlobStore, Logger, ModelRegistry, OcrEngine } from '../../core/ports.js';
import type { PipelineDeps } from '../../core/pipeline/deps.js';
import { createLogger } from '../logger.js';
import type { CommonConfig, StageConfig, UploadUrlConfig } from './config.js';
import type { UploadSigner } from './signed-url.js';

/** What a pipeline entry point needs: the stage's ports, its base logger and the project (trace field). */
export interface StageRuntime {
  deps: PipelineDeps;
  log: Logger;
  projectId: string;
  /** Core topic -> Pub/Sub topic id (the topic a push delivery came from, recorded in dead letters). */
  topics: Record<Topic, string>;
  /** The last delivery attempt of the function's push subscription: a failure then is final. */
  maxDeliveryAttempts?: number | undefined;
}

/** What the upload-url entry point needs. */
export interface UploadUrlRuntime {
  config: UploadUrlConfig;
  signer: UploadSigner;
  log: Logger;
  now: () => Date;
}

export function baseLogger(config: CommonConfig): Logger {
  return createLogger({
    level: config.logLevel,
    base: { function: config.functionName, environment: config.environment },
  });
}

/** Ports that a stage must never touch: a loud failure instead of a silent no-op if wiring goes wrong. */
function unavailableOcr(functionName: string): OcrEngine {
  return {
    name: 'unavailable',
    recognize: () => Promise.reject(new Error(`OCR is not wired in function ${functionName}`)),
  };
}
function unavailableModels(functionName: string): ModelRegistry {
  return { loadProduction: () => Promise.reject(new Error(`models are not wired in function ${functionName}`)) };
}

/** One Storage client per instance, shared by the blob store and the upload signer. */
export async function storageClient(projectId: string): Promise<Storage> {
  const { Storage } = await import('@google-cloud/storage');
  return new Storage({ projectId });
}

/** The instance's clients a port builder may share. */
export interface PortContext {
  blobs: BlobStore;
  db: Firestore;
  log: Logger;
}

/** Builders of the ports only some stages use; they get the instance's blob store, database and logger. */
export interface StagePorts {
  ocr?: (ctx: PortContext) => Promise<OcrEngine>;
  models?: (ctx: PortContext) => Promise<ModelRegistry>;
  /** The prediction log (learning loop), on the instance's Firestore client. */
  predictions?: (ctx: PortContext) => Promise<PredictionLog>;
}

export async function stageRuntime(config: StageConfig, ports: StagePorts): Promise<StageRuntime> {
  const [
    { PubSub }, { Firestore }, { createGcsBlobStore }, { createPubSubBus }, { FirestoreInvoiceStore }, { FirestoreIdempotencyStore },
    { ValidationConfigSchema }, { DecisionThresholdsSchema },
  ] = await Promise.all([
    // The PubSub class alone: the package index also evaluates the generated classes of every Pub/Sub
    // message (0.9 MB), which publishing never uses.
    import('@google-cloud/pubsub/build/src/pubsub.js'),
    import('@google-cloud/firestore'),
    import('../../adapters/gcp/gcs-blob-store.js'),
    import('../../adapters/gcp/pubsub-bus.js'),
    import('../../adapters/gcp/firestore-invoice-store.js'),
    import('../../adapters/gcp/firestore-idempotency-store.js'),
    import('../../core/validation/index.js'),
    import('../../core/scoring/decide.js'),
  ]);
  const log = baseLogger(config);
  const blobs = createGcsBlobStore(await storageClient(config.projectId));
  const db = new Firestore({ projectId: config.projectId, databaseId: config.firestore.databaseId, ignoreUndefinedProperties: true });
  const clock = { now: () => new Date() };
  const deps: PipelineDeps = {
    blobs,
    bus: createPubSubBus(new PubSub({ projectId: config.projectId }), config.topics),
    store: new FirestoreInvoiceStore(db, { collection: config.firestore.collections.invoices, clock }),
    idempotency: new FirestoreIdempotencyStore(db, { collection: config.firestore.collections.idempotency }),
    ocr: ports.ocr ? await ports.ocr({ blobs, db, log }) : unavailableOcr(config.functionName),
    models: ports.models ? await ports.models({ blobs, db, log }) : unavailableModels(config.functionName),
    ...(ports.predictions ? { predictions: await ports.predictions({ blobs, db, log }) } : {}),
    clock,
    config: config.pipeline,
    validation: ValidationConfigSchema.parse({}),
    thresholds: DecisionThresholdsSchema.parse({}),
  };
  return { deps, log, projectId: config.projectId, topics: config.topics, maxDeliveryAttempts: config.maxDeliveryAttempts };
}

/**
 * The GCP composition root, twin of `platform/local-runtime.ts`: the only module that knows it runs on Google
 * Cloud. It builds, once per instance and on the first invocation, the real clients (Cloud Storage, Pub/Sub,
 * Firestore, Document AI) and the adapters around them, and hands each function its ports.
 *
 * SDKs and adapters are imported dynamically inside the builders: importing `functions/index.ts` loads no
 * SDK and does no I/O, and a function loads only what it uses (features never loads Document AI, upload-url
 * never loads Firestore), which keeps cold starts short.
 */
import type { Storage } from '@google-cloud/storage';
import type { BlobStore, Logger, ModelRegistry, OcrEngine } from '../../core/ports.js';
import type { PipelineDeps } from '../../core/pipeline/deps.js';
import { createLogger } from '../logger.js';
import {
  loadFeaturesConfig, loadInferenceConfig, loadOcrConfig, loadUploadUrlConfig,
  type CommonConfig, type Env, type InferenceFunctionConfig, type OcrFunctionConfig, type StageConfig, type UploadUrlConfig,
} from './config.js';
import { createGcsUploadSigner, type UploadSigner } from './signed-url.js';

/** What a pipeline entry point needs: the stage's ports, its base logger and the project (trace field). */
export interface StageRuntime {
  deps: PipelineDeps;
  log: Logger;
  projectId: string;
}

/** What the upload-url entry point needs. */
export interface UploadUrlRuntime {
  config: UploadUrlConfig;
  signer: UploadSigner;
  log: Logger;
  now: () => Date;
}

function baseLogger(config: CommonConfig): Logger {
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
async function storageClient(projectId: string): Promise<Storage> {
  const { Storage } = await import('@google-cloud/storage');
  return new Storage({ projectId });
}

/** Builders of the ports only some stages use; they get the instance's blob store and logger. */
interface StagePorts {
  ocr?: (blobs: BlobStore, log: Logger) => Promise<OcrEngine>;
  models?: (blobs: BlobStore, log: Logger) => Promise<ModelRegistry>;
}

async function stageRuntime(config: StageConfig, ports: StagePorts): Promise<StageRuntime> {
  const [
    { PubSub }, { Firestore }, { createGcsBlobStore }, { createPubSubBus }, { FirestoreInvoiceStore }, { FirestoreIdempotencyStore },
    { ValidationConfigSchema }, { DecisionThresholdsSchema },
  ] = await Promise.all([
    import('@google-cloud/pubsub'),
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
    ocr: ports.ocr ? await ports.ocr(blobs, log) : unavailableOcr(config.functionName),
    models: ports.models ? await ports.models(blobs, log) : unavailableModels(config.functionName),
    clock,
    config: config.pipeline,
    validation: ValidationConfigSchema.parse({}),
    thresholds: DecisionThresholdsSchema.parse({}),
  };
  return { deps, log, projectId: config.projectId };
}

async function ocrEngine(config: OcrFunctionConfig, blobs: BlobStore, log: Logger): Promise<OcrEngine> {
  if (config.ocrEngine.kind === 'local') {
    // Emulated end-to-end runs only: there is no Document AI emulator.
    const { createLocalOcrEngine } = await import('../../adapters/local/ocr/index.js');
    return createLocalOcrEngine({});
  }
  const { location, processorVersion } = config.ocrEngine;
  const [{ createDocumentAiClient }, { createDocumentAiEngine }] = await Promise.all([
    import('../../adapters/gcp/documentai-client.js'),
    import('../../adapters/gcp/documentai-engine.js'),
  ]);
  return createDocumentAiEngine(createDocumentAiClient(location), {
    processorVersion,
    // Files beyond the online limits go through batch processing, staged in the artifacts bucket.
    batch: { store: blobs, bucket: config.pipeline.buckets.artifacts },
    logger: log,
  });
}

/** Builds the `ocr` runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createOcrRuntime(env: Env = process.env): Promise<StageRuntime> {
  const config = loadOcrConfig(env);
  return stageRuntime(config, { ocr: (blobs, log) => ocrEngine(config, blobs, log) });
}

/** Builds the `features` runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createFeaturesRuntime(env: Env = process.env): Promise<StageRuntime> {
  return stageRuntime(loadFeaturesConfig(env), {});
}

/** Builds the `inference` runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createInferenceRuntime(env: Env = process.env): Promise<StageRuntime> {
  const config: InferenceFunctionConfig = loadInferenceConfig(env);
  return stageRuntime(config, {
    models: async (blobs, log) => {
      const { createBucketModelRegistry } = await import('./model-registry.js');
      return createBucketModelRegistry(blobs, config.modelsBucket, log);
    },
  });
}

/** Builds the `upload-url` runtime from `env`. Throws ConfigError (every problem listed). */
export async function createUploadUrlRuntime(env: Env = process.env): Promise<UploadUrlRuntime> {
  const config = loadUploadUrlConfig(env);
  return {
    config,
    signer: createGcsUploadSigner(await storageClient(config.projectId)),
    log: baseLogger(config),
    now: () => new Date(),
  };
}

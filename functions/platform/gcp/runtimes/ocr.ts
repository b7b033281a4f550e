/** The `ocr` function's runtime: the shared stage ports plus the OCR engine (Document AI). */
import type { DocumentAiEngineOptions } from '../../../adapters/gcp/documentai-engine.js';
import type { OcrEngine } from '../../../core/ports.js';
import { loadOcrConfig, type Env, type OcrFunctionConfig } from '../config.js';
import { stageRuntime, type PortContext, type StageRuntime } from '../wiring.js';

/**
 * The Document AI engine's settings on GCP: the pinned version; a rate governor at this instance's share of the
 * project quota (one request at a time, never a burst: with the instance count capped by Terraform, all
 * instances together stay under the quota in every minute); every call's pages counted in Firestore; batch
 * processing through the artifacts bucket when enabled.
 */
export async function documentAiEngineOptions(config: OcrFunctionConfig, { blobs, db, log }: PortContext): Promise<DocumentAiEngineOptions> {
  const [{ createRateGovernor }, { createFirestoreUsageCounter }] = await Promise.all([
    import('../../../adapters/gcp/rate-governor.js'),
    import('../../../adapters/gcp/usage-counter.js'),
  ]);
  const { documentAi } = config;
  return {
    processorVersion: documentAi.processorVersion,
    governor: createRateGovernor({ requestsPerMinute: documentAi.requestsPerMinute, burst: 1 }),
    usage: createFirestoreUsageCounter(db, { collection: documentAi.usageCollection }),
    ...(documentAi.batch ? { batch: { store: blobs, bucket: config.pipeline.buckets.artifacts } } : {}),
    logger: log,
  };
}

async function ocrEngine(config: OcrFunctionConfig, ctx: PortContext): Promise<OcrEngine> {
  const [{ createDocumentAiClient }, { createDocumentAiEngine }] = await Promise.all([
    import('../../../adapters/gcp/documentai-client.js'),
    import('../../../adapters/gcp/documentai-engine.js'),
  ]);
  const { location, endpoint } = config.documentAi;
  return createDocumentAiEngine(createDocumentAiClient(location, endpoint), await documentAiEngineOptions(config, ctx));
}

/** Builds the `ocr` runtime from `env`. Throws ConfigError (every problem listed) or a client error. */
export async function createOcrRuntime(env: Env = process.env): Promise<StageRuntime> {
  const config = loadOcrConfig(env);
  return stageRuntime(config, { ocr: (ctx) => ocrEngine(config, ctx) });
}

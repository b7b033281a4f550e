/** The `ocr` function's runtime: the shared stage ports plus the OCR engine (Document AI). */
import type { BlobStore, Logger, OcrEngine } from '../../../core/ports.js';
import { loadOcrConfig, type Env, type OcrFunctionConfig } from '../config.js';
import { stageRuntime, type StageRuntime } from '../wiring.js';

async function ocrEngine(config: OcrFunctionConfig, blobs: BlobStore, log: Logger): Promise<OcrEngine> {
  if (config.ocrEngine.kind === 'local') {
    // Emulated end-to-end runs only: there is no Document AI emulator.
    const { createLocalOcrEngine } = await import('../../../adapters/local/ocr/index.js');
    return createLocalOcrEngine({});
  }
  const { location, processorVersion } = config.ocrEngine;
  const [{ createDocumentAiClient }, { createDocumentAiEngine }] = await Promise.all([
    import('../../../adapters/gcp/documentai-client.js'),
    import('../../../adapters/gcp/documentai-engine.js'),
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

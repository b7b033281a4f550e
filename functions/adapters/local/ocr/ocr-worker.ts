/**
 * Worker-thread side of the pooled OCR engine: one local engine per thread, created on first use, so that
 * pdfjs and tesseract work on every core while the main thread runs the rest of the pipeline.
 */
import type { OcrDocument } from '../../../core/ocr-document.js';
import type { OcrInput, OcrLimits } from '../../../core/ports.js';
import { createLocalOcrEngine, type LocalOcrEngine, type LocalOcrEngineOptions } from './index.js';
import { serializeError, type SerializedError } from './worker-errors.js';

export interface OcrTask {
  input: OcrInput;
  limits: OcrLimits;
  engineOptions: LocalOcrEngineOptions;
}

export type OcrTaskResult = { ok: true; doc: OcrDocument } | { ok: false; error: SerializedError };

let engine: LocalOcrEngine | undefined;

export default async function run(task: OcrTask): Promise<OcrTaskResult> {
  engine ??= createLocalOcrEngine(task.engineOptions);
  try {
    return { ok: true, doc: await engine.recognize(task.input, task.limits) };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

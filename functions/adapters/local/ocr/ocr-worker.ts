/**
 * Worker-thread side of the pooled OCR engine: one local engine per thread, created on first use, so that
 * pdfjs and tesseract work on every core while the main thread runs the rest of the pipeline.
 */
import type { OcrDocument } from '../../../core/ocr-document.js';
import type { OcrInput, OcrLimits, SerializedOcrDocument } from '../../../core/ports.js';
import { createLocalOcrEngine, type LocalOcrEngine, type LocalOcrEngineOptions } from './index.js';
import { loadPdfJs } from './pdf.js';
import { serializeError, type SerializedError } from './worker-errors.js';

export interface OcrTask {
  /** Only start what scans need (the English tesseract worker) and return at once: no document. */
  warmUpScans?: boolean;
  input: OcrInput;
  limits: OcrLimits;
  engineOptions: LocalOcrEngineOptions;
  /** Return the document as JSON: one flat string crosses the thread boundary instead of an object graph. */
  serialized: boolean;
}

export type OcrTaskResult =
  | { ok: true; warm: true }
  | { ok: true; doc: OcrDocument }
  | { ok: true; serialized: SerializedOcrDocument }
  | { ok: false; error: SerializedError };

let engine: LocalOcrEngine | undefined;

// A thread is started ahead of its first document (the pool's warm-up): load pdfjs now, not on that document.
// A failure here is reported by the document that needs pdfjs.
loadPdfJs().catch(() => undefined);

export default async function run(task: OcrTask): Promise<OcrTaskResult> {
  engine ??= createLocalOcrEngine(task.engineOptions);
  if (task.warmUpScans) {
    engine.warmUpScans();
    return { ok: true, warm: true };
  }
  try {
    const doc = await engine.recognize(task.input, task.limits);
    if (!task.serialized) return { ok: true, doc };
    return {
      ok: true,
      serialized: { json: JSON.stringify(doc), pageCount: doc.pages.length, mimeType: doc.mimeType, engineName: doc.engine.name },
    };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

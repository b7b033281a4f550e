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
  /** A warm-up, no document: start what is expected (pdfjs, the English tesseract worker) and return at once. */
  warmUp?: { pdfs: boolean; scans: boolean };
  input: OcrInput;
  limits: OcrLimits;
  engineOptions: LocalOcrEngineOptions;
  /** Return the document as JSON: one flat string crosses the thread boundary instead of an object graph. */
  serialized: boolean;
}

/** `scanned`: a page of the document was recognized from its image (a scan, not a text layer). */
export type OcrTaskResult =
  | { ok: true; warm: true }
  | { ok: true; doc: OcrDocument; scanned: boolean }
  | { ok: true; serialized: SerializedOcrDocument; scanned: boolean }
  | { ok: false; error: SerializedError };

let engine: LocalOcrEngine | undefined;


export default async function run(task: OcrTask): Promise<OcrTaskResult> {
  engine ??= createLocalOcrEngine(task.engineOptions);
  if (task.warmUp) {
    // Loads run in the background of this thread; a failure is reported by the first document that needs it.
    if (task.warmUp.pdfs) loadPdfJs().catch(() => undefined);
    if (task.warmUp.scans) engine.warmUpScans();
    return { ok: true, warm: true };
  }
  try {
    const doc = await engine.recognize(task.input, task.limits);
    const scanned = doc.pages.some((p) => p.textSource === 'ocr');
    if (!task.serialized) return { ok: true, doc, scanned };
    return {
      ok: true,
      serialized: { json: JSON.stringify(doc), pageCount: doc.pages.length, mimeType: doc.mimeType, engineName: doc.engine.name },
      scanned,
    };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

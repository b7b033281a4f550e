/**
 * Worker-thread side of the extraction pool: validates a stored OCR document and extracts its invoice, so that
 * a batch job's extraction runs on another core than its database work.
 */
import { extractInvoice } from '../../../core/extraction/extract-invoice.js';
import type { Invoice } from '../../../core/invoice/invoice.js';
import { parseOcrDocument } from '../../../core/ocr-document.js';
import { serializeError, type SerializedError } from '../ocr/worker-errors.js';

export interface ExtractionTask {
  ocrJson: string;
  einvoice: boolean;
  /** Epoch milliseconds (a Date crosses the thread boundary as one, but a number says so). */
  referenceDate: number;
}

export type ExtractionResult = { ok: true; invoice: Invoice } | { ok: false; error: SerializedError };

export default function extract(task: ExtractionTask): ExtractionResult {
  try {
    return { ok: true, invoice: extractInvoice(parseOcrDocument(task.ocrJson), { einvoice: task.einvoice, referenceDate: new Date(task.referenceDate) }) };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

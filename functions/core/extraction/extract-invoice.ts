import { findEInvoiceXml, parseEInvoice } from '../einvoice/index.js';
import { extractFromOcr } from './index.js';
import type { Invoice } from '../invoice/invoice.js';
import type { OcrDocument } from '../ocr-document.js';

export interface ExtractInvoiceOptions {
  /** Read an embedded e-invoice XML (ZUGFeRD / Factur-X / XRechnung, CII or UBL) when the document carries one. */
  einvoice: boolean;
  referenceDate?: Date;
  /** Raw evidence scores instead of calibrated confidences (for fitting the calibration only). */
  rawConfidences?: boolean;
}

/**
 * The invoice of an OCR document: the embedded e-invoice XML when enabled and present (exact values),
 * else the fields read from the OCR text and layout ({@link extractFromOcr}).
 *
 * @throws PermanentError from `parseEInvoice` when the embedded XML is hostile, invalid or not an invoice.
 */
export function extractInvoice(doc: OcrDocument, options: ExtractInvoiceOptions): Invoice {
  if (options.einvoice) {
    const xml = findEInvoiceXml(doc.embeddedFiles);
    if (xml) return parseEInvoice(xml.content);
  }
  return extractFromOcr(doc, {
    ...(options.referenceDate ? { referenceDate: options.referenceDate } : {}),
    ...(options.rawConfidences ? { rawConfidences: true } : {}),
  });
}

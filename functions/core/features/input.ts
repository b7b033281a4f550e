import type { Invoice } from '../invoice/invoice.js';
import type { OcrDocument } from '../ocr-document.js';
import type { SupplierHistory } from '../ports.js';
import type { ValidationResult } from '../validation/result.js';

/** Everything a feature vector is computed from. */
export interface FeatureInput {
  doc: OcrDocument;
  invoice: Invoice;
  validations: ValidationResult[];
  history: SupplierHistory;
  /** Number of earlier matches per duplicate index. */
  duplicates: { contentHash: number; businessKey: number; near: number };
  fileSizeBytes: number;
  now: Date;
}

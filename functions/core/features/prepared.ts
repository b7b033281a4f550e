import type { HeaderFieldName } from '../invoice/invoice.js';
import type { PageQuality } from '../ocr-document.js';
import { isSkipped } from '../validation/check.js';
import type { ValidationResult } from '../validation/result.js';
import type { FeatureInput } from './input.js';

/** Fields whose presence and confidence say most about whether an extraction can be trusted. */
export const CORE_KEY_FIELDS: readonly HeaderFieldName[] = ['invoice_id', 'invoice_date', 'supplier_name', 'total_amount', 'currency'];

/** The input plus the intermediate values several features share, computed once per vector. */
export interface Prepared extends FeatureInput {
  /** Token confidences of every page (line confidences where an engine gives no tokens). */
  confidences: number[];
  tokenCount: number;
  /** Measured quality of the pages that have one (rendered or scanned pages; none for text layers and e-invoices). */
  qualities: PageQuality[];
  /** 0..1 quality score per page that has one, measured or reported by the OCR service (Document AI). */
  qualityScores: number[];
  pageCount: number;
  lineCount: number;
  /** Non-whitespace characters of the full text. */
  charCount: number;
  /** Confidence of each present core key field. */
  keyConfidences: number[];
  /** Whether every non-skipped validation whose code matches passed; undefined when none ran. */
  allPassed(match: (code: string) => boolean): boolean | undefined;
  failedCount(severity: ValidationResult['severity']): number;
}

export function prepare(input: FeatureInput): Prepared {
  const lines = input.doc.pages.flatMap((p) => p.lines);
  const tokens = lines.flatMap((l) => l.tokens);
  const confidences = tokens.length > 0 ? tokens.map((t) => t.confidence) : lines.map((l) => l.confidence);
  const keyConfidences = CORE_KEY_FIELDS.flatMap((name) => {
    const field = input.invoice.fields[name];
    return field === undefined ? [] : [field.confidence];
  });
  const ran = input.validations.filter((v) => !isSkipped(v));
  return {
    ...input,
    confidences,
    tokenCount: tokens.length,
    qualities: input.doc.pages.flatMap((p) => (p.quality === null ? [] : [p.quality])),
    qualityScores: input.doc.pages.flatMap((p) => {
      const score = p.quality?.score ?? p.reportedQuality?.score;
      return score === undefined ? [] : [score];
    }),
    pageCount: input.doc.pages.length,
    lineCount: lines.length,
    charCount: input.doc.text.replace(/\s+/g, '').length,
    keyConfidences,
    allPassed(match) {
      const relevant = ran.filter((v) => match(v.code));
      return relevant.length === 0 ? undefined : relevant.every((v) => v.passed);
    },
    failedCount(severity) {
      return input.validations.filter((v) => !v.passed && v.severity === severity).length;
    },
  };
}

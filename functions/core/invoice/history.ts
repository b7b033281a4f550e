import { z } from 'zod';
import { InvoiceRecordSchema, type InvoiceRecord } from './record.js';

/** Why a revision was re-run, e.g. `reprocess: extraction change`, `backfill: quality@v2`. */
const RevisionReasonSchema = z.string().min(1).max(500);

/** The record fields an entry keeps when present, besides revision, status, timings and updatedAt. */
const HISTORY_FIELDS = ['rejection', 'invoice', 'validations', 'featureSchemaVersion', 'features', 'decision'] as const;

/**
 * One earlier result of an invoice, kept when a new revision starts (InvoiceStore.startRevisions): what the
 * record said at the end of that revision — status, fields, validations, features, decision with its scores and
 * model versions — and when and why it was superseded.
 */
export const InvoiceHistoryEntrySchema = InvoiceRecordSchema.pick({
  revision: true,
  status: true,
  timings: true,
  updatedAt: true,
  ...Object.fromEntries(HISTORY_FIELDS.map((k) => [k, true])) as Record<(typeof HISTORY_FIELDS)[number], true>,
}).extend({
  /** When the next revision started. */
  supersededAt: z.string(),
  reason: RevisionReasonSchema,
});
export type InvoiceHistoryEntry = z.infer<typeof InvoiceHistoryEntrySchema>;

/** Where a new revision restarts: OCR_DONE re-runs features and inference from the stored OCR document, FEATURES_DONE re-scores. */
export const RevisionStartSchema = z.enum(['OCR_DONE', 'FEATURES_DONE']);
export type RevisionStart = z.infer<typeof RevisionStartSchema>;

export interface RevisionRequest {
  from: RevisionStart;
  reason: string;
  /** The revision the caller saw; a record that moved on meanwhile is left alone (applied: false). */
  expectedRevision: number;
}

/** Why `record` cannot start a new revision from `from`, or null when it can. */
export function revisionBlocker(record: InvoiceRecord, request: RevisionRequest): string | null {
  if (record.revision !== request.expectedRevision) return `record is at revision ${record.revision}, not ${request.expectedRevision}`;
  if (!['SCORED', 'REJECTED', 'FAILED'].includes(record.status)) return `record is ${record.status}: only a settled invoice starts a new revision`;
  if (request.from === 'OCR_DONE' && !record.ocrUri) return 'record has no stored OCR document to re-run from';
  if (request.from === 'FEATURES_DONE' && (!record.features || !record.featureSchemaVersion)) return 'record has no stored features to re-score';
  return null;
}

/**
 * The record of the next revision and the history entry of the current one. Fields computed after `from` are
 * cleared (they will be computed again); the OCR facts stay.
 */
export function nextRevision(record: InvoiceRecord, request: RevisionRequest, at: string): { next: InvoiceRecord; entry: InvoiceHistoryEntry } {
  // `record` is a stored record, validated when it was written: the entry takes its fields as they are (parsing
  // the whole extracted invoice again was most of a revision's start), and only the caller's reason is checked.
  const entry: InvoiceHistoryEntry = {
    revision: record.revision, status: record.status, timings: record.timings ?? {}, updatedAt: record.updatedAt,
    supersededAt: at, reason: RevisionReasonSchema.parse(request.reason),
  };
  for (const key of HISTORY_FIELDS) if (record[key] !== undefined) Object.assign(entry, { [key]: record[key] });
  const next: InvoiceRecord = {
    ...record,
    revision: record.revision + 1,
    status: request.from,
    rejection: undefined,
    decision: undefined,
    updatedAt: at,
    ...(request.from === 'OCR_DONE'
      ? { invoice: undefined, validations: undefined, features: undefined, featureSchemaVersion: undefined }
      : {}),
  };
  return { next, entry };
}

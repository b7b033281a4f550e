import { z } from 'zod';
import { DecisionRecordSchema } from './scoring/decision.js';

/**
 * Versioned schemas of every message on the bus. A consumer parses with these; a message that does not
 * parse is a permanent error (acked and dead-lettered with the zod issues as reason).
 */
export const Topics = {
  objectFinalized: 'object-finalized',
  ocrCompleted: 'ocr-completed',
  featuresComputed: 'features-computed',
  invoiceScored: 'invoice-scored',
  deadLetter: 'dead-letter',
} as const;
export type Topic = (typeof Topics)[keyof typeof Topics];

export const BlobRefSchema = z.object({
  bucket: z.string().min(1),
  name: z.string().min(1),
  /**
   * One generation of the object (GCS int64 as a string). A read naming it returns exactly those bytes or
   * fails with BlobNotFoundError: an upload read by its generation cannot change under the reader.
   */
  generation: z.string().regex(/^\d+$/, 'generation must be an int64 string').optional(),
});
export type BlobRef = z.infer<typeof BlobRefSchema>;

/** Storage `object.finalize`, normalized (GCS `generation` is an int64 string: kept as a string). */
export const ObjectFinalizedSchema = z.object({
  bucket: z.string().min(1),
  name: z.string().min(1),
  generation: z.string().regex(/^\d+$/, 'generation must be an int64 string'),
  size: z.coerce.number().int().nonnegative(),
  contentType: z.string().optional(),
  timeCreated: z.string().optional(),
});
export type ObjectFinalized = z.infer<typeof ObjectFinalizedSchema>;

const Base = {
  schemaVersion: z.literal(1),
  invoiceId: z.string().min(1),
  /** The record revision this message belongs to (1 when absent: messages from before revisions existed). */
  revision: z.number().int().positive().default(1),
  /** W3C traceparent propagated hop to hop, so one trace covers the whole chain. */
  traceparent: z.string().optional(),
};

export const OcrCompletedSchema = z.object({
  ...Base,
  source: z.object({ bucket: z.string(), name: z.string(), generation: z.string() }),
  contentSha256: z.string().regex(/^[0-9a-f]{64}$/),
  mimeType: z.string(),
  ocr: BlobRefSchema,
  pageCount: z.number().int().nonnegative(),
});
export type OcrCompleted = z.infer<typeof OcrCompletedSchema>;

export const FeaturesComputedSchema = z.object({
  ...Base,
  featureSchemaVersion: z.string().min(1),
  /** Feature values by name; null = missing (JSON has no NaN). */
  features: z.record(z.string(), z.number().nullable()),
});
export type FeaturesComputed = z.infer<typeof FeaturesComputedSchema>;

export const InvoiceScoredSchema = z.object({
  ...Base,
  featureSchemaVersion: z.string(),
  decision: DecisionRecordSchema.shape.decision,
  modelVersions: z.record(z.string(), z.string()),
});
export type InvoiceScored = z.infer<typeof InvoiceScoredSchema>;

/** What a dead-letter entry carries: the original message and why it could not be processed. */
export const DeadLetterSchema = z.object({
  topic: z.string(),
  subscription: z.string(),
  payload: z.unknown(),
  attributes: z.record(z.string(), z.string()).default({}),
  reason: z.string(),
  code: z.string(),
  attempts: z.number().int().nonnegative(),
  firstAttemptAt: z.string(),
  deadLetteredAt: z.string(),
  invoiceId: z.string().optional(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

export const MessageSchemas = {
  [Topics.objectFinalized]: ObjectFinalizedSchema,
  [Topics.ocrCompleted]: OcrCompletedSchema,
  [Topics.featuresComputed]: FeaturesComputedSchema,
  [Topics.invoiceScored]: InvoiceScoredSchema,
  [Topics.deadLetter]: DeadLetterSchema,
} as const;
export type MessageOf<T extends Topic> = z.infer<(typeof MessageSchemas)[T]>;

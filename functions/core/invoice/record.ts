import { z } from 'zod';
import { InvoiceSchema } from './invoice.js';
import { InvoiceStatusSchema } from './status.js';
import { ValidationResultSchema } from '../validation/result.js';
import { DecisionRecordSchema } from '../scoring/decision.js';

/** The stored record of one invoice (one Firestore document / one database row). */
export const InvoiceRecordSchema = z.object({
  invoiceId: z.string(),
  status: InvoiceStatusSchema,
  /**
   * 1 for the first processing; a deliberate re-run (new feature schema, backfill with a newer model) starts
   * revision n+1 and keeps the earlier result in the record's history. Messages carry the revision they belong to.
   */
  revision: z.number().int().positive().default(1),
  source: z.object({ bucket: z.string(), name: z.string(), generation: z.string() }),
  fileName: z.string(),
  mimeType: z.string().optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
  contentSha256: z.string().optional(),
  pageCount: z.number().int().nonnegative().optional(),
  ocrUri: z.string().optional(),
  /** Terminal REJECTED / FAILED reason. */
  rejection: z.object({ code: z.string(), message: z.string() }).optional(),
  invoice: InvoiceSchema.optional(),
  validations: z.array(ValidationResultSchema).optional(),
  featureSchemaVersion: z.string().optional(),
  /** Feature values by name; null = missing. */
  features: z.record(z.string(), z.number().nullable()).optional(),
  /** Keys used by the duplicate index. */
  supplierKey: z.string().optional(),
  businessKey: z.string().optional(),
  /** True once this invoice was added to its supplier's running stats (once per invoice, whatever the revisions). */
  supplierStatsApplied: z.boolean().optional(),
  decision: DecisionRecordSchema.optional(),
  /**
   * The highest revision a review label was recorded for (InvoiceStore.markReviewed, after the label store took
   * it): at the current revision, the invoice has left the review queue.
   */
  reviewedRevision: z.number().int().positive().optional(),
  timings: z.record(z.string(), z.number()).default({}),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type InvoiceRecord = z.infer<typeof InvoiceRecordSchema>;

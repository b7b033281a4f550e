import { z } from 'zod';
import { DEFAULT_AUDIT_SAMPLE_RATE } from '../api/audit-sample.js';

/**
 * Settings of the pipeline use cases, shared by both runtimes. The platform layer builds it from the
 * environment (GCP) or from CLI flags (local) and validates it here.
 */
export const PipelineConfigSchema = z.object({
  buckets: z.object({
    inbox: z.string().min(1),
    artifacts: z.string().min(1),
  }),
  /** Only objects under this prefix of the inbox bucket are invoices (others are acked and ignored). */
  inboxPrefix: z.string().default(''),
  ocr: z.object({
    maxBytes: z.number().int().positive().default(40 * 1024 * 1024),
    maxPages: z.number().int().positive().default(15),
    timeoutMs: z.number().int().positive().default(120_000),
    languages: z.array(z.string()).min(1).default(['eng', 'deu', 'fra']),
    /** Reuse the OCR result of a byte-identical file seen before (saves Document AI calls). */
    cacheByContentHash: z.boolean().default(true),
  }),
  /** Read embedded / standalone e-invoice XML before falling back to text extraction. */
  einvoice: z.boolean().default(true),
  /**
   * Share of auto-approved invoices drawn into the review queue's audit sample, decided when each is scored
   * (a hash of the invoice id, so stable); a change applies to invoices scored from then on.
   */
  auditSampleRate: z.number().min(0).max(1).default(DEFAULT_AUDIT_SAMPLE_RATE),
  /** Claims protect a run for this long before a crashed worker's claim can be retaken. */
  idempotencyTtlMs: z.number().int().positive().default(10 * 60_000),
  /** Events older than this are dropped with a log line instead of retried forever. */
  maxEventAgeMs: z.number().int().positive().default(24 * 3600_000),
});
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;
export type PipelineConfigInput = z.input<typeof PipelineConfigSchema>;

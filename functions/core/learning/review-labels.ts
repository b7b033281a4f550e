/**
 * Review labels: a person's judgement of one invoice revision (approve or reject, corrected field values, a
 * note), tied to the model versions that scored it. The label store behind {@link LabelStore} is the one the
 * CLI, the review web page and the HTTP API write through; retraining reads the effective label per invoice.
 */
import { z } from 'zod';
import { HeaderFieldsSchema, type HeaderFieldName } from '../invoice/invoice.js';
import { isIsoCurrency } from '../validation/iso4217.js';
import type { InvoiceStore } from '../ports.js';

export const REVIEW_NOTE_MAX = 2000;
export const REVIEW_VALUE_MAX = 200;

export const ReviewDecisionSchema = z.enum(['approve', 'reject']);
export type ReviewDecision = z.infer<typeof ReviewDecisionSchema>;

/** Reviewer ids: an email or a user name; no control characters, bounded. */
export const ReviewerSchema = z.string().trim().min(1).max(200).regex(/^[\p{L}\p{N}._@+\-: ]+$/u, 'reviewer may hold letters, digits and . _ @ + - : only');

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date');
const Amount = z.number().finite().min(-1e12).max(1e12);
const Text = z.string().trim().min(1).max(REVIEW_VALUE_MAX).regex(/^[^\p{Cc}]*$/u, 'no control characters');
const Currency = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code').refine((c) => isIsoCurrency(c), 'unknown ISO 4217 code');

const AMOUNT_FIELDS = new Set<string>(['net_amount', 'total_tax_amount', 'total_amount', 'amount_due']);
const DATE_FIELDS = new Set<string>(['invoice_date', 'due_date']);

/** The schema of a corrected value of each header field (the same field names as the extracted invoice). */
export const CorrectionValueSchemas: Record<HeaderFieldName, z.ZodType<string | number>> = Object.fromEntries(
  Object.keys(HeaderFieldsSchema.shape).map((f) => [f, AMOUNT_FIELDS.has(f) ? Amount : DATE_FIELDS.has(f) ? IsoDate : f === 'currency' ? Currency : Text]),
) as unknown as Record<HeaderFieldName, z.ZodType<string | number>>;

export const CorrectionsSchema = z
  .record(z.string(), z.union([z.string(), z.number()]))
  .superRefine((value, ctx) => {
    for (const [field, v] of Object.entries(value)) {
      const schema = (CorrectionValueSchemas as Record<string, z.ZodType<string | number> | undefined>)[field];
      if (!schema) {
        ctx.addIssue({ code: 'custom', path: [field], message: `unknown field (known: ${Object.keys(CorrectionValueSchemas).join(', ')})` });
        continue;
      }
      const parsed = schema.safeParse(v);
      if (!parsed.success) ctx.addIssue({ code: 'custom', path: [field], message: parsed.error.issues[0]?.message ?? 'invalid value' });
    }
  })
  .transform((value) => Object.fromEntries(Object.entries(value).map(([f, v]) => [f, (CorrectionValueSchemas as Record<string, z.ZodType<string | number>>)[f]!.parse(v)])));
export type Corrections = Partial<Record<HeaderFieldName, string | number>>;

export const ReviewLabelSchema = z.object({
  invoiceId: z.string().min(1).max(300),
  /** The record revision judged. */
  revision: z.number().int().positive(),
  reviewer: ReviewerSchema,
  reviewedAt: z.iso.datetime({ offset: true }),
  decision: ReviewDecisionSchema,
  corrections: CorrectionsSchema.default({}),
  note: z.string().max(REVIEW_NOTE_MAX).optional(),
  /** The model versions whose scoring the reviewer saw (name -> version). */
  modelVersions: z.record(z.string(), z.string()).default({}),
});
export type ReviewLabel = z.infer<typeof ReviewLabelSchema>;
export type ReviewLabelInput = z.input<typeof ReviewLabelSchema>;

/** One stored review: the label plus its position in the history. */
export interface StoredReview extends ReviewLabel {
  /** Monotonic per store; orders the history. */
  seq: number;
  /** False once the same reviewer reviewed the same invoice revision again. */
  current: boolean;
}

export interface LabelPage {
  items: ReviewLabel[];
  nextCursor?: string | undefined;
}

/** Thrown by {@link LabelStore.put} with `exclusive` when another reviewer's current label holds the revision. */
export class ReviewConflictError extends Error {
  override readonly name = 'ReviewConflictError';
  constructor(readonly holder: ReviewLabel) {
    super(`invoice ${holder.invoiceId} revision ${holder.revision} was already reviewed by ${holder.reviewer} at ${holder.reviewedAt}`);
  }
}

export interface PutLabelOptions {
  /**
   * The review queue's rule, one reviewer per invoice revision, checked in the write's transaction: another
   * reviewer's current label of the revision throws {@link ReviewConflictError} (nothing written); this
   * reviewer's current label with the same judgement ({@link sameJudgement}) is returned as it is, `unchanged`
   * and nothing written, so a retried or re-sent action stays one label.
   */
  exclusive?: boolean;
}

/** Same decision, corrections and note (reviewedAt aside): a re-sent action, not a new judgement. */
export function sameJudgement(a: ReviewLabel, b: ReviewLabel): boolean {
  const corrections = (l: ReviewLabel) => JSON.stringify(Object.entries(l.corrections).sort(([x], [y]) => (x < y ? -1 : 1)));
  return a.invoiceId === b.invoiceId && a.revision === b.revision && a.reviewer === b.reviewer && a.decision === b.decision
    && (a.note ?? '') === (b.note ?? '') && corrections(a) === corrections(b);
}

/**
 * What an exclusive put does given the revision's current labels: throw on another reviewer's, return the
 * reviewer's own when it says the same, or undefined (write).
 */
export function exclusiveOutcome(label: ReviewLabel, currentOfRevision: readonly ReviewLabel[]): ReviewLabel | undefined {
  const other = currentOfRevision.find((l) => l.reviewer !== label.reviewer);
  if (other) throw new ReviewConflictError(other);
  const own = currentOfRevision.find((l) => l.reviewer === label.reviewer);
  return own && sameJudgement(own, label) ? own : undefined;
}

/**
 * Review labels of invoices. `put` keeps every review in the history; the same reviewer reviewing the same
 * invoice revision again replaces their current label (concurrent duplicates end in one current label and
 * two history entries). `effective` is the label training uses: among the current labels of the highest
 * reviewed revision, the latest. Throws ZodError on an invalid label.
 */
export interface LabelStore {
  put(label: ReviewLabelInput, options?: PutLabelOptions): Promise<{ replaced: boolean; label: ReviewLabel; unchanged?: boolean }>;
  /** The current label of every reviewer of the invoice (all revisions), newest first. */
  current(invoiceId: string): Promise<ReviewLabel[]>;
  effective(invoiceId: string): Promise<ReviewLabel | null>;
  /** Every review of the invoice ever made, oldest first (replaced ones included). */
  history(invoiceId: string): Promise<StoredReview[]>;
  /** The effective label of every reviewed invoice, by invoice id, paged. */
  listEffective(query: { limit: number; cursor?: string | undefined }): Promise<LabelPage>;
}

/**
 * Records a reviewer's judgement under the review queue's rule, for every way in (the HTTP API, the web page,
 * `ledgerx review`): one reviewer per invoice revision ({@link PutLabelOptions.exclusive}: another reviewer's
 * label of the revision throws {@link ReviewConflictError}, nothing written), the same action again is
 * `unchanged`, and the reviewed revision leaves the review queue. The label is written first (the truth): a
 * crash before the queue mark leaves the invoice queued, and the queue read or the action sent again marks it.
 */
export async function recordReview(
  deps: { labels: LabelStore; store: Pick<InvoiceStore, 'markReviewed'> },
  label: ReviewLabelInput,
): Promise<{ replaced: boolean; label: ReviewLabel; unchanged: boolean }> {
  const stored = await deps.labels.put(label, { exclusive: true });
  await deps.store.markReviewed(stored.label.invoiceId, stored.label.revision);
  return { replaced: stored.replaced, label: stored.label, unchanged: stored.unchanged ?? false };
}

/** Picks the effective label among current ones (see {@link LabelStore.effective}). */
export function effectiveOf(labels: readonly ReviewLabel[]): ReviewLabel | null {
  let best: ReviewLabel | null = null;
  for (const l of labels) {
    if (!best || l.revision > best.revision || (l.revision === best.revision && l.reviewedAt > best.reviewedAt)) best = l;
  }
  return best;
}

/** Key fields whose correction means the extraction was not trustworthy (the quality label). */
export const QUALITY_KEY_FIELDS: readonly HeaderFieldName[] = [
  'invoice_id', 'invoice_date', 'supplier_name', 'currency', 'net_amount', 'total_tax_amount', 'total_amount',
];

/** What a review says about the training labels: a correction of a key field = quality 0; reject = failure 1. */
export function trainingLabelsOf(label: ReviewLabel): { quality: boolean; failure: boolean } {
  const keyCorrected = QUALITY_KEY_FIELDS.some((f) => label.corrections[f] !== undefined);
  return { quality: !keyCorrected, failure: label.decision === 'reject' };
}

/** Pages through every effective label. */
export async function* iterateEffectiveLabels(store: LabelStore, pageSize = 500): AsyncGenerator<ReviewLabel> {
  let cursor: string | undefined;
  do {
    const page = await store.listEffective({ limit: pageSize, cursor });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

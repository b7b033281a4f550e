/**
 * Review actions: approve, reject, or correct fields (with a note) of the invoice revision a reviewer judged,
 * written through the review-label store of the learning loop ({@link LabelStore}); the label carries the model
 * versions that scored that revision, so retraining knows which model it judges. One reviewer per revision,
 * checked in the label's write transaction: another reviewer's action on a reviewed revision is 409
 * ALREADY_REVIEWED (of two at once exactly one is stored); the same action sent again (a retry, a double click) is
 * `unchanged` and writes nothing; the same reviewer with another judgement replaces their label (the history
 * keeps both). Reviewed invoices leave the review queue (InvoiceStore.markReviewed).
 */
import { z } from '@hono/zod-openapi';
import { CorrectionsSchema, recordReview, REVIEW_NOTE_MAX, ReviewConflictError, type LabelStore, type ReviewLabel } from '../../core/learning/review-labels.js';
import type { ApiDeps, ApiModule } from '../context.js';
import { ApiProblem, problemResponse } from '../problem.js';
import { InvoiceIdParam } from '../schemas.js';
import { actorOf } from './actor.js';
import { RetryableError } from '../../core/errors.js';

const ReviewBodySchema = z
  .object({
    decision: z.enum(['approve', 'reject']).openapi({ description: 'approve (with or without corrections) or reject.' }),
    corrections: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .openapi({ description: 'Corrected header fields, e.g. {"total_amount": 119, "invoice_date": "2025-03-01"}: amounts are numbers, dates YYYY-MM-DD, currency ISO 4217.' }),
    note: z.string().max(REVIEW_NOTE_MAX).optional(),
    revision: z.number().int().positive().optional().openapi({ description: 'The revision judged (default: the current one). A label for an older revision stays with that revision.' }),
  })
  .openapi('ReviewAction');

export const ReviewLabelViewSchema = z
  .object({
    invoiceId: z.string(),
    revision: z.number().int(),
    reviewer: z.string(),
    reviewedAt: z.string(),
    decision: z.enum(['approve', 'reject']),
    corrections: z.record(z.string(), z.union([z.string(), z.number()])),
    note: z.string().optional(),
    modelVersions: z.record(z.string(), z.string()),
  })
  .openapi('ReviewLabel');

const view = (l: ReviewLabel) => ({
  invoiceId: l.invoiceId, revision: l.revision, reviewer: l.reviewer, reviewedAt: l.reviewedAt, decision: l.decision,
  corrections: l.corrections as Record<string, string | number>, ...(l.note !== undefined ? { note: l.note } : {}), modelVersions: l.modelVersions,
});

/** Invoices among `ids` that carry a label for their current revision (a re-scored invoice comes back). */
export function reviewedBy(labels: LabelStore, deps: Pick<ApiDeps, 'store'>): (ids: string[]) => Promise<Set<string>> {
  return async (ids) => {
    const done = new Set<string>();
    await Promise.all(
      ids.map(async (id) => {
        const current = await labels.current(id);
        if (current.length === 0) return;
        const record = await deps.store.get(id);
        if (record && current.some((l) => l.revision >= record.revision)) done.add(id);
      }),
    );
    return done;
  };
}

export function reviewsModule(labels: LabelStore): ApiModule {
  return {
    name: 'reviews',
    reviewedOf: (deps) => reviewedBy(labels, deps),
    register(app, { route, deps }) {
      app.openapi(
        route('reviewer', {
          method: 'post', path: '/v1/invoices/{id}/review', tags: ['reviews'],
          summary: 'Approve, reject or correct an invoice (with a note): stored as a review label tied to the model versions that scored it.',
          request: { params: z.object({ id: InvoiceIdParam }), body: { required: true, content: { 'application/json': { schema: ReviewBodySchema } } } },
          responses: {
            200: { description: 'The stored label; `replaced` when it replaces this reviewer\'s earlier label of the revision, `unchanged` when the same action was already stored (nothing written).', content: { 'application/json': { schema: z.object({ replaced: z.boolean(), unchanged: z.boolean(), label: ReviewLabelViewSchema }).openapi('ReviewResult') } } },
            400: problemResponse('An unknown field, a malformed value, or a revision the invoice does not have.'),
            404: problemResponse('No such invoice.'),
            409: problemResponse('The invoice has no decision to review yet (CONFLICT), or another reviewer already reviewed this revision (ALREADY_REVIEWED).'),
            503: problemResponse('The review store is busy: send the action again (it is stored once).'),
          },
        }),
        async (c) => {
          const { id } = c.req.valid('param');
          const body = c.req.valid('json');
          const record = await deps.store.get(id);
          if (!record) throw new ApiProblem('NOT_FOUND', 'no such invoice');
          if (!record.decision && record.status !== 'REJECTED') throw new ApiProblem('CONFLICT', 'the invoice is still being processed: review it once it has a decision');
          const revision = body.revision ?? record.revision;
          if (revision > record.revision) throw new ApiProblem('INVALID_REQUEST', `revision must be at most ${record.revision}`);
          const corrections = CorrectionsSchema.safeParse(body.corrections ?? {});
          if (!corrections.success) {
            const issues = corrections.error.issues.map((i) => ({ path: `corrections.${i.path.join('.')}`, message: i.message }));
            throw new ApiProblem('INVALID_REQUEST', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
          }
          // The model versions of the revision judged: the current decision's, or the history entry's.
          const modelVersions = revision === record.revision
            ? (record.decision?.modelVersions ?? {})
            : ((await deps.store.history(id)).find((h) => h.revision === revision)?.decision?.modelVersions ?? {});
          let stored;
          try {
            stored = await recordReview({ labels, store: deps.store }, {
              invoiceId: id, revision, reviewer: actorOf(c.get('principal')), reviewedAt: deps.clock.now().toISOString(),
              decision: body.decision, corrections: corrections.data, ...(body.note ? { note: body.note } : {}), modelVersions,
            });
          } catch (err) {
            // Contention or unavailability the store's retries did not outlast: sent again, the action is stored
            // once (or answers `unchanged` if this attempt was stored after all).
            if (err instanceof RetryableError) throw new ApiProblem('UNAVAILABLE', 'the review store is busy: send the action again', { headers: { 'Retry-After': '1' } });
            if (!(err instanceof ReviewConflictError)) throw err;
            throw new ApiProblem('ALREADY_REVIEWED', `revision ${revision} was already reviewed by ${err.holder.reviewer} at ${err.holder.reviewedAt} (${err.holder.decision})`);
          }
          const { replaced, label, unchanged } = stored;
          c.get('log').info('review recorded', { invoiceId: id, revision, decision: label.decision, corrected: Object.keys(label.corrections).length, replaced, unchanged });
          return c.json({ replaced, unchanged, label: view(label) }, 200);
        },
      );

      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/invoices/{id}/reviews', tags: ['reviews'], summary: 'Every review of the invoice, oldest first (replaced ones included).',
          request: { params: z.object({ id: InvoiceIdParam }) },
          responses: {
            200: { description: 'The review history.', content: { 'application/json': { schema: z.object({ items: z.array(ReviewLabelViewSchema.extend({ current: z.boolean() })) }).openapi('ReviewHistory') } } },
          },
        }),
        async (c) => {
          const { id } = c.req.valid('param');
          const items = (await labels.history(id)).map((r) => ({ ...view(r), current: r.current }));
          return c.json({ items }, 200);
        },
      );
    },
  };
}

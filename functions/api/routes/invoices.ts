/**
 * Invoices: listing with filters, one invoice with everything the pipeline recorded and its history, page
 * images, the review queue, the CSV export, and direct upload with an optional bounded wait for the decision.
 */
import { z } from '@hono/zod-openapi';
import { inAuditSample } from '../../core/api/audit-sample.js';
import { csvHeaderLine, csvRow } from '../../core/invoice/csv.js';
import { InvoiceHistoryEntrySchema } from '../../core/invoice/history.js';
import { normalizeSupplierName } from '../../core/invoice/keys.js';
import { InvoiceRecordSchema } from '../../core/invoice/record.js';
import { InvoiceStatusSchema, SETTLED_STATUSES } from '../../core/invoice/status.js';
import { DecisionSchema } from '../../core/scoring/decision.js';
import type { InvoiceSummary, ListQuery } from '../../core/ports.js';
import type { ApiModule } from '../modules.js';
import { ApiProblem, problemResponse } from '../problem.js';
import { CursorQuery, InvoiceIdParam, InvoiceSummarySchema, LimitQuery, PageSchema } from '../schemas.js';
import { acceptDirectUpload, readBody } from '../uploads.js';
import { pageImage } from '../page-images.js';

const href = (id: string) => `/v1/invoices/${encodeURIComponent(id)}`;
const view = (s: InvoiceSummary) => ({
  invoiceId: s.invoiceId, fileName: s.fileName, status: s.status,
  decision: s.decision as z.infer<typeof DecisionSchema> | undefined,
  supplierKey: s.supplierKey, totalAmount: s.totalAmount, currency: s.currency, invoiceDate: s.invoiceDate, createdAt: s.createdAt,
  supplierName: s.supplierName, invoiceNumber: s.invoiceNumber, reasons: s.reasons,
  href: href(s.invoiceId),
});

/** `vat:...` / `name:...` pass as keys; anything else is a supplier name, folded the way the pipeline folds it. */
export function supplierKeyOf(supplier: string): string {
  return /^(vat|name):/.test(supplier) ? supplier : `name:${normalizeSupplierName(supplier)}`;
}

const DateBound = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/, 'an ISO date (YYYY-MM-DD) or date-time')
  .transform((s) => (s.length === 10 ? `${s}T00:00:00.000Z` : new Date(s).toISOString()));

const ListInvoicesQuery = z.object({
  status: InvoiceStatusSchema.optional(),
  decision: DecisionSchema.optional(),
  supplier: z.string().min(1).max(200).optional().openapi({ description: 'A supplier key (`vat:DE123...`, `name:acme`) or a supplier name.' }),
  from: DateBound.optional().openapi({ description: 'Received at or after (ISO date or date-time).' }),
  to: DateBound.optional().openapi({ description: 'Received before (ISO date or date-time; a date means its midnight UTC).' }),
  reason: z.string().regex(/^[A-Z0-9_]{1,64}$/).optional().openapi({ description: 'A reason code of the decision, e.g. DUP_NEAR.' }),
  model: z.string().regex(/^[A-Za-z0-9_.@-]{1,128}$/).optional().openapi({ description: '`name@version` or a bare version the invoice was scored with.' }),
  order: z.enum(['newest', 'oldest']).default('newest'),
  limit: LimitQuery,
  cursor: CursorQuery,
});

const QueueItemSchema = InvoiceSummarySchema.extend({ queue: z.enum(['review', 'audit']) }).openapi('ReviewQueueItem');

const InvoiceDetailSchema = z
  .object({
    // Core schemas may be built before @hono/zod-openapi extends zod (zod 4 copies methods at creation): describe, not .openapi.
    invoice: InvoiceRecordSchema.describe('The record: fields with confidences, sources and boxes; validations; features; decision with scores, reasons, explanations and model versions.'),
    history: z.array(InvoiceHistoryEntrySchema).describe('Earlier revisions, oldest first.'),
    pages: z.object({ count: z.number().int(), href: z.string() }),
    auditSample: z.boolean().openapi({ description: 'Whether this invoice is drawn for the audit sample (auto-approved ones only).' }),
  })
  .openapi('InvoiceDetail');

const UploadAcceptedSchema = z
  .object({
    invoiceId: z.string(),
    status: InvoiceStatusSchema.optional().openapi({ description: 'Absent while the pipeline has not created the record yet.' }),
    decision: DecisionSchema.optional(),
    settled: z.boolean(),
    replayed: z.boolean().openapi({ description: 'True when this Idempotency-Key was seen before: the earlier upload answers.' }),
    href: z.string(),
  })
  .openapi('UploadAccepted');

/** `30s`, `1500ms` or `30` (seconds), capped at `max` seconds. */
export function parseWait(text: string | undefined, maxSeconds: number): number {
  if (text === undefined || text === '') return 0;
  const m = /^(\d{1,6})(ms|s)?$/.exec(text.trim());
  if (!m) throw new ApiProblem('INVALID_REQUEST', 'wait must look like 30s, 1500ms or 30');
  const ms = m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
  return Math.min(ms, maxSeconds * 1000);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const invoicesModule: ApiModule = {
  name: 'invoices',
  register(app, { route, deps }) {
    app.openapi(
      route('viewer', {
        method: 'get', path: '/v1/invoices', tags: ['invoices'], summary: 'List invoices, newest first, with filters and cursor pagination.',
        request: { query: ListInvoicesQuery },
        responses: {
          200: { description: 'A page of invoices.', content: { 'application/json': { schema: PageSchema(InvoiceSummarySchema, 'InvoicePage') } } },
          400: problemResponse('Invalid filter or cursor.'),
        },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const query: ListQuery = {
          status: q.status, decision: q.decision, reason: q.reason, modelVersion: q.model, order: q.order,
          supplierKey: q.supplier !== undefined ? supplierKeyOf(q.supplier) : undefined,
          createdFrom: q.from, createdTo: q.to, limit: q.limit, cursor: q.cursor,
        };
        const page = await deps.store.list(query);
        return c.json({ items: page.items.map(view), nextCursor: page.nextCursor }, 200);
      },
    );

    app.openapi(
      route('reviewer', {
        method: 'get', path: '/v1/review-queue', tags: ['invoices'],
        summary: 'The review queue: REVIEW decisions oldest first, merged with a stable audit sample of auto-approved invoices.',
        request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
        responses: {
          200: { description: 'A page of the queue.', content: { 'application/json': { schema: PageSchema(QueueItemSchema, 'ReviewQueuePage') } } },
          400: problemResponse('Invalid cursor.'),
        },
      }),
      async (c) => {
        const { limit, cursor } = c.req.valid('query');
        // Reviewed invoices leave the index with their label; one whose mark was lost is left out after reading
        // (and marked): read on, a bounded number of pages, so that such a page does not come back short.
        let page = await reviewQueuePage(deps, limit, cursor);
        const items = [...page.items];
        for (let hops = 0; items.length < limit && page.nextCursor && hops < 10; hops++) {
          page = await reviewQueuePage(deps, limit - items.length, page.nextCursor);
          items.push(...page.items);
        }
        return c.json({ items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200);
      },
    );

    app.openapi(
      route('viewer', {
        method: 'get', path: '/v1/exports/invoices.csv', tags: ['invoices'], summary: 'Every invoice as CSV (the `ledgerx export --format csv` layout), streamed.',
        responses: { 200: { description: 'CSV, one line per invoice after the header.', content: { 'text/csv': { schema: z.string() } } } },
      }),
      (c) => {
        const iterator = deps.store.iterate()[Symbol.asyncIterator]();
        const encoder = new TextEncoder();
        let started = false;
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (!started) {
              started = true;
              controller.enqueue(encoder.encode(csvHeaderLine()));
              return;
            }
            // Up to 100 rows per chunk: few enough to keep memory flat, enough to not pay per row.
            let chunk = '';
            for (let i = 0; i < 100; i++) {
              const next = await iterator.next();
              if (next.done) {
                if (chunk) controller.enqueue(encoder.encode(chunk));
                controller.close();
                return;
              }
              chunk += csvRow(next.value);
            }
            controller.enqueue(encoder.encode(chunk));
          },
          async cancel() {
            await iterator.return?.();
          },
        });
        return c.body(stream, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="invoices.csv"', 'Cache-Control': 'no-store' });
      },
    );

    app.openapi(
      route('reviewer', {
        method: 'post', path: '/v1/invoices', tags: ['invoices'],
        summary: 'Upload one small file in the body (type sniffed from its bytes); 202 with the invoice, or 200 with the decision when it settles within `wait`.',
        request: {
          query: z.object({
            name: z.string().max(255).optional().openapi({ description: 'The file name (else X-File-Name, else "upload").' }),
            wait: z.string().max(16).optional().openapi({ description: 'Wait up to this long for the decision: `30s`, `1500ms`; capped by the server.', example: '30s' }),
          }),
          headers: z.object({
            'idempotency-key': z.string().regex(/^[\x21-\x7e]{1,200}$/).optional().openapi({ description: 'Same key (per caller) = same upload: retries and concurrent copies answer with one invoice.' }),
            'x-file-name': z.string().max(255).optional(),
          }),
          body: { required: true, content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) }, 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } } },
        },
        responses: {
          200: { description: 'Settled within the wait: the decision.', content: { 'application/json': { schema: UploadAcceptedSchema } } },
          202: { description: 'Accepted: processing; poll `href` (also in Location).', content: { 'application/json': { schema: UploadAcceptedSchema } } },
          400: problemResponse('Empty body or invalid parameters.'),
          409: problemResponse('Idempotency-Key reused for other content.'),
          413: problemResponse('Body above the direct upload limit (use POST /v1/uploads for a signed URL).'),
          415: problemResponse('Not a supported file type, by its content.'),
        },
      }),
      async (c) => {
        const { name, wait } = c.req.valid('query');
        const headers = c.req.valid('header');
        const waitMs = parseWait(wait, deps.settings.maxWaitSeconds);
        const max = deps.settings.maxDirectUploadBytes;
        const declared = c.req.header('content-length');
        if (declared !== undefined && Number(declared) > max) throw new ApiProblem('FILE_TOO_LARGE', `direct uploads are limited to ${max} bytes; use POST /v1/uploads`);
        const bytes = await readBody(c.req.raw.body, max);
        const accepted = await acceptDirectUpload(
          deps.blobs,
          { bucket: deps.buckets.inbox, prefix: deps.settings.uploadPrefix, now: deps.clock.now() },
          { bytes, fileName: name ?? headers['x-file-name'] ?? 'upload', callerId: c.get('principal').id, idempotencyKey: headers['idempotency-key'] },
        );
        c.get('log').info('direct upload accepted', { invoiceId: accepted.invoiceId, sizeBytes: bytes.byteLength, replayed: accepted.replayed });
        const deadline = Date.now() + waitMs;
        let record = await deps.store.get(accepted.invoiceId);
        while (waitMs > 0 && !(record && SETTLED_STATUSES.has(record.status)) && Date.now() < deadline) {
          await sleep(Math.min(deps.settings.pollIntervalMs, Math.max(1, deadline - Date.now())));
          record = await deps.store.get(accepted.invoiceId);
        }
        const settled = !!record && SETTLED_STATUSES.has(record.status);
        const body = {
          invoiceId: accepted.invoiceId, status: record?.status, decision: record?.decision?.decision, settled, replayed: accepted.replayed, href: href(accepted.invoiceId),
        };
        c.header('Location', href(accepted.invoiceId));
        return settled ? c.json(body, 200) : c.json(body, 202);
      },
    );

    app.openapi(
      route('viewer', {
        method: 'get', path: '/v1/invoices/{id}', tags: ['invoices'],
        summary: 'One invoice: fields with confidences and boxes, validations, scores, explanations, model versions, and its history.',
        request: { params: z.object({ id: InvoiceIdParam }) },
        responses: {
          200: { description: 'The invoice.', content: { 'application/json': { schema: InvoiceDetailSchema } } },
          404: problemResponse('No such invoice.'),
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const record = await deps.store.get(id);
        if (!record) throw new ApiProblem('NOT_FOUND', 'no such invoice');
        const history = await deps.store.history(id);
        return c.json({
          invoice: record,
          history,
          pages: { count: record.pageCount ?? 0, href: `${href(id)}/pages` },
          auditSample: record.decision?.decision === 'APPROVE' && (record.decision.auditSample ?? inAuditSample(id, deps.settings.auditSampleRate)),
        }, 200);
      },
    );

    app.openapi(
      route('viewer', {
        method: 'get', path: '/v1/invoices/{id}/pages', tags: ['invoices'], summary: 'The page images of an invoice.',
        request: { params: z.object({ id: InvoiceIdParam }) },
        responses: {
          200: { description: 'One link per page (PNG).', content: { 'application/json': { schema: z.object({ count: z.number().int(), pages: z.array(z.object({ page: z.number().int(), href: z.string() })) }).openapi('PageList') } } },
          404: problemResponse('No such invoice.'),
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const record = await deps.store.get(id);
        if (!record) throw new ApiProblem('NOT_FOUND', 'no such invoice');
        const count = record.mimeType?.includes('xml') ? 0 : (record.pageCount ?? 0);
        return c.json({ count, pages: Array.from({ length: count }, (_, i) => ({ page: i + 1, href: `${href(id)}/pages/${i + 1}` })) }, 200);
      },
    );

    app.openapi(
      route('viewer', {
        method: 'get', path: '/v1/invoices/{id}/pages/{page}', tags: ['invoices'], summary: 'One page as PNG, rendered from the stored original and cached.',
        request: { params: z.object({ id: InvoiceIdParam, page: z.coerce.number().int().min(1).max(1000).openapi({ param: { name: 'page', in: 'path' } }) }) },
        responses: {
          200: { description: 'The page.', content: { 'image/png': { schema: z.string().openapi({ format: 'binary' }) } } },
          404: problemResponse('No such invoice or page.'),
          422: problemResponse('The original cannot be rendered.'),
        },
      }),
      async (c) => {
        const { id, page } = c.req.valid('param');
        const record = await deps.store.get(id);
        if (!record) throw new ApiProblem('NOT_FOUND', 'no such invoice');
        const etag = `"${id}-${page}"`;
        if (c.req.header('if-none-match') === etag) return c.body(null, 304);
        const { png } = await pageImage(deps.blobs, deps.buckets.artifacts, record, page);
        return c.body(png as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/png', 'Cache-Control': 'private, max-age=86400, immutable', ETag: etag });
      },
    );
  },
};

/**
 * One page of the review queue, oldest first: one range of the stores' queue index (REVIEW decisions and the audit
 * sample drawn at scoring, minus invoices marked reviewed at their revision), keyset-paged by (createdAt,
 * invoiceId). The label store stays the truth: an invoice whose label was stored but whose mark was lost (a crash
 * between the two writes) is left out here and marked, so the index heals itself.
 */
export async function reviewQueuePage(deps: Parameters<ApiModule['register']>[1]['deps'], limit: number, cursor: string | undefined) {
  const page = await deps.store.list({ reviewQueue: true, order: 'oldest', limit, cursor });
  const done = deps.reviewed ? await deps.reviewed(page.items.map((s) => s.invoiceId)) : new Set<string>();
  if (done.size > 0) {
    const stale = page.items.filter((s) => done.has(s.invoiceId));
    await Promise.all(stale.map((s) => deps.store.markReviewed(s.invoiceId, s.revision ?? 1)));
    deps.log.warn('review queue: reviewed invoices still indexed, marked now', { count: stale.length });
  }
  return {
    items: page.items.filter((s) => !done.has(s.invoiceId)).map((s) => ({ ...view(s), queue: s.decision === 'REVIEW' ? 'review' as const : 'audit' as const })),
    nextCursor: page.nextCursor,
  };
}

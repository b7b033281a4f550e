/**
 * Signed upload URLs for browsers (POST /v1/uploads), and locally the target those URLs point at
 * (PUT /v1/uploads/local, authorized by its signature alone, like a Cloud Storage signed URL).
 */
import { z } from '@hono/zod-openapi';
import { UploadRequestSchema } from '../../platform/gcp/signed-url.js';
import { invoiceIdFor } from '../../core/pipeline/invoice-id.js';
import { PreconditionFailedError } from '../../core/ports.js';
import type { ApiModule } from '../modules.js';
import { ApiProblem, problemResponse } from '../problem.js';
import { apiObjectName, LOCAL_UPLOAD_PATH, LocalUploadQuerySchema, readBody, UPLOAD_CONTENT_TYPES, verifyLocalUpload } from '../uploads.js';

const SignedUploadSchema = z
  .object({
    url: z.string(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()).openapi({ description: 'Send exactly these headers with the PUT.' }),
    objectName: z.string(),
    invoiceHint: z.string().openapi({ description: 'How to find the invoice: list with the object name, or wait for the webhook.' }),
    expiresAt: z.string(),
  })
  .openapi('SignedUpload');

export const uploadsModule: ApiModule = {
  name: 'uploads',
  register(app, { route, deps }) {
    app.openapi(
      route('reviewer', {
        method: 'post', path: '/v1/uploads', tags: ['uploads'],
        summary: 'A signed PUT URL for one browser upload: server-chosen object name, the content type and exact size bound, short expiry.',
        request: { body: { required: true, content: { 'application/json': { schema: UploadRequestSchema } } } },
        responses: {
          200: { description: 'The URL and the headers the PUT must send.', content: { 'application/json': { schema: SignedUploadSchema } } },
          400: problemResponse('Invalid body.'),
          413: problemResponse('Declared size above the limit.'),
          415: problemResponse('Content type not accepted.'),
        },
      }),
      async (c) => {
        const body = c.req.valid('json');
        const contentType = body.contentType.split(';')[0]!.trim().toLowerCase();
        if (!(contentType in UPLOAD_CONTENT_TYPES)) throw new ApiProblem('UNSUPPORTED_TYPE', `use one of ${Object.keys(UPLOAD_CONTENT_TYPES).join(', ')}`);
        if (body.sizeBytes > deps.settings.maxUploadBytes) throw new ApiProblem('FILE_TOO_LARGE', `at most ${deps.settings.maxUploadBytes} bytes`);
        const now = deps.clock.now();
        const expires = new Date(now.getTime() + deps.settings.uploadTtlSeconds * 1000);
        const objectName = apiObjectName(deps.settings.uploadPrefix, body.fileName, now);
        const { url, headers } = await deps.uploads.sign({ bucket: deps.buckets.inbox, objectName, contentType, sizeBytes: body.sizeBytes, now, expires });
        c.get('log').info('upload url issued', { sizeBytes: body.sizeBytes, contentType });
        return c.json({
          url, method: 'PUT' as const, headers, objectName, expiresAt: expires.toISOString(),
          invoiceHint: 'the invoice appears in GET /v1/invoices once the file is stored; its id derives from bucket/name#generation',
        }, 200);
      },
    );

    if (deps.runtime !== 'local') return;
    app.openapi(
      route('signed', {
        method: 'put', path: LOCAL_UPLOAD_PATH, tags: ['uploads'],
        summary: 'Local server only: the target of a local signed upload URL (signature, expiry, content type and exact size checked).',
        request: {
          query: LocalUploadQuerySchema,
          body: { required: true, content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
        },
        responses: {
          201: { description: 'Stored in the inbox; processing starts.', content: { 'application/json': { schema: z.object({ invoiceId: z.string(), objectName: z.string(), href: z.string() }).openapi('LocalUploadStored') } } },
          400: problemResponse('Size mismatch.'),
          403: problemResponse('Bad or expired signature, or another Content-Type than signed.'),
          409: problemResponse('This URL was used already.'),
          411: problemResponse('No Content-Length.'),
        },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const { size } = verifyLocalUpload(deps.localUploadKey ?? '', q, c.req.header('content-type'), c.req.header('content-length'), deps.clock.now());
        const bytes = await readBody(c.req.raw.body, size, size);
        try {
          const stat = await deps.blobs.write({ bucket: deps.buckets.inbox, name: q.object }, bytes, { contentType: q.type, ifGenerationMatch: '0' });
          const invoiceId = invoiceIdFor(stat.bucket, stat.name, stat.generation);
          return c.json({ invoiceId, objectName: stat.name, href: `/v1/invoices/${invoiceId}` }, 201);
        } catch (err) {
          // Server-chosen names are unique: an existing object means this URL was used before.
          if (err instanceof PreconditionFailedError) throw new ApiProblem('CONFLICT', 'this upload URL was already used');
          throw err;
        }
      },
    );
  },
};

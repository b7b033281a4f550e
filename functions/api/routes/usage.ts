/** Document AI usage (pages processed per month), where the runtime uses Document AI (GCP). */
import { z } from '@hono/zod-openapi';
import type { ApiModule } from '../modules.js';
import { ApiProblem, problemResponse } from '../problem.js';

export const usageModule: ApiModule = {
  name: 'usage',
  register(app, { route, deps }) {
    app.openapi(
      route('viewer', {
        method: 'get', path: '/v1/usage/documentai', tags: ['usage'], summary: 'Document AI pages processed in a month (GCP; the local runtime has no Document AI).',
        request: { query: z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/).optional().openapi({ description: 'YYYY-MM, default: this month (UTC).' }) }) },
        responses: {
          200: { description: 'Pages.', content: { 'application/json': { schema: z.object({ month: z.string(), pages: z.number().int() }).openapi('DocumentAiUsage') } } },
          501: problemResponse('No Document AI in this runtime.'),
        },
      }),
      async (c) => {
        if (!deps.usage) throw new ApiProblem('NOT_AVAILABLE', 'this runtime reads invoices with the offline OCR engine: there is no Document AI usage');
        const month = c.req.valid('query').month ?? deps.clock.now().toISOString().slice(0, 7);
        return c.json({ month, pages: await deps.usage.pagesIn(month) }, 200);
      },
    );
  },
};

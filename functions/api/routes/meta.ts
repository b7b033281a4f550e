/** Health, the caller's own identity, and (locally) Prometheus metrics. */
import { z } from '@hono/zod-openapi';
import { RoleSchema } from '../../core/api/roles.js';
import type { ApiModule } from '../modules.js';

const HealthSchema = z.object({ status: z.literal('ok'), runtime: z.enum(['gcp', 'local']), time: z.string() }).openapi('Health');
const MeSchema = z.object({ id: z.string(), kind: z.enum(['api-key', 'user']), role: RoleSchema, label: z.string() }).openapi('Me');

export const metaModule: ApiModule = {
  name: 'meta',
  register(app, { route, deps }) {
    app.openapi(
      route('public', {
        method: 'get', path: '/v1/health', tags: ['meta'], summary: 'Liveness: answers when the API is up (no dependency checked).',
        responses: { 200: { description: 'Up.', content: { 'application/json': { schema: HealthSchema } } } },
      }),
      (c) => c.json({ status: 'ok' as const, runtime: deps.runtime, time: deps.clock.now().toISOString() }, 200),
    );
    app.openapi(
      route('viewer', {
        method: 'get', path: '/v1/me', tags: ['meta'], summary: 'Who the credential belongs to, with its role.',
        responses: { 200: { description: 'The caller.', content: { 'application/json': { schema: MeSchema } } } },
      }),
      (c) => c.json(c.get('principal'), 200),
    );
    const metrics = deps.metrics;
    if (metrics) {
      app.openapi(
        route('public', {
          method: 'get', path: '/metrics', tags: ['meta'],
          summary: 'Prometheus metrics of the local runtime: invoices by status and decision, stage latencies, queue depth, model versions (local server only, loopback).',
          responses: { 200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: z.string() } } } },
        }),
        async (c) => {
          const { contentType, body } = await metrics();
          return c.text(body, 200, { 'Content-Type': contentType });
        },
      );
    }
  },
};

/** API keys (admin): create (the key is shown once), list, revoke. */
import { z } from '@hono/zod-openapi';
import { RoleSchema } from '../../core/api/roles.js';
import type { ApiKeyRecord } from '../../core/api/ports.js';
import { issueApiKey } from '../api-keys.js';
import type { ApiModule } from '../modules.js';
import { ApiProblem, problemResponse } from '../problem.js';

const ApiKeyViewSchema = z
  .object({ id: z.string(), name: z.string(), role: RoleSchema, createdAt: z.string(), createdBy: z.string(), revokedAt: z.string().optional() })
  .openapi('ApiKey');
const view = (r: ApiKeyRecord) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.createdAt, createdBy: r.createdBy, revokedAt: r.revokedAt });
const KeyIdParam = z.string().regex(/^[a-z0-9]{8,32}$/).openapi({ param: { name: 'id', in: 'path' } });

export const apiKeysModule: ApiModule = {
  name: 'api-keys',
  register(app, { route, deps }) {
    app.openapi(
      route('admin', {
        method: 'get', path: '/v1/api-keys', tags: ['api-keys'], summary: 'Every API key (never the keys themselves).',
        responses: { 200: { description: 'Keys, newest first.', content: { 'application/json': { schema: z.object({ items: z.array(ApiKeyViewSchema) }) } } } },
      }),
      async (c) => c.json({ items: (await deps.keys.list()).map(view) }, 200),
    );
    app.openapi(
      route('admin', {
        method: 'post', path: '/v1/api-keys', tags: ['api-keys'], summary: 'Create a key for a machine client. The key is in this answer only: store it now.',
        request: { body: { required: true, content: { 'application/json': { schema: z.object({ name: z.string().trim().min(1).max(100), role: RoleSchema }).openapi('ApiKeyCreate') } } } },
        responses: {
          201: { description: 'Created.', content: { 'application/json': { schema: ApiKeyViewSchema.extend({ key: z.string().openapi({ description: 'Shown once.' }) }).openapi('ApiKeyCreated') } } },
          400: problemResponse('Invalid body.'),
        },
      }),
      async (c) => {
        const { name, role } = c.req.valid('json');
        const { key, record } = issueApiKey(name, role, c.get('principal').id, deps.clock.now());
        await deps.keys.create(record);
        c.get('log').info('api key created', { keyId: record.id, role });
        return c.json({ ...view(record), key }, 201);
      },
    );
    app.openapi(
      route('admin', {
        method: 'delete', path: '/v1/api-keys/{id}', tags: ['api-keys'], summary: 'Revoke a key (at once on this instance, within 10 s on the others).',
        request: { params: z.object({ id: KeyIdParam }) },
        responses: { 204: { description: 'Revoked.' }, 404: problemResponse('No such key.') },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        if (!(await deps.keys.revoke(id, deps.clock.now().toISOString()))) throw new ApiProblem('NOT_FOUND', 'no such key');
        c.get('log').info('api key revoked', { keyId: id });
        return c.body(null, 204);
      },
    );
  },
};

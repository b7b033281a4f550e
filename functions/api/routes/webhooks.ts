/** Webhook subscriptions (admin): create (the signing secret is shown once), read, update, delete, delivery log. */
import { randomBytes } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { DeliveryStatusSchema, WebhookDeliverySchema, WebhookEventSchema, type WebhookRecord } from '../../core/api/ports.js';
import type { ApiModule } from '../modules.js';
import { ApiProblem, problemResponse } from '../problem.js';
import { CursorQuery, LimitQuery, PageSchema } from '../schemas.js';
import { checkTarget } from '../webhooks/target.js';

const WebhookViewSchema = z
  .object({
    id: z.string(), url: z.string(), description: z.string(), events: z.array(WebhookEventSchema), active: z.boolean(),
    createdAt: z.string(), createdBy: z.string(), updatedAt: z.string(),
  })
  .openapi('Webhook');
const view = ({ secret: _secret, ...rest }: WebhookRecord) => rest;
const WebhookIdParam = z.string().regex(/^wh_[a-z0-9]{8,32}$/).openapi({ param: { name: 'id', in: 'path' } });
const Url = z.string().trim().min(1).max(2048);

export const webhooksModule: ApiModule = {
  name: 'webhooks',
  register(app, { route, deps }) {
    const policy = { allowPrivate: deps.settings.webhookAllowPrivateTargets, requireHttps: deps.settings.webhookRequireHttps };
    const find = async (id: string) => {
      const hook = await deps.webhooks.get(id);
      if (!hook) throw new ApiProblem('NOT_FOUND', 'no such webhook');
      return hook;
    };

    app.openapi(
      route('admin', {
        method: 'get', path: '/v1/webhooks', tags: ['webhooks'], summary: 'Every webhook subscription (secrets never shown again).',
        responses: { 200: { description: 'Subscriptions.', content: { 'application/json': { schema: z.object({ items: z.array(WebhookViewSchema) }) } } } },
      }),
      async (c) => c.json({ items: (await deps.webhooks.list()).map(view) }, 200),
    );
    app.openapi(
      route('admin', {
        method: 'post', path: '/v1/webhooks', tags: ['webhooks'],
        summary: 'Subscribe a URL to decisions. Deliveries are signed with the returned secret (shown once): see the README for the header.',
        request: { body: { required: true, content: { 'application/json': { schema: z.object({ url: Url, description: z.string().max(200).default(''), events: z.array(WebhookEventSchema).min(1).default(['invoice.scored']) }).openapi('WebhookCreate') } } } },
        responses: {
          201: { description: 'Created.', content: { 'application/json': { schema: WebhookViewSchema.extend({ secret: z.string().openapi({ description: 'HMAC-SHA256 key of the signatures; shown once.' }) }).openapi('WebhookCreated') } } },
          400: problemResponse('Invalid body, or a target that is not allowed (private address, not https...).'),
        },
      }),
      async (c) => {
        const body = c.req.valid('json');
        const url = await checkTarget(body.url, policy);
        const now = deps.clock.now().toISOString();
        const record: WebhookRecord = {
          id: `wh_${randomBytes(8).toString('hex')}`, url: url.toString(), description: body.description, events: body.events,
          secret: `whsec_${randomBytes(32).toString('base64url')}`, active: true, createdAt: now, createdBy: c.get('principal').id, updatedAt: now,
        };
        await deps.webhooks.create(record);
        c.get('log').info('webhook created', { webhookId: record.id });
        return c.json({ ...view(record), secret: record.secret }, 201);
      },
    );
    app.openapi(
      route('admin', {
        method: 'get', path: '/v1/webhooks/{id}', tags: ['webhooks'], summary: 'One subscription.',
        request: { params: z.object({ id: WebhookIdParam }) },
        responses: { 200: { description: 'The subscription.', content: { 'application/json': { schema: WebhookViewSchema } } }, 404: problemResponse('No such webhook.') },
      }),
      async (c) => c.json(view(await find(c.req.valid('param').id)), 200),
    );
    app.openapi(
      route('admin', {
        method: 'patch', path: '/v1/webhooks/{id}', tags: ['webhooks'], summary: 'Change the URL, description or events, pause or resume, or rotate the secret.',
        request: {
          params: z.object({ id: WebhookIdParam }),
          body: { required: true, content: { 'application/json': { schema: z.object({ url: Url.optional(), description: z.string().max(200).optional(), events: z.array(WebhookEventSchema).min(1).optional(), active: z.boolean().optional(), rotateSecret: z.boolean().optional() }).openapi('WebhookUpdate') } } },
        },
        responses: {
          200: { description: 'Updated (with the new secret when rotated).', content: { 'application/json': { schema: WebhookViewSchema.extend({ secret: z.string().optional() }) } } },
          400: problemResponse('Invalid body or target.'),
          404: problemResponse('No such webhook.'),
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const body = c.req.valid('json');
        const hook = await find(id);
        const next: WebhookRecord = {
          ...hook,
          ...(body.url !== undefined ? { url: (await checkTarget(body.url, policy)).toString() } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.events !== undefined ? { events: body.events } : {}),
          ...(body.active !== undefined ? { active: body.active } : {}),
          ...(body.rotateSecret ? { secret: `whsec_${randomBytes(32).toString('base64url')}` } : {}),
          updatedAt: deps.clock.now().toISOString(),
        };
        if (!(await deps.webhooks.update(next))) throw new ApiProblem('NOT_FOUND', 'no such webhook');
        return c.json({ ...view(next), ...(body.rotateSecret ? { secret: next.secret } : {}) }, 200);
      },
    );
    app.openapi(
      route('admin', {
        method: 'delete', path: '/v1/webhooks/{id}', tags: ['webhooks'], summary: 'Delete a subscription (its delivery log stays).',
        request: { params: z.object({ id: WebhookIdParam }) },
        responses: { 204: { description: 'Deleted.' }, 404: problemResponse('No such webhook.') },
      }),
      async (c) => {
        if (!(await deps.webhooks.delete(c.req.valid('param').id))) throw new ApiProblem('NOT_FOUND', 'no such webhook');
        return c.body(null, 204);
      },
    );
    app.openapi(
      route('admin', {
        method: 'get', path: '/v1/webhooks/{id}/deliveries', tags: ['webhooks'], summary: 'The delivery log of a subscription, newest first: every attempt with its answer.',
        request: {
          params: z.object({ id: WebhookIdParam }),
          query: z.object({ status: DeliveryStatusSchema.optional(), invoiceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(), limit: LimitQuery, cursor: CursorQuery }),
        },
        responses: {
          200: { description: 'Deliveries.', content: { 'application/json': { schema: PageSchema(WebhookDeliverySchema.omit({ leaseUntil: true }).openapi('WebhookDelivery'), 'WebhookDeliveryPage') } } },
          400: problemResponse('Invalid cursor.'),
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const q = c.req.valid('query');
        const page = await deps.webhooks.listDeliveries({ webhookId: id, status: q.status, invoiceId: q.invoiceId, limit: q.limit, cursor: q.cursor });
        return c.json({ items: page.items.map(({ leaseUntil: _l, ...d }) => d), nextCursor: page.nextCursor }, 200);
      },
    );
  },
};

/**
 * Model versions over HTTP: every version with its stage and metrics, the production pointers, pending
 * promotion requests and the audit trail (viewer); promote, roll back, approve or reject a promotion (admin).
 * Every change goes through the registry's rules (core/learning/model-registry.ts), in one transaction with its
 * audit entry: with `promotion.mode = approval` a promotion opens a pending request that another admin approves
 * (re-checked against the production version at request time, so stale evidence is refused), and a challenger
 * trained by the retraining job reaches this page only after the promotion gate let it through.
 */
import { z } from '@hono/zod-openapi';
import { RegistryConflictError, type ModelRegistryStore, type ModelVersionRecord, type PromotionRequest } from '../../core/learning/model-registry.js';
import type { PromotionMode } from '../../core/learning/config.js';
import type { ApiModule } from '../context.js';
import { ApiProblem, problemResponse } from '../problem.js';
import { actorOf } from './actor.js';

const StageEnum = z.enum(['staging', 'production', 'archived']);
const NameParam = z.string().regex(/^[a-z][a-z0-9-]{0,59}$/).openapi({ param: { name: 'name', in: 'path' }, example: 'quality' });
const VersionParam = z.string().regex(/^[\w.-]{1,120}$/).openapi({ param: { name: 'version', in: 'path' } });
const RequestIdParam = z.string().regex(/^[\w.:-]{1,200}$/).openapi({ param: { name: 'requestId', in: 'path' } });
const Reason = z.object({ reason: z.string().trim().min(3).max(2000).openapi({ description: 'Why (kept in the audit trail).' }) });

const VersionSchema = z
  .object({
    name: z.string(), version: z.string(), stage: StageEnum, kind: z.string(), createdAt: z.string(), modelSha256: z.string(),
    metrics: z.record(z.string(), z.unknown()), runId: z.string().nullable(), featureSchemaVersion: z.string(), trainingRows: z.number().int(),
  })
  .openapi('ModelVersion');
const RequestSchema = z
  .object({
    id: z.string(), name: z.string(), version: z.string(), status: z.enum(['pending', 'approved', 'rejected']), requestedBy: z.string(), requestedAt: z.string(),
    reason: z.string(), championAtRequest: z.string().nullable(), decidedBy: z.string().optional(), decidedAt: z.string().optional(), comment: z.string().optional(),
  })
  .openapi('PromotionRequest');
const AuditSchema = z
  .object({ name: z.string(), version: z.string().nullable(), at: z.string(), actor: z.string(), action: z.string(), fromStage: StageEnum.nullable(), toStage: StageEnum.nullable(), reason: z.string() })
  .openapi('ModelAuditEntry');

const versionView = (r: ModelVersionRecord) => ({
  name: r.name, version: r.version, stage: r.stage, kind: r.kind, createdAt: r.createdAt, modelSha256: r.modelSha256, metrics: r.metrics,
  runId: r.lineage.runId, featureSchemaVersion: r.lineage.featureSchemaVersion, trainingRows: r.lineage.dataSnapshot.rows,
});
const requestView = (r: PromotionRequest) => ({
  id: r.id, name: r.name, version: r.version, status: r.status, requestedBy: r.requestedBy, requestedAt: r.requestedAt, reason: r.reason,
  championAtRequest: r.championAtRequest, decidedBy: r.decidedBy, decidedAt: r.decidedAt, comment: r.comment,
});

/** Registry rule violations: an unknown version is 404, every other rule 409 with the rule's code in the detail. */
async function ruled<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RegistryConflictError) {
      throw new ApiProblem(err.code === 'UNKNOWN_VERSION' || err.code === 'UNKNOWN_REQUEST' ? 'NOT_FOUND' : 'CONFLICT', `${err.code}: ${err.message}`);
    }
    throw err;
  }
}

export function modelsModule(registry: ModelRegistryStore, promotion: { mode: PromotionMode }): ApiModule {
  return {
    name: 'models',
    register(app, { route, deps }) {
      const ctx = (actor: string, reason: string, evidence: Record<string, unknown> = {}) => ({ actor, reason, at: deps.clock.now(), evidence: { ...evidence, via: 'api' } });

      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/models', tags: ['models'], summary: 'Every model version with its stage and metrics, the production pointers and pending promotion requests.',
          responses: {
            200: {
              description: 'The registry.',
              content: { 'application/json': { schema: z.object({ mode: z.enum(['auto', 'approval']), production: z.record(z.string(), z.string()), versions: z.array(VersionSchema), pending: z.array(RequestSchema) }).openapi('ModelRegistry') } },
            },
          },
        }),
        async (c) => {
          const [versions, production, pending] = await Promise.all([registry.list(), registry.production(), registry.requests({ status: 'pending' })]);
          return c.json({ mode: promotion.mode, production, versions: versions.map(versionView), pending: pending.map(requestView) }, 200);
        },
      );

      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/models/{name}/audit', tags: ['models'], summary: 'The audit trail of a model, newest first (at most 200 entries).',
          request: { params: z.object({ name: NameParam }) },
          responses: { 200: { description: 'Audit entries.', content: { 'application/json': { schema: z.object({ items: z.array(AuditSchema) }).openapi('ModelAudit') } } } },
        }),
        async (c) => {
          const entries = await registry.audit(c.req.valid('param').name);
          const items = entries.slice(-200).reverse().map((e) => ({ name: e.name, version: e.version, at: e.at, actor: e.actor, action: e.action, fromStage: e.fromStage, toStage: e.toStage, reason: e.reason }));
          return c.json({ items }, 200);
        },
      );

      app.openapi(
        route('admin', {
          method: 'post', path: '/v1/models/{name}/versions/{version}/promote', tags: ['models'],
          summary: 'Make a version production; with approvals required, open a pending request instead (another admin approves).',
          request: { params: z.object({ name: NameParam, version: VersionParam }), body: { required: true, content: { 'application/json': { schema: Reason } } } },
          responses: {
            200: { description: 'Promoted, or pending approval.', content: { 'application/json': { schema: z.object({ outcome: z.enum(['promoted', 'pending']), version: VersionSchema.optional(), request: RequestSchema.optional() }).openapi('PromotionOutcome') } } },
            404: problemResponse('No such version.'),
            409: problemResponse('A registry rule refuses it (archived version...).'),
          },
        }),
        async (c) => {
          const { name, version } = c.req.valid('param');
          const { reason } = c.req.valid('json');
          const actor = actorOf(c.get('principal'));
          const record = await registry.get(name, version);
          if (!record) throw new ApiProblem('NOT_FOUND', `no model version ${name}@${version}`);
          const evidence = { manual: true, test: record.metrics.test ?? null };
          if (promotion.mode === 'approval') {
            const request = await ruled(() => registry.requestPromotion(name, version, ctx(actor, reason, evidence)));
            c.get('log').info('promotion requested', { model: name, modelVersion: version, requestId: request.id });
            return c.json({ outcome: 'pending' as const, request: requestView(request) }, 200);
          }
          const promoted = await ruled(() => registry.promote(name, version, ctx(actor, reason, evidence)));
          c.get('log').info('model promoted', { model: name, modelVersion: version });
          return c.json({ outcome: 'promoted' as const, version: versionView(promoted) }, 200);
        },
      );

      app.openapi(
        route('admin', {
          method: 'post', path: '/v1/models/{name}/rollback', tags: ['models'], summary: 'Restore the previous production version in one step.',
          request: { params: z.object({ name: NameParam }), body: { required: true, content: { 'application/json': { schema: Reason } } } },
          responses: {
            200: { description: 'The restored version.', content: { 'application/json': { schema: z.object({ version: VersionSchema }).openapi('RollbackOutcome') } } },
            409: problemResponse('No earlier production version.'),
          },
        }),
        async (c) => {
          const { name } = c.req.valid('param');
          const { reason } = c.req.valid('json');
          const restored = await ruled(() => registry.rollback(name, ctx(actorOf(c.get('principal')), reason)));
          c.get('log').info('model rolled back', { model: name, modelVersion: restored.version });
          return c.json({ version: versionView(restored) }, 200);
        },
      );

      app.openapi(
        route('admin', {
          method: 'post', path: '/v1/models/requests/{requestId}/{decision}', tags: ['models'],
          summary: 'Approve (promoting in the same transaction) or reject a pending promotion; its requester cannot approve it.',
          request: {
            params: z.object({ requestId: RequestIdParam, decision: z.enum(['approve', 'reject']).openapi({ param: { name: 'decision', in: 'path' } }) }),
            body: { required: true, content: { 'application/json': { schema: z.object({ comment: z.string().trim().min(3).max(2000) }) } } },
          },
          responses: {
            200: { description: 'The decided request.', content: { 'application/json': { schema: z.object({ request: RequestSchema }).openapi('PromotionDecision') } } },
            404: problemResponse('No such request.'),
            409: problemResponse('Already decided, stale (production changed since), or the requester approving their own.'),
          },
        }),
        async (c) => {
          const { requestId, decision } = c.req.valid('param');
          const { comment } = c.req.valid('json');
          const actor = actorOf(c.get('principal'));
          const decided = await ruled(() => registry.decide(requestId, decision, { ...ctx(actor, comment), comment }));
          c.get('log').info('promotion decided', { requestId, decision });
          return c.json({ request: requestView(decided) }, 200);
        },
      );
    },
  };
}

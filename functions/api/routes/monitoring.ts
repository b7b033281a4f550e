/**
 * Monitoring: drift reports (JSON and their HTML page), the models' realized and estimated performance, the
 * operations log, and an admin's approval or rejection of a pending action (an approval runs it at once).
 * The ports come lazily from the composition root (local: the data dir; GCP: Firestore and the buckets).
 */
import { z } from '@hono/zod-openapi';
import { BlobNotFoundError, type BlobStore, type Logger } from '../../core/ports.js';
import type { DriftCheckDeps } from '../../core/monitoring/drift-check.js';
import { currentPerformance } from '../../core/monitoring/drift-check.js';
import { FindingSchema, OpsActionSchema, OpsConflictError, type OpsStore } from '../../core/monitoring/ops.js';
import { decideAction, type PolicyDeps } from '../../core/monitoring/ops-policy.js';
import { ModelPerformanceSchema } from '../../core/monitoring/performance.js';
import { DriftReportSchema, type DriftReportStore } from '../../core/monitoring/report.js';
import type { ApiModule } from '../modules.js';
import { ApiProblem, problemResponse } from '../problem.js';
import { CursorQuery } from '../schemas.js';

/** What the routes use; built once, on the first call. */
export interface MonitoringApiPorts {
  reports: DriftReportStore;
  ops: OpsStore;
  blobs: BlobStore;
  policy(log: Logger): PolicyDeps;
  driftCheckDeps(log: Logger): Pick<DriftCheckDeps, 'predictions' | 'labels' | 'registry' | 'loadModel' | 'config'>;
}

const ReportId = z.string().regex(/^[\w.:-]{1,100}$/).openapi({ description: 'Report id (`drift-<window end>`).' });
const ActionId = z.string().regex(/^act-[0-9a-f]{20}$/).openapi({ description: 'Action id.' });
const ReportSummarySchema = z.object({
  id: z.string(), createdAt: z.string(), window: z.object({ from: z.string(), to: z.string() }), status: z.string(), rows: z.number().int(),
  driftedFeatures: z.number().int(), driftedShare: z.number(), driftedScores: z.array(z.string()), findingIds: z.array(z.string()),
}).openapi('DriftReportSummary');
const DecisionBody = z.object({ comment: z.string().max(2000).default('') }).openapi('OpsDecision');

export function monitoringModule(getPorts: () => Promise<MonitoringApiPorts>): ApiModule {
  return {
    name: 'monitoring',
    register(app, { route, deps }) {
      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/drift/reports', tags: ['monitoring'], summary: 'Drift reports, newest first.',
          request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20), cursor: CursorQuery }) },
          responses: { 200: { description: 'A page of reports.', content: { 'application/json': { schema: z.object({ items: z.array(ReportSummarySchema), nextCursor: z.string().optional() }) } } }, 400: problemResponse('Invalid query or cursor.') },
        }),
        async (c) => {
          const { limit, cursor } = c.req.valid('query');
          try {
            const page = await (await getPorts()).reports.list({ limit, cursor });
            return c.json({ items: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200);
          } catch (err) {
            if (err instanceof Error && err.message === 'invalid cursor') throw new ApiProblem('INVALID_CURSOR', 'invalid cursor');
            throw err;
          }
        },
      );
      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/drift/reports/{id}', tags: ['monitoring'], summary: 'One drift report: every feature and score with its test, statistic and chart data; performance; shares; findings.',
          request: { params: z.object({ id: ReportId }) },
          responses: { 200: { description: 'The report.', content: { 'application/json': { schema: DriftReportSchema } } }, 404: problemResponse('No such report.') },
        }),
        async (c) => {
          const report = await (await getPorts()).reports.get(c.req.valid('param').id);
          if (!report) throw new ApiProblem('NOT_FOUND', 'no such report');
          return c.json(report, 200);
        },
      );
      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/drift/reports/{id}/html', tags: ['monitoring'], summary: 'The report as an HTML page with a chart per drifted column (no script, no external resource).',
          request: { params: z.object({ id: ReportId }) },
          responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: z.string() } } }, 404: problemResponse('No such report or page.') },
        }),
        async (c) => {
          const ports = await getPorts();
          const report = await ports.reports.get(c.req.valid('param').id);
          if (!report?.html) throw new ApiProblem('NOT_FOUND', 'no such report');
          try {
            const html = await ports.blobs.read(report.html);
            return c.body(Buffer.from(html).toString('utf8'), 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'private, max-age=300' });
          } catch (err) {
            if (err instanceof BlobNotFoundError) throw new ApiProblem('NOT_FOUND', 'the report page is gone');
            throw err;
          }
        },
      );
      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/performance', tags: ['monitoring'], summary: 'Realized (review labels) and estimated (CBPE, calibrated scores) precision, recall and F1 of the production models over the last hours.',
          request: { query: z.object({ hours: z.coerce.number().int().min(1).max(24 * 90).optional().openapi({ description: 'Window length (default: the drift window).' }) }) },
          responses: { 200: { description: 'Per model.', content: { 'application/json': { schema: z.object({ window: z.object({ from: z.string(), to: z.string() }), models: z.array(ModelPerformanceSchema) }).openapi('Performance') } } } },
        }),
        async (c) => {
          const d = (await getPorts()).driftCheckDeps(c.get('log'));
          return c.json(await currentPerformance(d, deps.clock.now(), c.req.valid('query').hours ?? d.config.drift.windowHours), 200);
        },
      );
      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/ops/log', tags: ['monitoring'], summary: 'The operations log: findings and the actions of the policy (with their status), newest first.',
          request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), status: OpsActionSchema.shape.status.optional() }) },
          responses: { 200: { description: 'Findings and actions.', content: { 'application/json': { schema: z.object({ findings: z.array(FindingSchema), actions: z.array(OpsActionSchema) }).openapi('OpsLog') } } } },
        }),
        async (c) => {
          const { limit, status } = c.req.valid('query');
          const { ops } = await getPorts();
          const [findings, actions] = await Promise.all([status ? Promise.resolve([]) : ops.findings({ limit }), ops.actions({ ...(status ? { status } : {}), limit })]);
          return c.json({ findings, actions }, 200);
        },
      );
      for (const decision of ['approve', 'reject'] as const) {
        app.openapi(
          route('admin', {
            method: 'post', path: `/v1/ops/actions/{id}/${decision}`, tags: ['monitoring'],
            summary: decision === 'approve' ? 'Approve a pending action; it runs at once.' : 'Reject a pending action.',
            request: { params: z.object({ id: ActionId }), body: { required: false, content: { 'application/json': { schema: DecisionBody } } } },
            responses: {
              200: { description: 'The action after the decision.', content: { 'application/json': { schema: OpsActionSchema } } },
              404: problemResponse('No such action.'),
              409: problemResponse('Not pending approval (or the caller may not decide).'),
            },
          }),
          async (c) => {
            const { id } = c.req.valid('param');
            let comment = '';
            if (c.req.header('content-length') !== '0' && c.req.header('content-type')?.startsWith('application/json')) comment = c.req.valid('json').comment;
            const principal = c.get('principal');
            const log = c.get('log');
            try {
              const action = await decideAction((await getPorts()).policy(log), id, decision, principal.label, comment);
              log.info('operations action decided', { actionId: id, decision, status: action.status });
              return c.json(action, 200);
            } catch (err) {
              if (err instanceof OpsConflictError) throw new ApiProblem(err.code === 'UNKNOWN_ACTION' ? 'NOT_FOUND' : 'CONFLICT', err.message);
              throw err;
            }
          },
        );
      }
    },
  };
}

/**
 * Experiment runs and jobs over HTTP (viewer): what the retraining runs measured and which versions they made,
 * and the long-running jobs (retraining, pruning, batch work) with their status, progress counts and errors.
 */
import { z } from '@hono/zod-openapi';
import { JobStatusSchema, type JobRecord, type JobStore } from '../../core/learning/jobs.js';
import type { RunRecord, RunStore } from '../../core/learning/runs.js';
import type { ApiModule } from '../context.js';
import { ApiProblem, problemResponse } from '../problem.js';
import { CursorQuery } from '../schemas.js';

const Limit = z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Page size (1-200).' });
const IdParam = z.string().regex(/^[\w.:@-]{1,200}$/).openapi({ param: { name: 'id', in: 'path' } });

const RunSchema = z
  .object({
    id: z.string(), kind: z.string(), status: z.string(), startedAt: z.string(), finishedAt: z.string().nullable(), durationSeconds: z.number().nullable(),
    dataRows: z.number().int().nullable(), versions: z.record(z.string(), z.string()), metrics: z.record(z.string(), z.unknown()), gate: z.record(z.string(), z.unknown()),
    error: z.string().nullable(), jobId: z.string().nullable(),
  })
  .openapi('ExperimentRun');
const JobSchema = z
  .object({
    id: z.string(), kind: z.string(), key: z.string(), status: JobStatusSchema, counts: z.record(z.string(), z.number()), attempts: z.number().int(),
    errors: z.array(z.object({ at: z.string(), code: z.string(), reason: z.string(), attempt: z.number().int() })),
    createdAt: z.string(), startedAt: z.string().nullable(), updatedAt: z.string(), finishedAt: z.string().nullable(), cancelRequested: z.boolean(),
  })
  .openapi('Job');

const runView = (r: RunRecord) => ({
  id: r.id, kind: r.kind, status: r.status, startedAt: r.startedAt, finishedAt: r.finishedAt, durationSeconds: r.durationSeconds,
  dataRows: r.dataSnapshot?.rows ?? null, versions: r.versions, metrics: r.metrics, gate: r.gate, error: r.error, jobId: r.jobId,
});
// Params and checkpoints stay out: they are the handler's business (and may name buckets and prefixes).
const jobView = (j: JobRecord) => ({
  id: j.id, kind: j.kind, key: j.key, status: j.status, counts: j.counts, attempts: j.attempts, errors: j.errors,
  createdAt: j.createdAt, startedAt: j.startedAt, updatedAt: j.updatedAt, finishedAt: j.finishedAt, cancelRequested: j.cancelRequested,
});

export function runsModule(runs: RunStore): ApiModule {
  return {
    name: 'runs',
    register(app, { route }) {
      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/runs', tags: ['runs'], summary: 'Experiment runs, newest first.',
          request: { query: z.object({ limit: Limit, cursor: CursorQuery }) },
          responses: { 200: { description: 'A page of runs.', content: { 'application/json': { schema: z.object({ items: z.array(RunSchema), nextCursor: z.string().optional() }).openapi('RunPage') } } } },
        }),
        async (c) => {
          const { limit, cursor } = c.req.valid('query');
          let page;
          try {
            page = await runs.list({ limit, cursor });
          } catch {
            throw new ApiProblem('INVALID_CURSOR', 'the cursor was not issued by this listing');
          }
          return c.json({ items: page.items.map(runView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200);
        },
      );
      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/runs/{id}', tags: ['runs'], summary: 'One experiment run.',
          request: { params: z.object({ id: IdParam }) },
          responses: { 200: { description: 'The run.', content: { 'application/json': { schema: RunSchema } } }, 404: problemResponse('No such run.') },
        }),
        async (c) => {
          const run = await runs.get(c.req.valid('param').id);
          if (!run) throw new ApiProblem('NOT_FOUND', 'no such run');
          return c.json(runView(run), 200);
        },
      );
    },
  };
}

export function jobsModule(jobs: JobStore): ApiModule {
  return {
    name: 'jobs',
    register(app, { route }) {
      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/jobs', tags: ['jobs'], summary: 'Jobs (retraining, pruning, batch work), newest first, with their progress counts.',
          request: { query: z.object({ kind: z.string().regex(/^[a-z][a-z0-9-]{0,59}$/).optional(), status: JobStatusSchema.optional(), limit: Limit }) },
          responses: { 200: { description: 'Jobs.', content: { 'application/json': { schema: z.object({ items: z.array(JobSchema) }).openapi('JobList') } } } },
        }),
        async (c) => {
          const { kind, status, limit } = c.req.valid('query');
          const items = await jobs.list({ ...(kind ? { kind } : {}), ...(status ? { status } : {}), limit });
          return c.json({ items: items.map(jobView) }, 200);
        },
      );
      app.openapi(
        route('viewer', {
          method: 'get', path: '/v1/jobs/{id}', tags: ['jobs'], summary: 'One job.',
          request: { params: z.object({ id: IdParam }) },
          responses: { 200: { description: 'The job.', content: { 'application/json': { schema: JobSchema } } }, 404: problemResponse('No such job.') },
        }),
        async (c) => {
          const job = await jobs.get(c.req.valid('param').id);
          if (!job) throw new ApiProblem('NOT_FOUND', 'no such job');
          return c.json(jobView(job), 200);
        },
      );
    },
  };
}

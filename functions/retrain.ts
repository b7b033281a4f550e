/**
 * `retrain` (HTTP): the thin trigger of retraining. Training outlasts a function's time limit, so it runs as
 * a Cloud Run job; this function only records the request as a job (one per request: an atomic conditional
 * create on the job key, so Scheduler retries and Pub/Sub redeliveries start nothing twice) and starts a job
 * execution through the Cloud Run Admin API with the job id.
 *
 * Callers: Cloud Scheduler weekly (`{"reason":"schedule"}`), and the `retrain-requested` push subscription
 * (a Pub/Sub push envelope whose data is a RetrainRequested message; the message id dedupes redeliveries).
 * 200 `{ jobId, status, launched, execution? }`; 400 invalid body; 405 other methods; 500 retry (config,
 * Firestore or Cloud Run errors).
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { lazy } from './core/lazy.js';
import { retrainJobKey, RetrainRequestedSchema } from './core/learning/retrain-request.js';
import { errorFields } from './platform/logger.js';
import { createRetrainTriggerRuntime, type RetrainTriggerRuntime } from './platform/gcp/runtimes/retrain.js';

const PushSchema = z.object({
  message: z.object({ data: z.string().optional(), messageId: z.string().optional(), message_id: z.string().optional() }).loose(),
  subscription: z.string().optional(),
});

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** The request a body carries: a Pub/Sub push envelope (base64 JSON data) or the message itself. */
export function requestOf(body: unknown): { request: z.infer<typeof RetrainRequestedSchema>; trigger: 'pubsub' | 'http' } | { error: string } {
  const push = PushSchema.safeParse(body);
  let payload: unknown = body;
  let messageId: string | undefined;
  if (push.success) {
    messageId = push.data.message.messageId ?? push.data.message.message_id;
    try {
      payload = JSON.parse(Buffer.from(push.data.message.data ?? '', 'base64').toString('utf8'));
    } catch {
      return { error: 'message data is not base64 JSON' };
    }
  }
  const parsed = RetrainRequestedSchema.safeParse(payload);
  if (!parsed.success) return { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  const request = messageId && !parsed.data.requestId ? { ...parsed.data, requestId: `msg-${messageId.replace(/[^\w.:-]/g, '').slice(0, 150)}` } : parsed.data;
  return { request, trigger: push.success ? 'pubsub' : 'http' };
}

export function makeRetrainHandler(getRuntime: () => Promise<RetrainTriggerRuntime>): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.set('Allow', 'POST');
      return fail(res, 405, 'METHOD_NOT_ALLOWED', 'use POST');
    }
    let runtime: RetrainTriggerRuntime;
    try {
      runtime = await getRuntime();
    } catch (err) {
      console.error(JSON.stringify({ severity: 'ERROR', message: 'retrain is misconfigured', ...errorFields(err) }));
      return fail(res, 500, 'MISCONFIGURED', 'the function is misconfigured');
    }
    const parsed = requestOf(req.body);
    if ('error' in parsed) return fail(res, 400, 'INVALID_REQUEST', parsed.error);
    const { request, trigger } = parsed;
    const log = runtime.log.child({ reason: request.reason, trigger });
    try {
      const now = runtime.now();
      const params = { reason: request.reason, trigger, ...(request.seed !== undefined ? { seed: request.seed } : {}), ...(request.trials !== undefined ? { trials: request.trials } : {}), ...(request.promote !== undefined ? { promote: request.promote } : {}) };
      const { created, job } = await runtime.jobs.create({ id: `job-${randomUUID()}`, kind: 'retrain', key: retrainJobKey(request, now), params, now });
      if (job.status !== 'queued') {
        log.info('retrain already requested', { jobId: job.id, status: job.status });
        res.status(200).json({ jobId: job.id, status: job.status, launched: false });
        return;
      }
      const execution = await runtime.launcher.launch({ LEDGERX_JOB_ID: job.id });
      log.info('retrain job launched', { jobId: job.id, created, execution });
      res.status(200).json({ jobId: job.id, status: job.status, launched: true, execution });
    } catch (err) {
      log.error('retrain trigger failed', errorFields(err));
      fail(res, 500, 'TRIGGER_FAILED', 'could not start the retraining job');
    }
  };
}

export const handler = makeRetrainHandler(lazy(() => createRetrainTriggerRuntime()));

import { z } from 'zod';

/**
 * `retrain-requested`: asks for a retraining run (the drift check publishes it; Cloud Scheduler calls the
 * `retrain` function weekly with a body of the same shape). `requestId` makes a redelivery the same request.
 */
export const RetrainRequestedSchema = z.object({
  schemaVersion: z.literal(1).default(1),
  reason: z.string().trim().min(1).max(200).regex(/^[\w .:/-]+$/, 'reason holds letters, digits and _ . : / - only'),
  requestId: z.string().trim().min(1).max(200).regex(/^[\w.:-]+$/).optional(),
  /** Optional overrides of the retraining parameters. */
  seed: z.number().int().nonnegative().optional(),
  trials: z.number().int().positive().max(500).optional(),
  promote: z.boolean().optional(),
});
export type RetrainRequested = z.infer<typeof RetrainRequestedSchema>;

/** The job key of a request: scheduled runs dedupe per day, requests per request id (else per day and reason). */
export function retrainJobKey(request: RetrainRequested, now: Date): string {
  return request.requestId ? `retrain:${request.reason}:${request.requestId}` : `retrain:${request.reason}:${now.toISOString().slice(0, 10)}`;
}

/**
 * The operations log: findings (what monitoring saw, with its evidence) and actions (what the policy decided
 * to do about them), behind the {@link OpsStore} port. An action is a small state machine:
 *
 *   pending-approval --approve--> approved --claim--> running --finish--> executed | failed
 *          \--reject--> rejected                         (a lease: a runner that died is taken over)
 *
 * Keys make everything at-most-once: a finding is recorded once per (kind, subject, window), an action once
 * per (type, subject, window) whatever the number of findings asking for it, and only the runner holding the
 * claim may finish it. Executors are idempotent on top (a retraining request carries the action id as its
 * request id; a rollback names the version it rolls back from), so even a runner killed mid-action cannot
 * make an effect happen twice.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RiskSchema } from './config.js';

const IsoTime = z.iso.datetime({ offset: true });

export const FindingKindSchema = z.enum(['data-drift', 'prediction-drift', 'performance-drop', 'reject-share-rising', 'failed-share-rising', 'low-confidence-rising']);
export type FindingKind = z.infer<typeof FindingKindSchema>;

export const FindingSchema = z.object({
  id: z.string().min(1).max(100),
  key: z.string().min(1).max(300),
  kind: FindingKindSchema,
  /** `dataset`, a model name, or `pipeline`. */
  subject: z.string().min(1).max(100),
  summary: z.string().max(500),
  /** Numbers the finding rests on (never invoice contents). */
  evidence: z.record(z.string(), z.unknown()),
  reportId: z.string().nullable(),
  windowEnd: IsoTime,
  createdAt: IsoTime,
});
export type Finding = z.infer<typeof FindingSchema>;

export const ActionTypeSchema = z.enum(['request-retraining', 'rollback', 'hold-promotions', 'alert']);
export type ActionType = z.infer<typeof ActionTypeSchema>;
export const ActionStatusSchema = z.enum(['pending-approval', 'approved', 'rejected', 'running', 'executed', 'failed']);
export type ActionStatus = z.infer<typeof ActionStatusSchema>;

export const OpsActionSchema = z.object({
  id: z.string().min(1).max(100),
  key: z.string().min(1).max(300),
  type: ActionTypeSchema,
  risk: RiskSchema,
  status: ActionStatusSchema,
  subject: z.string().min(1).max(100),
  params: z.record(z.string(), z.unknown()),
  findingIds: z.array(z.string()),
  evidence: z.record(z.string(), z.unknown()),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  decidedBy: z.string().nullable(),
  decidedAt: IsoTime.nullable(),
  comment: z.string().max(2000).nullable(),
  owner: z.string().nullable(),
  leaseUntil: IsoTime.nullable(),
  attempts: z.number().int().nonnegative(),
  executedAt: IsoTime.nullable(),
  result: z.unknown().optional(),
  error: z.string().max(2000).nullable(),
});
export type OpsAction = z.infer<typeof OpsActionSchema>;

export class OpsConflictError extends Error {
  override readonly name = 'OpsConflictError';
  constructor(
    readonly code: 'UNKNOWN_ACTION' | 'NOT_PENDING' | 'NOT_ALLOWED',
    message: string,
  ) {
    super(message);
  }
}

/** Deterministic ids: the same key is the same record in every store and on every retry. */
export const findingId = (key: string) => `fnd-${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
export const actionId = (key: string) => `act-${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;

/**
 * Findings and actions. `recordFinding` and `proposeAction` are atomic conditional creates on the key (a
 * second proposal of the same action adds its finding ids to the stored one and changes nothing else);
 * `decide` moves pending-approval to approved or rejected (NOT_PENDING otherwise, UNKNOWN_ACTION for an
 * unknown id); `claim` moves approved (or running with an expired lease) to running under `owner`;
 * `finish` only acts for the holder of the claim. Lists are newest first.
 */
export interface OpsStore {
  recordFinding(finding: Finding): Promise<{ created: boolean; finding: Finding }>;
  findings(filter: { limit: number }): Promise<Finding[]>;
  proposeAction(action: OpsAction): Promise<{ created: boolean; action: OpsAction }>;
  action(id: string): Promise<OpsAction | null>;
  actions(filter: { status?: ActionStatus; limit: number }): Promise<OpsAction[]>;
  decide(id: string, decision: 'approve' | 'reject', by: string, comment: string, now: Date): Promise<OpsAction>;
  claim(id: string, owner: string, leaseMs: number, now: Date): Promise<OpsAction | null>;
  finish(id: string, owner: string, outcome: { status: 'executed' | 'failed'; result?: unknown; error?: string }, now: Date): Promise<boolean>;
}

// ------------------------------------------------------------------------------------------ pure rules

/** The new state of a pending action after an admin's decision (throws NOT_PENDING / NOT_ALLOWED). */
export function planDecision(action: OpsAction, decision: 'approve' | 'reject', by: string, comment: string, now: Date, admins: readonly string[] = []): OpsAction {
  if (action.status !== 'pending-approval') throw new OpsConflictError('NOT_PENDING', `action ${action.id} is ${action.status}, not pending approval`);
  if (admins.length > 0 && !admins.includes(by)) throw new OpsConflictError('NOT_ALLOWED', `${by} may not decide operations actions`);
  return { ...action, status: decision === 'approve' ? 'approved' : 'rejected', decidedBy: by, decidedAt: now.toISOString(), comment, updatedAt: now.toISOString() };
}

/** Whether `owner` may claim the action now (approved, or running under a lease that ran out). */
export function claimable(action: OpsAction, now: Date): boolean {
  return action.status === 'approved' || (action.status === 'running' && action.leaseUntil !== null && Date.parse(action.leaseUntil) <= now.getTime());
}

export function claimed(action: OpsAction, owner: string, leaseMs: number, now: Date): OpsAction {
  return { ...action, status: 'running', owner, leaseUntil: new Date(now.getTime() + leaseMs).toISOString(), attempts: action.attempts + 1, updatedAt: now.toISOString() };
}

export function finished(action: OpsAction, outcome: { status: 'executed' | 'failed'; result?: unknown; error?: string }, now: Date): OpsAction {
  return {
    ...action, status: outcome.status, leaseUntil: null, executedAt: now.toISOString(), updatedAt: now.toISOString(),
    ...(outcome.result !== undefined ? { result: outcome.result } : {}), error: outcome.error?.slice(0, 2000) ?? null,
  };
}

/** The stored action after a repeated proposal: the union of finding ids, nothing else changes. */
export function mergedProposal(stored: OpsAction, proposed: OpsAction): OpsAction {
  const ids = [...new Set([...stored.findingIds, ...proposed.findingIds])];
  return ids.length === stored.findingIds.length ? stored : { ...stored, findingIds: ids };
}

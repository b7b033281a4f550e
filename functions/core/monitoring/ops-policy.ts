/**
 * The operations policy: the one place that turns findings into actions. Each finding kind maps to actions
 * with a risk; actions up to `autoRunMaxRisk` are approved by the policy and run at once, the others wait for
 * an admin (`ledgerx ops approve|reject`, `POST /v1/ops/actions/{id}/approve|reject`).
 *
 *   data-drift             -> request retraining (low), alert (low)
 *   prediction-drift       -> request retraining (low), alert (low)
 *   performance-drop       -> roll back the model (high), request retraining (low), alert (low)
 *   reject-share-rising    -> hold promotions (medium), alert (low)
 *   failed-share-rising    -> hold promotions (medium), alert (low)
 *   low-confidence-rising  -> request retraining (medium), alert (low)
 *
 * Drift confirmed -> `retrain-requested` is this table's first row, not code in the drift check.
 */
import type { Logger } from '../ports.js';
import type { MonitoringConfig, Risk } from './config.js';
import {
  actionId, claimable, findingId, OpsConflictError, type ActionType, type Finding, type FindingKind, type OpsAction, type OpsStore,
} from './ops.js';

export const POLICY: Readonly<Record<FindingKind, ReadonlyArray<{ type: ActionType; risk: Risk }>>> = {
  'data-drift': [{ type: 'request-retraining', risk: 'low' }, { type: 'alert', risk: 'low' }],
  'prediction-drift': [{ type: 'request-retraining', risk: 'low' }, { type: 'alert', risk: 'low' }],
  'performance-drop': [{ type: 'rollback', risk: 'high' }, { type: 'request-retraining', risk: 'low' }, { type: 'alert', risk: 'low' }],
  'reject-share-rising': [{ type: 'hold-promotions', risk: 'medium' }, { type: 'alert', risk: 'low' }],
  'failed-share-rising': [{ type: 'hold-promotions', risk: 'medium' }, { type: 'alert', risk: 'low' }],
  'low-confidence-rising': [{ type: 'request-retraining', risk: 'medium' }, { type: 'alert', risk: 'low' }],
};

/** How long a hold on promotions lasts after it was executed. */
export const HOLD_MS = 7 * 86_400_000;

const RISK_ORDER: Readonly<Record<Risk, number>> = { low: 0, medium: 1, high: 2 };

/** A finding as the checks produce it (the id and key follow from kind, subject and window). */
export function newFinding(input: Omit<Finding, 'id' | 'key' | 'createdAt'>, now: Date): Finding {
  const key = `${input.kind}:${input.subject}:${input.windowEnd}`;
  return { ...input, id: findingId(key), key, createdAt: now.toISOString() };
}

/** What the production pointers are when the policy plans (a rollback names the version it replaces). */
export interface PolicyContext {
  production: Readonly<Record<string, string>>;
}

/** The actions a finding calls for, approved by the policy when their risk allows it. Pure. */
export function planActions(finding: Finding, config: MonitoringConfig, context: PolicyContext, now: Date): OpsAction[] {
  const out: OpsAction[] = [];
  for (const rule of POLICY[finding.kind]) {
    let subject: string;
    let params: Record<string, unknown>;
    if (rule.type === 'rollback') {
      const from = context.production[finding.subject];
      if (!from) continue;
      subject = finding.subject;
      params = { model: finding.subject, fromVersion: from };
    } else if (rule.type === 'alert') {
      subject = `${finding.kind}/${finding.subject}`;
      params = { kind: finding.kind, subject: finding.subject, summary: finding.summary };
    } else {
      // One retraining and one hold per window, however many findings ask for it.
      subject = 'all';
      params = rule.type === 'request-retraining' ? { reason: `ops ${finding.kind}`, ...(config.policy.retrainTrials ? { trials: config.policy.retrainTrials } : {}) } : {};
    }
    const key = `${rule.type}:${subject}:${finding.windowEnd}`;
    const auto = RISK_ORDER[rule.risk] <= RISK_ORDER[config.policy.autoRunMaxRisk];
    const at = now.toISOString();
    out.push({
      id: actionId(key), key, type: rule.type, risk: rule.risk, status: auto ? 'approved' : 'pending-approval', subject, params,
      findingIds: [finding.id], evidence: { finding: finding.kind, summary: finding.summary, ...finding.evidence }, createdAt: at, updatedAt: at,
      decidedBy: auto ? 'policy' : null, decidedAt: auto ? at : null, comment: auto ? `risk ${rule.risk}: runs without approval` : null,
      owner: null, leaseUntil: null, attempts: 0, executedAt: null, error: null,
    });
  }
  return out;
}

/**
 * The effects of actions. Each is idempotent for its input: `requestRetraining` dedupes on `requestId`,
 * `rollback` does nothing unless `fromVersion` is still production, an alert is a log line (and an alert
 * policy on GCP). Returns what happened, stored as the action's result.
 */
export interface OpsExecutors {
  requestRetraining(input: { requestId: string; reason: string; trials?: number; promote: boolean }): Promise<Record<string, unknown>>;
  rollback(input: { model: string; fromVersion: string; actionId: string }): Promise<Record<string, unknown>>;
  alert(input: { actionId: string; kind: string; subject: string; summary: string; risk: Risk }): Promise<Record<string, unknown>>;
}

export interface PolicyDeps {
  store: OpsStore;
  executors: OpsExecutors;
  config: MonitoringConfig;
  owner: string;
  log: Logger;
  now: () => Date;
  /** Lease of a running action (default 5 minutes). */
  leaseMs?: number;
}

export interface PolicyOutcome {
  findings: Array<{ id: string; kind: FindingKind; created: boolean }>;
  actions: Array<{ id: string; type: ActionType; status: OpsAction['status']; created: boolean }>;
  executed: string[];
}

/**
 * Records the findings, proposes their actions and runs every action that is ready (approved, or abandoned
 * by a dead runner). Idempotent: the same findings again record and run nothing new. Throws only for store
 * errors; an executor's failure is recorded on its action.
 */
export async function applyPolicy(deps: PolicyDeps, findings: readonly Finding[], context: PolicyContext): Promise<PolicyOutcome> {
  const outcome: PolicyOutcome = { findings: [], actions: [], executed: [] };
  for (const f of findings) {
    const { created, finding } = await deps.store.recordFinding(f);
    outcome.findings.push({ id: finding.id, kind: finding.kind, created });
    if (created) deps.log.warn('monitoring finding', { findingId: finding.id, findingKind: finding.kind, subject: finding.subject, ledgerxFinding: finding.kind });
    for (const planned of planActions(finding, deps.config, context, deps.now())) {
      const r = await deps.store.proposeAction(planned);
      outcome.actions.push({ id: r.action.id, type: r.action.type, status: r.action.status, created: r.created });
      if (r.created && r.action.status === 'pending-approval') {
        deps.log.warn('operations action awaits approval', { actionId: r.action.id, actionType: r.action.type, risk: r.action.risk, ledgerxPendingApproval: true });
      }
    }
  }
  outcome.executed = await runReadyActions(deps);
  return outcome;
}

/** Runs every claimable action once (oldest first); returns the ids it executed or failed. */
export async function runReadyActions(deps: PolicyDeps): Promise<string[]> {
  const now = deps.now();
  const ready = [...(await deps.store.actions({ status: 'approved', limit: 100 })), ...(await deps.store.actions({ status: 'running', limit: 100 }))]
    .filter((a) => claimable(a, now))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const done: string[] = [];
  for (const a of ready) if (await executeAction(deps, a.id)) done.push(a.id);
  return done;
}

export interface PromotionHold {
  actionId: string;
  /** When the hold lapses (ISO). */
  until: string;
}

/** The hold on promotions in force at `now` (a hold-promotions action executed within HOLD_MS), or null. */
export async function promotionHold(store: Pick<OpsStore, 'actions'>, now: Date): Promise<PromotionHold | null> {
  const executed = await store.actions({ status: 'executed', limit: 100 });
  const hold = executed
    .filter((h) => h.type === 'hold-promotions' && h.executedAt !== null && now.getTime() - Date.parse(h.executedAt) < HOLD_MS)
    .sort((a, b) => Date.parse(b.executedAt!) - Date.parse(a.executedAt!))[0];
  return hold ? { actionId: hold.id, until: new Date(Date.parse(hold.executedAt!) + HOLD_MS).toISOString() } : null;
}

/** Claims and runs one action; false when another runner holds it or it is not runnable. */
export async function executeAction(deps: PolicyDeps, id: string): Promise<boolean> {
  const action = await deps.store.claim(id, deps.owner, deps.leaseMs ?? 5 * 60_000, deps.now());
  if (!action) return false;
  const log = deps.log.child({ actionId: action.id, actionType: action.type, attempt: action.attempts });
  try {
    const result = await runEffect(deps, action);
    await deps.store.finish(id, deps.owner, { status: 'executed', result }, deps.now());
    log.info('operations action executed', { risk: action.risk });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await deps.store.finish(id, deps.owner, { status: 'failed', error: message }, deps.now());
    log.error('operations action failed', { errorName: err instanceof Error ? err.name : typeof err });
  }
  return true;
}

async function runEffect(deps: PolicyDeps, action: OpsAction): Promise<Record<string, unknown>> {
  const p = action.params;
  switch (action.type) {
    case 'request-retraining': {
      // A hold in force lets retraining train and gate, not promote (the retraining job checks it too, for every trigger).
      const held = (await promotionHold(deps.store, deps.now())) !== null;
      return deps.executors.requestRetraining({
        requestId: action.id, reason: typeof p.reason === 'string' ? p.reason : 'ops', promote: !held,
        ...(typeof p.trials === 'number' ? { trials: p.trials } : {}),
      });
    }
    case 'rollback':
      return deps.executors.rollback({ model: String(p.model), fromVersion: String(p.fromVersion), actionId: action.id });
    case 'hold-promotions':
      return { held: true, note: 'retraining requested by the policy gates but does not promote while this hold is in force' };
    case 'alert':
      return deps.executors.alert({ actionId: action.id, kind: String(p.kind), subject: String(p.subject), summary: String(p.summary), risk: action.risk });
  }
}

/** An admin's decision on a pending action; an approval runs it at once. Throws OpsConflictError. */
export async function decideAction(deps: PolicyDeps, id: string, decision: 'approve' | 'reject', by: string, comment: string): Promise<OpsAction> {
  const before = await deps.store.action(id);
  if (!before) throw new OpsConflictError('UNKNOWN_ACTION', `no action ${id}`);
  const admins = deps.config.policy.admins;
  if (admins.length > 0 && !admins.includes(by)) throw new OpsConflictError('NOT_ALLOWED', `${by} may not decide operations actions`);
  const decided = await deps.store.decide(id, decision, by, comment, deps.now());
  if (decided.status === 'approved') await executeAction(deps, id);
  return (await deps.store.action(id)) ?? decided;
}

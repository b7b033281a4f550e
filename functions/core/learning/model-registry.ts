/**
 * The model registry as a port: versions with a stage, metrics, lineage and an audit trail; a production
 * pointer per model name; promotions that may wait for an admin's approval. The rules (what a promotion,
 * a rollback, an approval changes) are the pure functions at the bottom; both adapters (SQLite + models/,
 * Firestore + the models bucket) apply them inside one transaction each.
 *
 * A version's files live in a {@link ModelArtifactStore} and are never overwritten; a version record is
 * created only after its files are stored, so a crash leaves at worst unreferenced files, never a record
 * without files.
 */
import { z } from 'zod';
import { StageSchema, type Stage } from '../registry/model-metadata.js';

export { StageSchema, type Stage };

export class RegistryConflictError extends Error {
  override readonly name = 'RegistryConflictError';
  constructor(
    readonly code:
      | 'UNKNOWN_VERSION'
      | 'VERSION_EXISTS'
      | 'NO_ROLLBACK_TARGET'
      | 'UNKNOWN_REQUEST'
      | 'REQUEST_DECIDED'
      | 'REQUEST_PENDING'
      | 'STALE_REQUEST'
      | 'NOT_ALLOWED'
      | 'ARCHIVED'
      | 'SCHEMA_MISMATCH',
    message: string,
  ) {
    super(message);
  }
}

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const IsoTime = z.iso.datetime({ offset: true });
export const ActorSchema = z.string().trim().min(1).max(200);

export const LineageSchema = z.object({
  /** The training-data snapshot: sha256 over its rows, and its size. */
  dataSnapshot: z.object({ sha256: Sha256, rows: z.number().int().nonnegative(), uri: z.string().optional() }),
  featureSchemaVersion: z.string(),
  /** Git commit of the code that trained it, when known. */
  codeRevision: z.string().nullable(),
  parameters: z.record(z.string(), z.unknown()),
  /** The experiment run that produced it. */
  runId: z.string().nullable(),
});
export type Lineage = z.infer<typeof LineageSchema>;

export const ModelVersionRecordSchema = z.object({
  name: z.string().min(1).max(60).regex(/^[a-z][a-z0-9-]*$/),
  version: z.string().min(1).max(120).regex(/^[\w.-]+$/),
  stage: StageSchema,
  kind: z.string(),
  createdAt: IsoTime,
  /** sha256 of model.onnx: a version is the same version only with the same bytes. */
  modelSha256: Sha256,
  metrics: z.record(z.string(), z.unknown()),
  lineage: LineageSchema,
});
export type ModelVersionRecord = z.infer<typeof ModelVersionRecordSchema>;
export type NewModelVersion = Omit<ModelVersionRecord, 'stage'>;

export const AuditActionSchema = z.enum(['register', 'promote', 'rollback', 'archive', 'request', 'approve', 'reject', 'gate']);
export const AuditEntrySchema = z.object({
  name: z.string(),
  version: z.string().nullable(),
  at: IsoTime,
  actor: ActorSchema,
  action: AuditActionSchema,
  fromStage: StageSchema.nullable(),
  toStage: StageSchema.nullable(),
  reason: z.string().max(2000),
  /** What the change rests on: the gate's comparison, the run, the request (never invoice contents). */
  evidence: z.record(z.string(), z.unknown()).default({}),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const RequestStatusSchema = z.enum(['pending', 'approved', 'rejected']);
export const PromotionRequestSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  status: RequestStatusSchema,
  requestedBy: ActorSchema,
  requestedAt: IsoTime,
  reason: z.string().max(2000),
  evidence: z.record(z.string(), z.unknown()).default({}),
  /** The production version when the request was made: approval is refused once it changed (stale evidence). */
  championAtRequest: z.string().nullable(),
  decidedBy: ActorSchema.optional(),
  decidedAt: IsoTime.optional(),
  comment: z.string().max(2000).optional(),
});
export type PromotionRequest = z.infer<typeof PromotionRequestSchema>;

export interface ChangeContext {
  actor: string;
  reason: string;
  evidence?: Record<string, unknown>;
  at: Date;
}

export interface PointerState {
  production: string | null;
  /** Versions that were production, oldest first; the last is the current one. */
  history: string[];
}

/**
 * Versions, stages, production pointers, approvals and the audit trail. Every method that changes state
 * writes its audit entries in the same transaction. Throws {@link RegistryConflictError} for a rule
 * violation (unknown version, nothing to roll back to, a decided request...).
 */
export interface ModelRegistryStore {
  /**
   * Records a new version in `staging`. Idempotent for the same name, version and model bytes
   * (`created: false`); throws VERSION_EXISTS for the same version with other bytes.
   */
  register(version: NewModelVersion, ctx: ChangeContext): Promise<{ created: boolean; record: ModelVersionRecord }>;
  get(name: string, version: string): Promise<ModelVersionRecord | null>;
  /** Every version (of one model when named), oldest first. */
  list(name?: string): Promise<ModelVersionRecord[]>;
  /** name -> production version of every model that has one. */
  production(): Promise<Record<string, string>>;
  pointer(name: string): Promise<PointerState>;
  /** Makes `version` production now (the previous one is archived). A no-op for the current version. */
  promote(name: string, version: string, ctx: ChangeContext): Promise<ModelVersionRecord>;
  /** Restores the previous production version in one step; throws NO_ROLLBACK_TARGET without one. */
  rollback(name: string, ctx: ChangeContext): Promise<ModelVersionRecord>;
  /** Opens a pending promotion (one pending request per version: a second returns the first). */
  requestPromotion(name: string, version: string, ctx: ChangeContext): Promise<PromotionRequest>;
  /**
   * Approves (promoting in the same transaction) or rejects a pending request. Throws REQUEST_DECIDED,
   * STALE_REQUEST (production changed since the request) or NOT_ALLOWED (the requester approving their own).
   */
  decide(requestId: string, decision: 'approve' | 'reject', ctx: ChangeContext & { comment: string }): Promise<PromotionRequest>;
  requests(filter?: { status?: PromotionRequest['status']; name?: string }): Promise<PromotionRequest[]>;
  /** Appends an audit entry that changes nothing (e.g. a gate decision that did not promote). */
  note(entry: Omit<AuditEntry, 'at'> & { at: Date }): Promise<void>;
  /** The audit trail, oldest first. */
  audit(name?: string, version?: string): Promise<AuditEntry[]>;
}

/**
 * Files of model versions (`<name>/<version>/model.onnx, model.json, metadata.json, README.md, test_data/...`),
 * immutable once written: a version is its `model.onnx`. `put` of a version whose stored model.onnx has the
 * same bytes keeps the stored files (`written: false`: a reproduced or resumed training); other bytes throw
 * RegistryConflictError VERSION_EXISTS. A version appears whole or not at all.
 */
export interface ModelArtifactStore {
  put(name: string, version: string, files: Readonly<Record<string, Uint8Array | string>>): Promise<{ written: boolean }>;
  exists(name: string, version: string): Promise<boolean>;
  /** A local folder holding the version's files (copied once from remote storage where needed). */
  materialize(name: string, version: string): Promise<string>;
}

// ------------------------------------------------------------------------------------------ pure rules

export interface StageChange {
  version: string;
  from: Stage;
  to: Stage;
}

/**
 * Refuses to promote a version trained on another feature schema than the one the serving code computes
 * (`servingSchema`; unset = not checked): serving would score nothing with it and decide by rules.
 */
export function assertServable(record: Pick<ModelVersionRecord, 'name' | 'version' | 'lineage'> | null | undefined, servingSchema: string | undefined): void {
  if (!record || servingSchema === undefined || record.lineage.featureSchemaVersion === servingSchema) return;
  throw new RegistryConflictError('SCHEMA_MISMATCH', `${record.name}@${record.version} reads feature schema ${record.lineage.featureSchemaVersion}; this code computes ${servingSchema}`);
}

/** The stage changes and new pointer of a promotion of `version` over `pointer`. */
export function planPromotion(pointer: PointerState, version: string, stageOf: (v: string) => Stage | null): { pointer: PointerState; changes: StageChange[] } {
  const stage = stageOf(version);
  if (stage === null) throw new RegistryConflictError('UNKNOWN_VERSION', `unknown model version ${version}`);
  if (pointer.production === version) return { pointer, changes: [] };
  const changes: StageChange[] = [{ version, from: stage, to: 'production' }];
  if (pointer.production) changes.push({ version: pointer.production, from: stageOf(pointer.production) ?? 'production', to: 'archived' });
  return { pointer: { production: version, history: [...pointer.history.filter((v) => v !== version), version] }, changes };
}

/**
 * The stage changes and new pointer of a rollback: the latest earlier production version that reads the same
 * feature schema as the current one comes back (`schemaOf`: each version's lineage schema). A rollback never
 * crosses a feature-schema change, because the serving code computes one schema only: a version of another
 * would leave inference deciding by rules. Versions skipped that way leave the history (they stay archived).
 */
export function planRollback(pointer: PointerState, schemaOf: (version: string) => string | undefined): { pointer: PointerState; changes: StageChange[]; restored: string } {
  const current = pointer.production;
  if (!current || pointer.history.length < 2) throw new RegistryConflictError('NO_ROLLBACK_TARGET', 'no earlier production version to roll back to');
  const schema = schemaOf(current);
  const earlier = pointer.history.slice(0, -1);
  const at = earlier.findLastIndex((v) => schemaOf(v) === schema);
  if (at < 0) throw new RegistryConflictError('NO_ROLLBACK_TARGET', `no earlier production version reads feature schema ${schema ?? 'unknown'} (the earlier ones were trained on another)`);
  const restored = earlier[at]!;
  const rest = earlier.slice(0, at + 1);
  return {
    pointer: { production: restored, history: rest },
    changes: [{ version: current, from: 'production', to: 'archived' }, { version: restored, from: 'archived', to: 'production' }],
    restored,
  };
}

/** Checks a decision on a request; returns the request as decided. */
export function planDecision(
  request: PromotionRequest,
  decision: 'approve' | 'reject',
  ctx: ChangeContext & { comment: string },
  currentProduction: string | null,
  admins: readonly string[],
): PromotionRequest {
  if (request.status !== 'pending') throw new RegistryConflictError('REQUEST_DECIDED', `request ${request.id} is already ${request.status}`);
  if (admins.length > 0 && !admins.includes(ctx.actor)) throw new RegistryConflictError('NOT_ALLOWED', `${ctx.actor} is not an admin`);
  if (decision === 'approve' && ctx.actor === request.requestedBy) {
    throw new RegistryConflictError('NOT_ALLOWED', 'a request is approved by someone other than its requester');
  }
  if (decision === 'approve' && currentProduction !== request.championAtRequest) {
    throw new RegistryConflictError('STALE_REQUEST', `production changed since the request (was ${request.championAtRequest ?? 'none'}, now ${currentProduction ?? 'none'}): re-run the gate`);
  }
  return {
    ...request,
    status: decision === 'approve' ? 'approved' : 'rejected',
    decidedBy: ctx.actor,
    decidedAt: ctx.at.toISOString(),
    comment: ctx.comment,
  };
}

export function auditOf(name: string, change: StageChange, action: AuditEntry['action'], ctx: ChangeContext): AuditEntry {
  return {
    name,
    version: change.version,
    at: ctx.at.toISOString(),
    actor: ctx.actor,
    action,
    fromStage: change.from,
    toStage: change.to,
    reason: ctx.reason,
    evidence: ctx.evidence ?? {},
  };
}

import { randomUUID } from 'node:crypto';
import {
  assertServable, auditOf, AuditEntrySchema, ModelVersionRecordSchema, planDecision, planPromotion, planRollback, PromotionRequestSchema, RegistryConflictError,
  type AuditEntry, type ChangeContext, type ModelRegistryStore, type ModelVersionRecord, type NewModelVersion, type PointerState,
  type PromotionRequest, type StageChange,
} from '../../../core/learning/model-registry.js';
import type { Stage } from '../../../core/registry/model-metadata.js';
import type { SqliteDatabase } from './database.js';

export interface SqliteRegistryOptions {
  /** Who may approve or reject promotion requests; empty = anyone but the requester. */
  admins?: readonly string[];
  /** The feature schema the serving code computes: promotions of versions of another are refused. */
  servingSchema?: string;
}

/**
 * {@link ModelRegistryStore} on the embedded database (the files live in a folder artifact store). Every
 * change is one IMMEDIATE transaction that applies the pure rules of core/learning/model-registry.ts to the
 * rows it read and writes the audit entries with it.
 */
export class SqliteModelRegistryStore implements ModelRegistryStore {
  private readonly admins: readonly string[];
  private readonly servingSchema: string | undefined;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteRegistryOptions = {},
  ) {
    this.admins = options.admins ?? [];
    this.servingSchema = options.servingSchema;
  }

  async register(input: NewModelVersion, ctx: ChangeContext): Promise<{ created: boolean; record: ModelVersionRecord }> {
    const record = ModelVersionRecordSchema.parse({ ...input, stage: 'staging', createdAt: new Date(input.createdAt).toISOString() });
    return this.db.immediate(() => {
      const existing = this.readVersion(record.name, record.version);
      if (existing) {
        if (existing.modelSha256 !== record.modelSha256) {
          throw new RegistryConflictError('VERSION_EXISTS', `${record.name}@${record.version} exists with other model bytes; a version is never overwritten`);
        }
        return { created: false, record: existing };
      }
      this.db
        .statement('INSERT INTO model_versions (name, version, stage, created_at, model_sha256, record) VALUES (?, ?, ?, ?, ?, ?)')
        .run(record.name, record.version, record.stage, record.createdAt, record.modelSha256, JSON.stringify(record));
      this.appendAudit({ name: record.name, version: record.version, at: ctx.at.toISOString(), actor: ctx.actor, action: 'register', fromStage: null, toStage: 'staging', reason: ctx.reason, evidence: ctx.evidence ?? {} });
      return { created: true, record };
    });
  }

  async get(name: string, version: string): Promise<ModelVersionRecord | null> {
    return this.readVersion(name, version);
  }

  async list(name?: string): Promise<ModelVersionRecord[]> {
    const rows = (name
      ? this.db.statement('SELECT record, stage FROM model_versions WHERE name = ? ORDER BY created_at, version').all(name)
      : this.db.statement('SELECT record, stage FROM model_versions ORDER BY name, created_at, version').all()) as Array<{ record: string; stage: Stage }>;
    return rows.map((r) => ModelVersionRecordSchema.parse({ ...JSON.parse(r.record), stage: r.stage }));
  }

  async production(): Promise<Record<string, string>> {
    const rows = this.db.statement('SELECT name, production FROM model_pointers WHERE production IS NOT NULL ORDER BY name').all() as Array<{ name: string; production: string }>;
    return Object.fromEntries(rows.map((r) => [r.name, r.production]));
  }

  async pointer(name: string): Promise<PointerState> {
    return this.readPointer(name);
  }

  async promote(name: string, version: string, ctx: ChangeContext): Promise<ModelVersionRecord> {
    return this.db.immediate(() => this.promoteInTx(name, version, ctx, 'promote'));
  }

  async rollback(name: string, ctx: ChangeContext): Promise<ModelVersionRecord> {
    return this.db.immediate(() => {
      const plan = planRollback(this.readPointer(name), (v) => this.readVersion(name, v)?.lineage.featureSchemaVersion);
      this.apply(name, plan.pointer, plan.changes, 'rollback', ctx);
      return this.readVersion(name, plan.restored)!;
    });
  }

  async requestPromotion(name: string, version: string, ctx: ChangeContext): Promise<PromotionRequest> {
    return this.db.immediate(() => {
      const target = this.readVersion(name, version);
      if (!target) throw new RegistryConflictError('UNKNOWN_VERSION', `unknown model version ${name}@${version}`);
      const pending = this.db.statement(`SELECT request FROM promotion_requests WHERE name = ? AND version = ? AND status = 'pending'`).get(name, version) as { request: string } | undefined;
      if (pending) return PromotionRequestSchema.parse(JSON.parse(pending.request));
      const request = PromotionRequestSchema.parse({
        id: `pr-${randomUUID()}`, name, version, status: 'pending', requestedBy: ctx.actor, requestedAt: ctx.at.toISOString(),
        reason: ctx.reason, evidence: ctx.evidence ?? {}, championAtRequest: this.readPointer(name).production,
      });
      this.db.statement('INSERT INTO promotion_requests (id, name, version, status, requested_at, request) VALUES (?, ?, ?, ?, ?, ?)')
        .run(request.id, name, version, request.status, request.requestedAt, JSON.stringify(request));
      this.appendAudit({ name, version, at: request.requestedAt, actor: ctx.actor, action: 'request', fromStage: target.stage, toStage: target.stage, reason: ctx.reason, evidence: { ...ctx.evidence, requestId: request.id } });
      return request;
    });
  }

  async decide(requestId: string, decision: 'approve' | 'reject', ctx: ChangeContext & { comment: string }): Promise<PromotionRequest> {
    return this.db.immediate(() => {
      const row = this.db.statement('SELECT request FROM promotion_requests WHERE id = ?').get(requestId) as { request: string } | undefined;
      if (!row) throw new RegistryConflictError('UNKNOWN_REQUEST', `unknown promotion request ${requestId}`);
      const request = PromotionRequestSchema.parse(JSON.parse(row.request));
      const decided = planDecision(request, decision, ctx, this.readPointer(request.name).production, this.admins);
      this.db.statement('UPDATE promotion_requests SET status = ?, request = ? WHERE id = ?').run(decided.status, JSON.stringify(decided), requestId);
      const evidence = { ...request.evidence, requestId, requestedBy: request.requestedBy, comment: ctx.comment };
      const stage = this.readVersion(request.name, request.version)?.stage ?? null;
      this.appendAudit({ name: request.name, version: request.version, at: ctx.at.toISOString(), actor: ctx.actor, action: decision, fromStage: stage, toStage: stage, reason: ctx.comment, evidence });
      if (decision === 'approve') this.promoteInTx(request.name, request.version, { ...ctx, reason: `approved: ${ctx.comment}`, evidence }, 'promote');
      return decided;
    });
  }

  async requests(filter: { status?: PromotionRequest['status']; name?: string } = {}): Promise<PromotionRequest[]> {
    const rows = this.db.statement('SELECT request FROM promotion_requests ORDER BY requested_at, id').all() as Array<{ request: string }>;
    return rows
      .map((r) => PromotionRequestSchema.parse(JSON.parse(r.request)))
      .filter((r) => (!filter.status || r.status === filter.status) && (!filter.name || r.name === filter.name));
  }

  async note(entry: Omit<AuditEntry, 'at'> & { at: Date }): Promise<void> {
    this.db.immediate(() => this.appendAudit({ ...entry, at: entry.at.toISOString() }));
  }

  async audit(name?: string, version?: string): Promise<AuditEntry[]> {
    const rows = (name === undefined
      ? this.db.statement('SELECT entry FROM model_audit ORDER BY id').all()
      : version === undefined
        ? this.db.statement('SELECT entry FROM model_audit WHERE name = ? ORDER BY id').all(name)
        : this.db.statement('SELECT entry FROM model_audit WHERE name = ? AND version = ? ORDER BY id').all(name, version)) as Array<{ entry: string }>;
    return rows.map((r) => AuditEntrySchema.parse(JSON.parse(r.entry)));
  }

  // ---------------------------------------------------------------------------------------- inside transactions

  private promoteInTx(name: string, version: string, ctx: ChangeContext, action: AuditEntry['action']): ModelVersionRecord {
    assertServable(this.readVersion(name, version), this.servingSchema);
    const plan = planPromotion(this.readPointer(name), version, (v) => this.readVersion(name, v)?.stage ?? null);
    this.apply(name, plan.pointer, plan.changes, action, ctx);
    return this.readVersion(name, version)!;
  }

  private apply(name: string, pointer: PointerState, changes: readonly StageChange[], action: AuditEntry['action'], ctx: ChangeContext): void {
    if (changes.length === 0) return;
    for (const change of changes) {
      this.db.statement('UPDATE model_versions SET stage = ? WHERE name = ? AND version = ?').run(change.to, name, change.version);
      const kind = change.to === 'production' ? action : 'archive';
      this.appendAudit(auditOf(name, change, kind, ctx));
    }
    this.db
      .statement(
        `INSERT INTO model_pointers (name, production, history, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET production = excluded.production, history = excluded.history, updated_at = excluded.updated_at`,
      )
      .run(name, pointer.production, JSON.stringify(pointer.history), ctx.at.toISOString());
  }

  private readVersion(name: string, version: string): ModelVersionRecord | null {
    const row = this.db.statement('SELECT record, stage FROM model_versions WHERE name = ? AND version = ?').get(name, version) as { record: string; stage: Stage } | undefined;
    return row ? ModelVersionRecordSchema.parse({ ...JSON.parse(row.record), stage: row.stage }) : null;
  }

  private readPointer(name: string): PointerState {
    const row = this.db.statement('SELECT production, history FROM model_pointers WHERE name = ?').get(name) as { production: string | null; history: string } | undefined;
    return row ? { production: row.production, history: JSON.parse(row.history) as string[] } : { production: null, history: [] };
  }

  private appendAudit(entry: AuditEntry): void {
    const parsed = AuditEntrySchema.parse(entry);
    this.db.statement('INSERT INTO model_audit (name, version, at, entry) VALUES (?, ?, ?, ?)').run(parsed.name, parsed.version, parsed.at, JSON.stringify(parsed));
  }
}

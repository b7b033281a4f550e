/**
 * {@link ModelRegistryStore} on Firestore (the files live in the models bucket: gcs-model-artifacts.ts).
 * Documents: `modelVersions/{name}@{version}`, `modelPointers/{name}` (production + history),
 * `modelAudit/{auto}` (ordered by `ord`), `promotionRequests/{id}`. Every change is one transaction that reads
 * the documents it changes, applies the pure rules of core/learning/model-registry.ts and writes the audit
 * entries with it; queries are equality-only (no composite index) and sorted here.
 */
import { randomUUID } from 'node:crypto';
import type { CollectionReference, DocumentData, DocumentReference, DocumentSnapshot, Firestore, Query, Transaction } from '@google-cloud/firestore';
import {
  assertServable, auditOf, AuditEntrySchema, ModelVersionRecordSchema, planDecision, planPromotion, planRollback, PromotionRequestSchema, RegistryConflictError,
  type AuditEntry, type ChangeContext, type ModelRegistryStore, type ModelVersionRecord, type NewModelVersion, type PointerState,
  type PromotionRequest, type StageChange,
} from '../../core/learning/model-registry.js';
import { rethrowClassified, runTransaction } from './firestore-data.js';

export interface FirestoreRegistryOptions {
  /** Collection prefix (default none). */
  prefix?: string;
  admins?: readonly string[];
  maxTransactionAttempts?: number;
  /** The feature schema the serving code computes: promotions of versions of another are refused. */
  servingSchema?: string;
}

let ordCounter = 0;
/** Orders audit entries: time, then a per-process counter (several entries share one transaction's time). */
const ordOf = (at: string, i: number) => `${at}#${String(process.hrtime.bigint()).padStart(24, '0')}#${String(ordCounter++ % 1e6).padStart(6, '0')}#${i}`;

export class FirestoreModelRegistryStore implements ModelRegistryStore {
  private readonly versions: CollectionReference;
  private readonly pointers: CollectionReference;
  private readonly audits: CollectionReference;
  private readonly reqs: CollectionReference;
  private readonly admins: readonly string[];
  private readonly attempts: number;
  private readonly servingSchema: string | undefined;

  constructor(
    private readonly db: Firestore,
    options: FirestoreRegistryOptions = {},
  ) {
    const p = options.prefix ?? '';
    this.versions = db.collection(`${p}modelVersions`);
    this.pointers = db.collection(`${p}modelPointers`);
    this.audits = db.collection(`${p}modelAudit`);
    this.reqs = db.collection(`${p}promotionRequests`);
    this.admins = options.admins ?? [];
    this.servingSchema = options.servingSchema;
    this.attempts = options.maxTransactionAttempts ?? 30;
  }

  private vref(name: string, version: string): DocumentReference {
    return this.versions.doc(`${name}@${version}`);
  }

  private tx<T>(what: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return runTransaction(this.db, fn, { maxAttempts: this.attempts }).catch((err: unknown) => {
      if (err instanceof RegistryConflictError) throw err;
      return rethrowClassified(err, what);
    });
  }

  async register(input: NewModelVersion, ctx: ChangeContext): Promise<{ created: boolean; record: ModelVersionRecord }> {
    const record = ModelVersionRecordSchema.parse({ ...input, stage: 'staging', createdAt: new Date(input.createdAt).toISOString() });
    return this.tx('registry register', async (tx) => {
      const snap = await tx.get(this.vref(record.name, record.version));
      if (snap.exists) {
        const existing = this.parseVersion(snap.data()!);
        if (existing.modelSha256 !== record.modelSha256) throw new RegistryConflictError('VERSION_EXISTS', `${record.name}@${record.version} exists with other model bytes; a version is never overwritten`);
        return { created: false, record: existing };
      }
      tx.create(this.vref(record.name, record.version), this.versionDoc(record));
      this.writeAudit(tx, [{ name: record.name, version: record.version, at: ctx.at.toISOString(), actor: ctx.actor, action: 'register', fromStage: null, toStage: 'staging', reason: ctx.reason, evidence: ctx.evidence ?? {} }]);
      return { created: true, record };
    });
  }

  async get(name: string, version: string): Promise<ModelVersionRecord | null> {
    const snap = await this.vref(name, version).get();
    return snap.exists ? this.parseVersion(snap.data()!) : null;
  }

  async list(name?: string): Promise<ModelVersionRecord[]> {
    const snap = await (name ? this.versions.where('name', '==', name) : this.versions).get();
    return snap.docs.map((d) => this.parseVersion(d.data())).sort((a, b) => a.name.localeCompare(b.name) || a.createdAt.localeCompare(b.createdAt) || a.version.localeCompare(b.version));
  }

  async production(): Promise<Record<string, string>> {
    const snap = await this.pointers.get();
    return Object.fromEntries(snap.docs.filter((d) => d.get('production')).map((d) => [d.id, String(d.get('production'))]).sort(([a], [b]) => a!.localeCompare(b!)));
  }

  async pointer(name: string): Promise<PointerState> {
    const snap = await this.pointers.doc(name).get();
    return this.parsePointer(snap.exists ? snap.data() : undefined);
  }

  async promote(name: string, version: string, ctx: ChangeContext): Promise<ModelVersionRecord> {
    return this.tx('registry promote', (tx) => this.promoteInTx(tx, name, version, ctx, []));
  }

  async rollback(name: string, ctx: ChangeContext): Promise<ModelVersionRecord> {
    return this.tx('registry rollback', async (tx) => {
      const pointer = this.parsePointer((await tx.get(this.pointers.doc(name))).data());
      // The history is short (one entry per production version): read it whole to find the schema of each.
      const snaps = pointer.history.length > 0 ? await tx.getAll(...pointer.history.map((v) => this.vref(name, v))) : [];
      const known = new Map<string, ModelVersionRecord>();
      for (const snap of snaps) if (snap.exists) { const record = this.parseVersion(snap.data()!); known.set(record.version, record); }
      const plan = planRollback(pointer, (v) => known.get(v)?.lineage.featureSchemaVersion);
      const records = new Map<string, ModelVersionRecord>();
      for (const v of [plan.restored, pointer.production!]) if (known.has(v)) records.set(v, known.get(v)!);
      this.apply(tx, name, plan.pointer, plan.changes, records, 'rollback', ctx, []);
      return { ...records.get(plan.restored)!, stage: 'production' };
    });
  }

  async requestPromotion(name: string, version: string, ctx: ChangeContext): Promise<PromotionRequest> {
    return this.tx('registry request', async (tx) => {
      const [target, pending, pointerSnap] = await Promise.all([
        tx.get(this.vref(name, version)),
        tx.get(this.reqs.where('key', '==', `${name}@${version}`).where('status', '==', 'pending')),
        tx.get(this.pointers.doc(name)),
      ]);
      if (!target.exists) throw new RegistryConflictError('UNKNOWN_VERSION', `unknown model version ${name}@${version}`);
      if (!pending.empty) return PromotionRequestSchema.parse(JSON.parse(String(pending.docs[0]!.get('json'))));
      const request = PromotionRequestSchema.parse({
        id: `pr-${randomUUID()}`, name, version, status: 'pending', requestedBy: ctx.actor, requestedAt: ctx.at.toISOString(), reason: ctx.reason,
        evidence: ctx.evidence ?? {}, championAtRequest: this.parsePointer(pointerSnap.data()).production,
      });
      tx.create(this.reqs.doc(request.id), this.requestDoc(request));
      const stage = this.parseVersion(target.data()!).stage;
      this.writeAudit(tx, [{ name, version, at: request.requestedAt, actor: ctx.actor, action: 'request', fromStage: stage, toStage: stage, reason: ctx.reason, evidence: { ...ctx.evidence, requestId: request.id } }]);
      return request;
    });
  }

  async decide(requestId: string, decision: 'approve' | 'reject', ctx: ChangeContext & { comment: string }): Promise<PromotionRequest> {
    return this.tx('registry decide', async (tx) => {
      const snap = await tx.get(this.reqs.doc(requestId));
      if (!snap.exists) throw new RegistryConflictError('UNKNOWN_REQUEST', `unknown promotion request ${requestId}`);
      const request = PromotionRequestSchema.parse(JSON.parse(String(snap.get('json'))));
      const pointer = this.parsePointer((await tx.get(this.pointers.doc(request.name))).data());
      const decided = planDecision(request, decision, ctx, pointer.production, this.admins);
      const evidence = { ...request.evidence, requestId, requestedBy: request.requestedBy, comment: ctx.comment };
      const target = await tx.get(this.vref(request.name, request.version));
      const stage = target.exists ? this.parseVersion(target.data()!).stage : null;
      const audit: AuditEntry[] = [{ name: request.name, version: request.version, at: ctx.at.toISOString(), actor: ctx.actor, action: decision, fromStage: stage, toStage: stage, reason: ctx.comment, evidence }];
      if (decision === 'approve') {
        await this.promoteInTx(tx, request.name, request.version, { ...ctx, reason: `approved: ${ctx.comment}`, evidence }, audit, { pointer, target });
      } else {
        this.writeAudit(tx, audit);
      }
      tx.set(this.reqs.doc(requestId), this.requestDoc(decided));
      return decided;
    });
  }

  async requests(filter: { status?: PromotionRequest['status']; name?: string } = {}): Promise<PromotionRequest[]> {
    let ref: FirebaseQuery = this.reqs;
    if (filter.status) ref = ref.where('status', '==', filter.status);
    if (filter.name) ref = ref.where('name', '==', filter.name);
    const snap = await ref.get();
    return snap.docs.map((d) => PromotionRequestSchema.parse(JSON.parse(String(d.get('json'))))).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.id.localeCompare(b.id));
  }

  async note(entry: Omit<AuditEntry, 'at'> & { at: Date }): Promise<void> {
    const batch = this.db.batch();
    const parsed = AuditEntrySchema.parse({ ...entry, at: entry.at.toISOString() });
    batch.create(this.audits.doc(), { name: parsed.name, version: parsed.version, ord: ordOf(parsed.at, 0), json: JSON.stringify(parsed) });
    await batch.commit();
  }

  async audit(name?: string, version?: string): Promise<AuditEntry[]> {
    let ref: FirebaseQuery = this.audits;
    if (name !== undefined) ref = ref.where('name', '==', name);
    if (version !== undefined) ref = ref.where('version', '==', version);
    const snap = await ref.get();
    return snap.docs
      .map((d) => ({ ord: String(d.get('ord')), entry: AuditEntrySchema.parse(JSON.parse(String(d.get('json')))) }))
      .sort((a, b) => a.ord.localeCompare(b.ord))
      .map((x) => x.entry);
  }

  // ---------------------------------------------------------------------------------------- inside transactions

  private async promoteInTx(
    tx: Transaction, name: string, version: string, ctx: ChangeContext, leading: AuditEntry[],
    read?: { pointer: PointerState; target: FirebaseSnapshot },
  ): Promise<ModelVersionRecord> {
    const pointer = read?.pointer ?? this.parsePointer((await tx.get(this.pointers.doc(name))).data());
    const target = read?.target ?? (await tx.get(this.vref(name, version)));
    const current = pointer.production && pointer.production !== version ? await tx.get(this.vref(name, pointer.production)) : null;
    const records = new Map<string, ModelVersionRecord>();
    if (target.exists) records.set(version, this.parseVersion(target.data()!));
    if (current?.exists) records.set(pointer.production!, this.parseVersion(current.data()!));
    assertServable(records.get(version), this.servingSchema);
    const plan = planPromotion(pointer, version, (v) => records.get(v)?.stage ?? null);
    this.apply(tx, name, plan.pointer, plan.changes, records, 'promote', ctx, leading);
    return { ...records.get(version)!, stage: 'production' };
  }

  private apply(tx: Transaction, name: string, pointer: PointerState, changes: readonly StageChange[], records: Map<string, ModelVersionRecord>, action: AuditEntry['action'], ctx: ChangeContext, leading: AuditEntry[]): void {
    const audit = [...leading];
    for (const change of changes) {
      const record = records.get(change.version);
      if (record) tx.set(this.vref(name, change.version), this.versionDoc({ ...record, stage: change.to }));
      audit.push(auditOf(name, change, change.to === 'production' ? action : 'archive', ctx));
    }
    if (changes.length > 0) tx.set(this.pointers.doc(name), { production: pointer.production, history: pointer.history, updatedAt: ctx.at.toISOString() });
    this.writeAudit(tx, audit);
  }

  private writeAudit(tx: Transaction, entries: readonly AuditEntry[]): void {
    entries.forEach((e, i) => {
      const parsed = AuditEntrySchema.parse(e);
      tx.create(this.audits.doc(), { name: parsed.name, version: parsed.version, ord: ordOf(parsed.at, i), json: JSON.stringify(parsed) });
    });
  }

  private versionDoc(r: ModelVersionRecord) {
    return { name: r.name, version: r.version, stage: r.stage, createdAt: r.createdAt, modelSha256: r.modelSha256, json: JSON.stringify(r) };
  }

  private requestDoc(r: PromotionRequest) {
    return { key: `${r.name}@${r.version}`, name: r.name, version: r.version, status: r.status, requestedAt: r.requestedAt, json: JSON.stringify(r) };
  }

  private parseVersion(data: FirebaseData): ModelVersionRecord {
    return ModelVersionRecordSchema.parse({ ...JSON.parse(String(data.json)), stage: data.stage });
  }

  private parsePointer(data: FirebaseData | undefined): PointerState {
    return data ? { production: (data.production as string | null) ?? null, history: (data.history as string[] | undefined) ?? [] } : { production: null, history: [] };
  }
}

type FirebaseQuery = Query;
type FirebaseSnapshot = DocumentSnapshot;
type FirebaseData = DocumentData;

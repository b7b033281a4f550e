/**
 * Monitoring on Firestore: `driftReports/{id}`, `opsFindings/{id}` and `opsActions/{id}`, where a finding's
 * and an action's id is a hash of its key (core/monitoring/ops.ts), so a conditional `create()` on the id is
 * the conditional create on the key. Decisions, claims and finishes are transactions on one document.
 * Records are stored as JSON next to the fields queries use (createdAt, status).
 */
import { FieldPath, type CollectionReference, type Firestore, type Query, type Transaction } from '@google-cloud/firestore';
import { DriftReportSchema, summaryOf, type DriftReport, type DriftReportStore, type DriftReportSummary } from '../../core/monitoring/report.js';
import {
  claimable, claimed, finished, FindingSchema, mergedProposal, OpsActionSchema, OpsConflictError, planDecision,
  type ActionStatus, type Finding, type OpsAction, type OpsStore,
} from '../../core/monitoring/ops.js';
import { decodeCursor, encodeCursor } from '../page-cursor.js';
import { GrpcCode, grpcCodeOf, rethrowClassified, runTransaction } from './firestore-data.js';

export interface FirestoreMonitoringOptions {
  /** Collection name prefix (tests, several environments in one database). */
  prefix?: string;
  admins?: readonly string[];
}

export class FirestoreDriftReportStore implements DriftReportStore {
  private readonly reports: CollectionReference;

  constructor(db: Firestore, options: FirestoreMonitoringOptions = {}) {
    this.reports = db.collection(`${options.prefix ?? ''}driftReports`);
  }

  async put(input: DriftReport): Promise<void> {
    const report = DriftReportSchema.parse(input);
    try {
      await this.reports.doc(report.id).set({ createdAt: new Date(report.createdAt).toISOString(), status: report.status, json: JSON.stringify(report) });
    } catch (err) {
      rethrowClassified(err, 'drift report write');
    }
  }

  async get(id: string): Promise<DriftReport | null> {
    const snap = await this.reports.doc(id).get();
    return snap.exists ? DriftReportSchema.parse(JSON.parse(String(snap.get('json')))) : null;
  }

  async list(query: { limit: number; cursor?: string | undefined }): Promise<{ items: DriftReportSummary[]; nextCursor?: string | undefined }> {
    let ref: Query = this.reports.orderBy('createdAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (query.cursor) ref = ref.startAfter(...decodeCursor(query.cursor, 2));
    const snap = await ref.limit(query.limit + 1).get();
    const docs = snap.docs.slice(0, query.limit);
    const last = docs[docs.length - 1];
    return {
      items: docs.map((d) => summaryOf(DriftReportSchema.parse(JSON.parse(String(d.get('json')))))),
      nextCursor: snap.docs.length > query.limit && last ? encodeCursor([String(last.get('createdAt')), last.id]) : undefined,
    };
  }
}

export class FirestoreOpsStore implements OpsStore {
  private readonly findingsCol: CollectionReference;
  private readonly actionsCol: CollectionReference;

  constructor(
    private readonly db: Firestore,
    private readonly options: FirestoreMonitoringOptions = {},
  ) {
    const p = options.prefix ?? '';
    this.findingsCol = db.collection(`${p}opsFindings`);
    this.actionsCol = db.collection(`${p}opsActions`);
  }

  private tx<T>(what: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return runTransaction(this.db, fn, { maxAttempts: 30 }).catch((err: unknown) => {
      if (err instanceof OpsConflictError) throw err;
      return rethrowClassified(err, what);
    });
  }

  private static doc(action: OpsAction) {
    return { key: action.key, status: action.status, createdAt: new Date(action.createdAt).toISOString(), json: JSON.stringify(action) };
  }

  private async read(tx: Transaction, id: string): Promise<OpsAction | null> {
    const snap = await tx.get(this.actionsCol.doc(id));
    return snap.exists ? OpsActionSchema.parse(JSON.parse(String(snap.get('json')))) : null;
  }

  async recordFinding(input: Finding): Promise<{ created: boolean; finding: Finding }> {
    const finding = FindingSchema.parse(input);
    try {
      await this.findingsCol.doc(finding.id).create({ key: finding.key, createdAt: new Date(finding.createdAt).toISOString(), json: JSON.stringify(finding) });
      return { created: true, finding };
    } catch (err) {
      if (grpcCodeOf(err) !== GrpcCode.ALREADY_EXISTS) rethrowClassified(err, 'finding create');
      const snap = await this.findingsCol.doc(finding.id).get();
      return { created: false, finding: FindingSchema.parse(JSON.parse(String(snap.get('json')))) };
    }
  }

  async findings(filter: { limit: number }): Promise<Finding[]> {
    const snap = await this.findingsCol.orderBy('createdAt', 'desc').orderBy(FieldPath.documentId(), 'desc').limit(filter.limit).get();
    return snap.docs.map((d) => FindingSchema.parse(JSON.parse(String(d.get('json')))));
  }

  async proposeAction(input: OpsAction): Promise<{ created: boolean; action: OpsAction }> {
    const action = OpsActionSchema.parse(input);
    return this.tx('action propose', async (tx) => {
      const stored = await this.read(tx, action.id);
      if (!stored) {
        tx.create(this.actionsCol.doc(action.id), FirestoreOpsStore.doc(action));
        return { created: true, action };
      }
      const merged = mergedProposal(stored, action);
      if (merged !== stored) tx.set(this.actionsCol.doc(action.id), FirestoreOpsStore.doc(merged));
      return { created: false, action: merged };
    });
  }

  async action(id: string): Promise<OpsAction | null> {
    const snap = await this.actionsCol.doc(id).get();
    return snap.exists ? OpsActionSchema.parse(JSON.parse(String(snap.get('json')))) : null;
  }

  async actions(filter: { status?: ActionStatus; limit: number }): Promise<OpsAction[]> {
    let ref: Query = this.actionsCol;
    if (filter.status) ref = ref.where('status', '==', filter.status);
    const snap = await ref.orderBy('createdAt', 'desc').limit(filter.limit).get();
    return snap.docs.map((d) => OpsActionSchema.parse(JSON.parse(String(d.get('json')))));
  }

  async decide(id: string, decision: 'approve' | 'reject', by: string, comment: string, now: Date): Promise<OpsAction> {
    return this.tx('action decide', async (tx) => {
      const stored = await this.read(tx, id);
      if (!stored) throw new OpsConflictError('UNKNOWN_ACTION', `no action ${id}`);
      const next = planDecision(stored, decision, by, comment, now, this.options.admins);
      tx.set(this.actionsCol.doc(id), FirestoreOpsStore.doc(next));
      return next;
    });
  }

  async claim(id: string, owner: string, leaseMs: number, now: Date): Promise<OpsAction | null> {
    return this.tx('action claim', async (tx) => {
      const stored = await this.read(tx, id);
      if (!stored || !claimable(stored, now)) return null;
      const next = claimed(stored, owner, leaseMs, now);
      tx.set(this.actionsCol.doc(id), FirestoreOpsStore.doc(next));
      return next;
    });
  }

  async finish(id: string, owner: string, outcome: { status: 'executed' | 'failed'; result?: unknown; error?: string }, now: Date): Promise<boolean> {
    return this.tx('action finish', async (tx) => {
      const stored = await this.read(tx, id);
      if (!stored || stored.status !== 'running' || stored.owner !== owner) return false;
      tx.set(this.actionsCol.doc(id), FirestoreOpsStore.doc(finished(stored, outcome, now)));
      return true;
    });
  }
}

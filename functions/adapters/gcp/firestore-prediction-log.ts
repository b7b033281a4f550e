/**
 * {@link PredictionLog} on Firestore: one document per scoring (id = hash of invoice, revision and model
 * versions), the entry as JSON plus the fields queries use: `scoredAt` (ISO, sortable), `invoiceId`,
 * `modelTags` (`name@version`, for array-contains) and `expiresAt`, a Timestamp the TTL policy deletes on
 * (infra/modules/pipeline/firestore.tf). Composite index: (modelTags array-contains, scoredAt).
 */
import { createHash } from 'node:crypto';
import { FieldPath, Timestamp, type CollectionReference, type Firestore, type Query } from '@google-cloud/firestore';
import {
  predictionKey, PredictionLogEntrySchema, PredictionQuerySchema,
  type PredictionLog, type PredictionLogEntry, type PredictionLogEntryInput, type PredictionPage, type PredictionQuery,
} from '../../core/learning/prediction-log.js';
import { decodeCursor, encodeCursor } from '../page-cursor.js';
import { rethrowClassified } from './firestore-data.js';

export interface FirestorePredictionLogOptions {
  collection?: string;
  /** How long an entry is kept (its `expiresAt`; default 180 days). */
  retentionMs?: number;
}

const docId = (key: string) => `p-${createHash('sha256').update(key).digest('hex')}`;

export class FirestorePredictionLog implements PredictionLog {
  private readonly col: CollectionReference;
  private readonly retentionMs: number;

  constructor(db: Firestore, options: FirestorePredictionLogOptions = {}) {
    this.col = db.collection(options.collection ?? 'predictions');
    this.retentionMs = options.retentionMs ?? 180 * 86_400_000;
  }

  async record(input: PredictionLogEntryInput): Promise<void> {
    const parsed = PredictionLogEntrySchema.parse(input);
    const entry: PredictionLogEntry = { ...parsed, scoredAt: new Date(parsed.scoredAt).toISOString() };
    const at = Date.parse(entry.scoredAt);
    try {
      await this.col.doc(docId(predictionKey(entry))).set({
        invoiceId: entry.invoiceId,
        revision: entry.revision,
        scoredAt: entry.scoredAt,
        modelTags: Object.entries(entry.modelVersions).map(([n, v]) => `${n}@${v}`),
        expiresAt: Timestamp.fromMillis(at + this.retentionMs),
        json: JSON.stringify(entry),
      });
    } catch (err) {
      rethrowClassified(err, 'prediction log write');
    }
  }

  async query(q: PredictionQuery): Promise<PredictionPage> {
    const query = PredictionQuerySchema.parse(q);
    let ref: Query = this.col;
    if (query.model) ref = ref.where('modelTags', 'array-contains', `${query.model.name}@${query.model.version}`);
    if (query.invoiceId) ref = ref.where('invoiceId', '==', query.invoiceId);
    if (query.from) ref = ref.where('scoredAt', '>=', new Date(query.from).toISOString());
    if (query.to) ref = ref.where('scoredAt', '<', new Date(query.to).toISOString());
    ref = ref.orderBy('scoredAt').orderBy(FieldPath.documentId());
    if (query.cursor) ref = ref.startAfter(...decodeCursor(query.cursor, 2));
    try {
      const snap = await ref.limit(query.limit + 1).get();
      const docs = snap.docs.slice(0, query.limit);
      const last = docs[docs.length - 1];
      return {
        items: docs.map((d) => PredictionLogEntrySchema.parse(JSON.parse(String(d.get('json'))))),
        nextCursor: snap.docs.length > query.limit && last ? encodeCursor([String(last.get('scoredAt')), last.id]) : undefined,
      };
    } catch (err) {
      return rethrowClassified(err, 'prediction log query');
    }
  }

  async forInvoice(invoiceId: string): Promise<PredictionLogEntry[]> {
    const snap = await this.col.where('invoiceId', '==', invoiceId).get();
    return snap.docs
      .map((d) => PredictionLogEntrySchema.parse(JSON.parse(String(d.get('json')))))
      .sort((a, b) => a.scoredAt.localeCompare(b.scoredAt) || predictionKey(a).localeCompare(predictionKey(b)));
  }

  /** The TTL policy deletes expired entries on GCP; this sweeps what it has not reached yet (same semantics as locally). */
  async prune(now: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const snap = await this.col.where('expiresAt', '<=', Timestamp.fromDate(now)).limit(400).get();
      if (snap.empty) return deleted;
      const batch = this.col.firestore.batch();
      for (const d of snap.docs) batch.delete(d.ref);
      await batch.commit();
      deleted += snap.size;
    }
  }
}

import { FieldPath, type CollectionReference, type Firestore, type Query } from '@google-cloud/firestore';
import { RunRecordSchema, type RunRecord, type RunRecordInput, type RunStore } from '../../core/learning/runs.js';
import { decodeCursor, encodeCursor } from '../page-cursor.js';
import { rethrowClassified } from './firestore-data.js';

/** {@link RunStore} on Firestore: `runs/{id}`, the record as JSON plus `startedAt` (listed newest first). */
export class FirestoreRunStore implements RunStore {
  private readonly runs: CollectionReference;

  constructor(db: Firestore, options: { collection?: string } = {}) {
    this.runs = db.collection(options.collection ?? 'runs');
  }

  async put(input: RunRecordInput): Promise<RunRecord> {
    const parsed = RunRecordSchema.parse(input);
    const run = { ...parsed, startedAt: new Date(parsed.startedAt).toISOString() };
    try {
      await this.runs.doc(run.id).set({ startedAt: run.startedAt, kind: run.kind, status: run.status, json: JSON.stringify(run) });
    } catch (err) {
      rethrowClassified(err, 'run write');
    }
    return run;
  }

  async get(id: string): Promise<RunRecord | null> {
    const snap = await this.runs.doc(id).get();
    return snap.exists ? RunRecordSchema.parse(JSON.parse(String(snap.get('json')))) : null;
  }

  async list(query: { limit: number; cursor?: string | undefined }): Promise<{ items: RunRecord[]; nextCursor?: string | undefined }> {
    let ref: Query = this.runs.orderBy('startedAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (query.cursor) ref = ref.startAfter(...decodeCursor(query.cursor, 2));
    const snap = await ref.limit(query.limit + 1).get();
    const docs = snap.docs.slice(0, query.limit);
    const last = docs[docs.length - 1];
    return { items: docs.map((d) => RunRecordSchema.parse(JSON.parse(String(d.get('json'))))), nextCursor: snap.docs.length > query.limit && last ? encodeCursor([String(last.get('startedAt')), last.id]) : undefined };
  }
}

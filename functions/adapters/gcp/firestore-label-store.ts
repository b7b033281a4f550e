/**
 * {@link LabelStore} on Firestore. Per review, one transaction: the invoice's counter document
 * (`reviewedInvoices/{hash}`: next sequence number and the effective label, listed by `listEffective`), the
 * reviewer's current label (`reviews/{hash(invoice, revision, reviewer)}`) and a new history document
 * (`reviewHistory/{hash}-{seq}`). Concurrent reviews of one invoice contend on the counter document and are
 * serialized by Firestore's transaction retries.
 */
import { createHash } from 'node:crypto';
import type { CollectionReference, Firestore } from '@google-cloud/firestore';
import {
  effectiveOf, exclusiveOutcome, ReviewConflictError, ReviewLabelSchema,
  type LabelPage, type PutLabelOptions, type LabelStore, type ReviewLabel, type ReviewLabelInput, type StoredReview,
} from '../../core/learning/review-labels.js';
import { decodeCursor, encodeCursor } from '../page-cursor.js';
import { rethrowClassified, runTransaction } from './firestore-data.js';

const h = (...parts: Array<string | number>) => createHash('sha256').update(parts.join('\u0000')).digest('hex');

export interface FirestoreLabelStoreOptions {
  /** Collection prefix: `<prefix>reviews`, `<prefix>reviewHistory`, `<prefix>reviewedInvoices`. */
  prefix?: string;
  maxTransactionAttempts?: number;
}

export class FirestoreLabelStore implements LabelStore {
  private readonly current_: CollectionReference;
  private readonly history_: CollectionReference;
  private readonly invoices: CollectionReference;
  private readonly attempts: number;

  constructor(
    private readonly db: Firestore,
    options: FirestoreLabelStoreOptions = {},
  ) {
    const p = options.prefix ?? '';
    this.current_ = db.collection(`${p}reviews`);
    this.history_ = db.collection(`${p}reviewHistory`);
    this.invoices = db.collection(`${p}reviewedInvoices`);
    this.attempts = options.maxTransactionAttempts ?? 30;
  }

  async put(input: ReviewLabelInput, options: PutLabelOptions = {}): Promise<{ replaced: boolean; label: ReviewLabel; unchanged?: boolean }> {
    const parsed = ReviewLabelSchema.parse(input);
    const label: ReviewLabel = { ...parsed, reviewedAt: new Date(parsed.reviewedAt).toISOString() };
    const invoiceRef = this.invoices.doc(h(label.invoiceId));
    const currentRef = this.current_.doc(h(label.invoiceId, label.revision, label.reviewer));
    try {
      return await runTransaction(this.db, async (tx) => {
        const [inv, cur, others] = await Promise.all([tx.get(invoiceRef), tx.get(currentRef), tx.get(this.current_.where('invoiceId', '==', label.invoiceId))]);
        if (options.exclusive) {
          const ofRevision = others.docs.map((d) => ReviewLabelSchema.parse(JSON.parse(String(d.get('json'))))).filter((l) => l.revision === label.revision);
          const own = exclusiveOutcome(label, ofRevision);
          if (own) return { replaced: false, label: own, unchanged: true };
        }
        const seq = Number(inv.exists ? inv.get('seq') : 0) + 1;
        const labels = others.docs.filter((d) => d.id !== currentRef.id).map((d) => ReviewLabelSchema.parse(JSON.parse(String(d.get('json')))));
        const effective = effectiveOf([...labels, label]);
        tx.set(invoiceRef, { invoiceId: label.invoiceId, seq, effective: JSON.stringify(effective) });
        tx.set(currentRef, { invoiceId: label.invoiceId, revision: label.revision, reviewer: label.reviewer, reviewedAt: label.reviewedAt, seq, json: JSON.stringify(label) });
        tx.create(this.history_.doc(`${h(label.invoiceId)}-${String(seq).padStart(8, '0')}`), { invoiceId: label.invoiceId, seq, currentId: currentRef.id, json: JSON.stringify(label) });
        return { replaced: cur.exists, label };
      }, { maxAttempts: this.attempts });
    } catch (err) {
      if (err instanceof ReviewConflictError) throw err;
      return rethrowClassified(err, 'review label write');
    }
  }

  async current(invoiceId: string): Promise<ReviewLabel[]> {
    const snap = await this.current_.where('invoiceId', '==', invoiceId).get();
    return snap.docs
      .map((d) => ({ label: ReviewLabelSchema.parse(JSON.parse(String(d.get('json')))), seq: Number(d.get('seq')) }))
      .sort((a, b) => b.label.reviewedAt.localeCompare(a.label.reviewedAt) || b.seq - a.seq)
      .map((x) => x.label);
  }

  async effective(invoiceId: string): Promise<ReviewLabel | null> {
    const snap = await this.invoices.doc(h(invoiceId)).get();
    const json = snap.exists ? (snap.get('effective') as string | null) : null;
    return json ? ReviewLabelSchema.parse(JSON.parse(json)) : null;
  }

  async history(invoiceId: string): Promise<StoredReview[]> {
    const [hist, cur] = await Promise.all([this.history_.where('invoiceId', '==', invoiceId).get(), this.current_.where('invoiceId', '==', invoiceId).get()]);
    const currentSeqs = new Set(cur.docs.map((d) => `${d.id}:${d.get('seq')}`));
    return hist.docs
      .map((d) => ({ ...ReviewLabelSchema.parse(JSON.parse(String(d.get('json')))), seq: Number(d.get('seq')), current: currentSeqs.has(`${d.get('currentId')}:${d.get('seq')}`) }))
      .sort((a, b) => a.seq - b.seq);
  }

  async listEffective(query: { limit: number; cursor?: string | undefined }): Promise<LabelPage> {
    let ref = this.invoices.orderBy('invoiceId');
    if (query.cursor) ref = ref.startAfter(decodeCursor(query.cursor, 1)[0]!);
    const snap = await ref.limit(query.limit + 1).get();
    const docs = snap.docs.slice(0, query.limit);
    return {
      items: docs.flatMap((d) => (d.get('effective') ? [ReviewLabelSchema.parse(JSON.parse(String(d.get('effective'))))] : [])),
      nextCursor: snap.docs.length > query.limit ? encodeCursor([String(docs[docs.length - 1]!.get('invoiceId'))]) : undefined,
    };
  }
}

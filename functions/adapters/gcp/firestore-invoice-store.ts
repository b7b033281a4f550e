/**
 * {@link InvoiceStore} on Firestore: one document per invoice (id = invoiceId) holding the record as fields,
 * plus top-level copies of the values the duplicate and history lookups filter on.
 *
 * Every query stays within the composite indexes created by `infra/modules/pipeline/firestore.tf`:
 * (contentSha256, createdAt desc), (businessKey, createdAt desc), (supplierKey, totalAmount, createdAt desc),
 * (supplierKey, createdAt desc), (status, createdAt), (decision.decision, createdAt), (reasonCodes contains,
 * createdAt), (modelVersionTags contains, createdAt), each listing index in both directions, and the review
 * queue's (inReviewQueue, createdAt asc), the sweep's (status, updatedAt asc); a listing with several equality filters is served by merging those indexes (Firestore's index merge). Orders are
 * descending on createdAt with the document id as tie-break (Firestore appends `__name__` in the last field's
 * direction), so "before this invoice" is a `startAfter(createdAt, invoiceId)` cursor.
 */
import { createHash } from 'node:crypto';
import {
  FieldPath,
  type CollectionReference,
  type DocumentData,
  type DocumentReference,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
  type Transaction,
} from '@google-cloud/firestore';
import { z } from 'zod';
import { InvoiceRecordSchema, type InvoiceRecord } from '../../core/invoice/record.js';
import { canTransition, type InvoiceStatus } from '../../core/invoice/status.js';
import type {
  Clock,
  DuplicateKeyHolder,
  DuplicateKeyKind,
  InvoiceStore,
  CreatedRange,
  InvoiceSummary,
  ListQuery,
  NearDuplicateQuery,
  RevisionStartResult,
  SupplierHistory,
  TransitionOptions,
  TransitionResult,
  UpdatedQuery,
} from '../../core/ports.js';
import {
  InvoiceHistoryEntrySchema, nextRevision, revisionBlocker, type InvoiceHistoryEntry, type RevisionRequest,
} from '../../core/invoice/history.js';
import {
  addToSupplierStats, EMPTY_SUPPLIER_STATS, supplierHistoryOf, supplierObservation, SupplierStatsSchema, type SupplierStats,
} from '../../core/invoice/supplier-stats.js';
import { GrpcCode, grpcCodeOf, rethrowClassified, runTransaction, withoutUndefined } from './firestore-data.js';
import { normalizeIban } from '../../core/invoice/keys.js';
import { decodeListCursor, encodeListCursor } from '../list-cursor.js';
import { modelVersionTagsOf, reasonCodesOf } from '../../core/invoice/list-tags.js';
import { reviewQueueOf } from '../../core/invoice/review-queue.js';
import { inAuditSample } from '../../core/api/audit-sample.js';

/** Thrown by {@link FirestoreInvoiceStore.transition} for an invoice id that was never created. */
export class InvoiceNotFoundError extends Error {
  override readonly name = 'InvoiceNotFoundError';
}

export interface FirestoreInvoiceStoreOptions {
  /** Collection of invoice documents; default `invoices`. Each has a `history` subcollection (one document per earlier revision). */
  collection?: string;
  /** Duplicate reservations, one document per key; default `duplicateKeys`. */
  duplicateKeysCollection?: string;
  /** Running supplier stats, one document per supplier; default `suppliers`. */
  suppliersCollection?: string;
  clock?: Clock;
  /**
   * Attempts of a status transaction before giving up. Redelivered events contend on one document; the
   * client's default of 5 is too few when a burst of duplicates arrives at once.
   */
  maxTransactionAttempts?: number;
}

/** Top-level fields that are copies of nested record values (never part of the record itself). */
const DENORMALIZED = ['totalAmount', 'currency', 'invoiceDate', 'supplierIban', 'reasonCodes', 'modelVersionTags', 'inReviewQueue'] as const;
/**
 * Invoices per transaction of startRevisions: two writes each, well under Firestore's 500 writes per transaction,
 * and few enough documents that a transaction seldom meets a pipeline write and retries.
 */
const REVISIONS_PER_TRANSACTION = 100;
/** Bounds a duplicate lookup: more matches than this say nothing new to a reviewer. */
const MAX_DUPLICATES = 100;
/** Bounds the amount-band scan of a near-duplicate lookup before the date filter. */
const MAX_NEAR_SCAN = 1_000;
const MAX_PAGE = 1_000;
const READ_PAGE = 500;
/** Documents read per page at most when part of a listing is filtered in memory (a reason and a model at once). */
const MAX_LIST_SCAN = 2_000;



/** The document written for a record: the record's own fields plus the denormalized lookup fields. */
function toDocument(record: InvoiceRecord): DocumentData {
  const fields = record.invoice?.fields;
  return {
    ...withoutUndefined(record),
    totalAmount: fields?.total_amount?.value ?? null,
    currency: fields?.currency?.value ?? null,
    invoiceDate: fields?.invoice_date?.value ?? null,
    supplierIban: normalizeIban(fields?.supplier_iban?.value),
    // Listing filters (array-contains): see core/invoice/list-tags.ts.
    reasonCodes: reasonCodesOf(record),
    modelVersionTags: modelVersionTagsOf(record),
    // The review queue (core/invoice/review-queue.ts): one equality on an indexed field, in createdAt order.
    inReviewQueue: reviewQueueOf(record) !== undefined,
  };
}

function fromDocument(data: DocumentData): InvoiceRecord {
  const copy: DocumentData = { ...data };
  for (const key of DENORMALIZED) delete copy[key];
  return InvoiceRecordSchema.parse(copy);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function toSummary(snap: QueryDocumentSnapshot): InvoiceSummary {
  const d = snap.data();
  const decision = d['decision'] as { decision?: unknown } | undefined;
  return {
    invoiceId: snap.id,
    fileName: String(d['fileName']),
    status: d['status'] as InvoiceStatus,
    contentSha256: str(d['contentSha256']),
    supplierKey: str(d['supplierKey']),
    businessKey: str(d['businessKey']),
    totalAmount: typeof d['totalAmount'] === 'number' ? d['totalAmount'] : undefined,
    currency: str(d['currency']),
    invoiceDate: str(d['invoiceDate']),
    decision: str(decision?.decision),
    createdAt: String(d['createdAt']),
    ...(typeof d['revision'] === 'number' ? { revision: d['revision'] } : {}),
    ...listedText(d),
  };
}

/** Supplier name, invoice number and reason codes for listings (the same as the local store's). */
function listedText(d: DocumentData): Pick<InvoiceSummary, 'supplierName' | 'invoiceNumber' | 'reasons'> {
  const fields = (d['invoice'] as { fields?: Record<string, { value?: unknown } | undefined> } | undefined)?.fields;
  const reasons = (d['decision'] as { reasons?: Array<{ code?: unknown }> } | undefined)?.reasons;
  const supplierName = fields?.['supplier_name']?.value;
  const invoiceNumber = fields?.['invoice_id']?.value;
  const codes = Array.isArray(reasons) ? reasons.map((r) => str(r?.code)).filter((c): c is string => !!c) : [];
  return {
    ...(typeof supplierName === 'string' ? { supplierName } : {}),
    ...(typeof invoiceNumber === 'string' ? { invoiceNumber } : {}),
    ...(codes.length > 0 ? { reasons: codes } : {}),
  };
}

const encodeCursor = (summary: InvoiceSummary): string => encodeListCursor(summary.createdAt, summary.invoiceId);

/** Keys are arbitrary text (supplier names, invoice numbers): document ids are their hash. */
const hashId = (text: string): string => createHash('sha256').update(text).digest('hex');

const HolderDocSchema = z.object({ kind: z.string(), key: z.string(), invoiceId: z.string(), createdAt: z.string(), reservedAt: z.string() });

function statsOf(data: DocumentData | undefined): SupplierStats {
  return data ? SupplierStatsSchema.parse(data['stats']) : EMPTY_SUPPLIER_STATS;
}


const byCreation = (a: InvoiceSummary, b: InvoiceSummary) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.invoiceId < b.invoiceId ? -1 : a.invoiceId > b.invoiceId ? 1 : 0;

const isBefore = (s: InvoiceSummary, before: InvoiceSummary) => byCreation(s, before) < 0;

/**
 * {@link InvoiceStore} on `@google-cloud/firestore`. Writes validate with {@link InvoiceRecordSchema};
 * `createIfAbsent` uses `create()` (fails with ALREADY_EXISTS instead of overwriting) and `transition` runs
 * in a transaction that reads the current status and writes only a forward move ({@link canTransition}).
 * Quota / contention / availability errors are rethrown as RetryableError.
 */
export class FirestoreInvoiceStore implements InvoiceStore {
  private readonly invoices: CollectionReference;
  private readonly duplicateKeys: CollectionReference;
  private readonly suppliers: CollectionReference;
  private readonly clock: Clock;
  private readonly maxAttempts: number;

  constructor(
    private readonly db: Firestore,
    options: FirestoreInvoiceStoreOptions = {},
  ) {
    this.invoices = db.collection(options.collection ?? 'invoices');
    this.duplicateKeys = db.collection(options.duplicateKeysCollection ?? 'duplicateKeys');
    this.suppliers = db.collection(options.suppliersCollection ?? 'suppliers');
    this.clock = options.clock ?? { now: () => new Date() };
    this.maxAttempts = options.maxTransactionAttempts ?? 25;
  }

  async get(invoiceId: string): Promise<InvoiceRecord | null> {
    try {
      const snap = await this.invoices.doc(invoiceId).get();
      const data = snap.data();
      return data ? fromDocument(data) : null;
    } catch (err) {
      return rethrowClassified(err, 'invoice read');
    }
  }

  /** Creates the document unless it exists; returns the stored record either way. Throws on an invalid record. */
  async createIfAbsent(record: InvoiceRecord): Promise<{ created: boolean; record: InvoiceRecord }> {
    const valid = InvoiceRecordSchema.parse(record);
    const ref = this.invoices.doc(valid.invoiceId);
    try {
      await ref.create(toDocument(valid));
      return { created: true, record: valid };
    } catch (err) {
      if (grpcCodeOf(err) !== GrpcCode.ALREADY_EXISTS) return rethrowClassified(err, 'invoice create');
    }
    const stored = await this.get(valid.invoiceId);
    // Only a concurrent delete could get here; nothing in the pipeline deletes invoices.
    if (!stored) throw new Error(`invoice ${valid.invoiceId} vanished during create`);
    return { created: false, record: stored };
  }

  /**
   * Moves to `to` and merges `patch` iff {@link canTransition} allows it, reading and writing in one
   * transaction (the database runs pessimistic concurrency, so concurrent duplicates serialize on the
   * document). `invoiceId`, `createdAt`, `source` and `revision` are never changed by a patch. The first move that
   * records the features (to FEATURES_DONE, or straight to SCORED from a batch job's inline stages) updates the
   * supplier's stats document in the same transaction (two reads, two writes: the same whatever its history).
   * @throws InvoiceNotFoundError for an unknown id; ZodError when the merged record does not validate.
   */
  async transition(invoiceId: string, to: InvoiceStatus, patch: Partial<InvoiceRecord>, options: TransitionOptions = {}): Promise<TransitionResult> {
    const ref = this.invoices.doc(invoiceId);
    const { invoiceId: _id, createdAt: _created, source: _source, revision: _revision, ...changes } = patch;
    try {
      return await runTransaction(
        this.db,
        async (tx) => {
          const snap = await tx.get(ref);
          const data = snap.data();
          if (!data) throw new InvoiceNotFoundError(`invoice ${invoiceId} does not exist`);
          const current = fromDocument(data);
          if (options.revision !== undefined && current.revision !== options.revision) return { applied: false, record: current };
          if (!canTransition(current.status, to)) return { applied: false, record: current };
          const next = InvoiceRecordSchema.parse({
            ...current,
            ...changes,
            status: to,
            updatedAt: changes.updatedAt ?? this.clock.now().toISOString(),
          });
          if ((to === 'FEATURES_DONE' || to === 'SCORED') && next.supplierKey && !current.supplierStatsApplied) {
            // Firestore transactions need every read before the first write.
            const supplierRef = this.suppliers.doc(hashId(next.supplierKey));
            const stats = statsOf((await tx.get(supplierRef)).data());
            tx.set(supplierRef, { supplierKey: next.supplierKey, stats: withoutUndefined(addToSupplierStats(stats, supplierObservation(next))) });
            next.supplierStatsApplied = true;
          }
          // A full set (not a merge) so that fields a patch clears do not linger in the document.
          tx.set(ref, toDocument(next));
          return { applied: true, record: next };
        },
        { maxAttempts: this.maxAttempts },
      );
    } catch (err) {
      if (err instanceof InvoiceNotFoundError || err instanceof z.ZodError) throw err;
      return rethrowClassified(err, 'invoice transition');
    }
  }

  /**
   * The holder is decided by one `create()` of the key's document (ALREADY_EXISTS = someone holds it); a replace
   * is a transaction that rewrites the document only while `replacing` still holds it.
   */
  async reserveDuplicateKey(
    kind: DuplicateKeyKind,
    key: string,
    claimant: DuplicateKeyHolder,
    options: { replacing?: string } = {},
  ): Promise<DuplicateKeyHolder> {
    const ref = this.duplicateKeys.doc(`${kind}-${hashId(key)}`);
    const doc = { kind, key, invoiceId: claimant.invoiceId, createdAt: claimant.createdAt, reservedAt: this.clock.now().toISOString() };
    try {
      if (options.replacing !== undefined) {
        const replacing = options.replacing;
        return await runTransaction(this.db, async (tx) => {
          const snap = await tx.get(ref);
          const held = snap.exists ? HolderDocSchema.parse(snap.data()) : undefined;
          if (held && held.invoiceId !== replacing) return { invoiceId: held.invoiceId, createdAt: held.createdAt };
          tx.set(ref, doc);
          return claimant;
        });
      }
      try {
        await ref.create(doc);
        return claimant;
      } catch (err) {
        if (grpcCodeOf(err) !== GrpcCode.ALREADY_EXISTS) throw err;
      }
      const held = HolderDocSchema.parse((await ref.get()).data());
      return { invoiceId: held.invoiceId, createdAt: held.createdAt };
    } catch (err) {
      return rethrowClassified(err, 'duplicate key reservation');
    }
  }

  async releaseDuplicateKey(kind: DuplicateKeyKind, key: string, invoiceId: string): Promise<void> {
    const ref = this.duplicateKeys.doc(`${kind}-${hashId(key)}`);
    try {
      await runTransaction(this.db, async (tx) => {
        const snap = await tx.get(ref);
        if (snap.exists && HolderDocSchema.parse(snap.data()).invoiceId === invoiceId) tx.delete(ref);
      });
    } catch (err) {
      rethrowClassified(err, 'duplicate key release');
    }
  }

  /**
   * One transaction per {@link REVISIONS_PER_TRANSACTION} invoices of the chunk (one batched read of their
   * documents, then their writes), instead of one per invoice. A transaction commits all of its writes or none,
   * so each invoice's history entry and new record go together.
   */
  async startRevisions(requests: ReadonlyArray<RevisionRequest & { invoiceId: string }>): Promise<RevisionStartResult[]> {
    const results: RevisionStartResult[] = [];
    for (let i = 0; i < requests.length; i += REVISIONS_PER_TRANSACTION) {
      const group = requests.slice(i, i + REVISIONS_PER_TRANSACTION);
      const refs = group.map((r) => this.invoices.doc(r.invoiceId));
      try {
        results.push(...(await runTransaction(
          this.db,
          async (tx) => {
            const snaps = await tx.getAll(...refs);
            const at = this.clock.now().toISOString();
            // An invoice named twice in a group sees its own first start, as it would in separate transactions.
            const revised = new Map<string, InvoiceRecord>();
            return group.map(({ invoiceId, ...request }, k): RevisionStartResult => {
              const data = snaps[k]!.data();
              if (!data) return { invoiceId, applied: false, reason: 'no such invoice' };
              const result = this.reviseInTransaction(tx, refs[k]!, revised.get(invoiceId) ?? fromDocument(data), request, at);
              if (result.applied) revised.set(invoiceId, result.record);
              return result.applied ? { invoiceId, applied: true, record: result.record } : { invoiceId, applied: false, reason: result.reason, record: result.record };
            });
          },
          { maxAttempts: this.maxAttempts },
        )));
      } catch (err) {
        if (err instanceof z.ZodError) throw err;
        return rethrowClassified(err, 'invoice revisions');
      }
    }
    return results;
  }

  /**
   * `current` to `history/{revision}` and revision n+1 set, in `tx`, or the blocker. `current` was validated when
   * read (fromDocument), and nextRevision only clears fields and sets status, revision and time.
   */
  private reviseInTransaction(
    tx: Transaction, ref: DocumentReference, current: InvoiceRecord, request: RevisionRequest, at: string,
  ): { applied: true; record: InvoiceRecord } | { applied: false; record: InvoiceRecord; reason: string } {
    const blocker = revisionBlocker(current, request);
    if (blocker) return { applied: false, record: current, reason: blocker };
    const { next, entry } = nextRevision(current, request, at);
    tx.create(ref.collection('history').doc(String(entry.revision)), withoutUndefined(entry));
    tx.set(ref, toDocument(next));
    return { applied: true, record: next };
  }

  async history(invoiceId: string): Promise<InvoiceHistoryEntry[]> {
    try {
      const snaps = await this.invoices.doc(invoiceId).collection('history').get();
      return snaps.docs.map((d) => InvoiceHistoryEntrySchema.parse(d.data())).sort((a, b) => a.revision - b.revision);
    } catch (err) {
      return rethrowClassified(err, 'invoice history');
    }
  }

  /**
   * Earlier invoices of the supplier with a total in [min, max] and a date in [from, to] (inclusive).
   * Firestore filters supplier and amount band (index supplier_amount); date, currency and the "before"
   * bound are applied to that band, which is small for one supplier.
   */
  async findNearDuplicates(query: NearDuplicateQuery, before: InvoiceSummary): Promise<InvoiceSummary[]> {
    try {
      const snaps = await this.invoices
        .where('supplierKey', '==', query.supplierKey)
        .where('totalAmount', '>=', query.minAmount)
        .where('totalAmount', '<=', query.maxAmount)
        .orderBy('totalAmount')
        .orderBy('createdAt', 'desc')
        .limit(MAX_NEAR_SCAN)
        .get();
      return snaps.docs
        .map(toSummary)
        .filter(
          (s) =>
            s.invoiceId !== query.excludeInvoiceId &&
            isBefore(s, before) &&
            s.invoiceDate !== undefined &&
            s.invoiceDate >= query.dateFrom &&
            s.invoiceDate <= query.dateTo &&
            (query.currency === undefined || s.currency === query.currency),
        )
        .sort(byCreation)
        .slice(0, MAX_DUPLICATES);
    } catch (err) {
      return rethrowClassified(err, 'near-duplicate query');
    }
  }

  /** One read of the supplier's stats document (see core/invoice/supplier-stats.ts), however long its history. */
  async supplierHistory(supplierKey: string, iban?: string): Promise<SupplierHistory> {
    try {
      return supplierHistoryOf(statsOf((await this.suppliers.doc(hashId(supplierKey)).get()).data()), iban);
    } catch (err) {
      return rethrowClassified(err, 'supplier history');
    }
  }

  /**
   * Keyset-paged by (createdAt, documentId), newest or oldest first. Equality filters, one array-contains
   * (reason, else model version) and the received-date range run in Firestore. Firestore allows one
   * array-contains per query, so with both a reason and a model version the model version is checked in memory
   * over at most {@link MAX_LIST_SCAN} documents per page: such a page may be short, with a cursor to go on.
   * Throws on a cursor this store did not issue.
   */
  async list(query: ListQuery): Promise<{ items: InvoiceSummary[]; nextCursor?: string | undefined }> {
    const direction = query.order === 'oldest' ? 'asc' : 'desc';
    let q: Query = this.invoices;
    if (query.reviewQueue) q = q.where('inReviewQueue', '==', true);
    if (query.status !== undefined) q = q.where('status', '==', query.status);
    if (query.decision !== undefined) q = q.where('decision.decision', '==', query.decision);
    if (query.supplierKey !== undefined) q = q.where('supplierKey', '==', query.supplierKey);
    if (query.reason !== undefined) q = q.where('reasonCodes', 'array-contains', query.reason);
    else if (query.modelVersion !== undefined) q = q.where('modelVersionTags', 'array-contains', query.modelVersion);
    if (query.createdFrom !== undefined) q = q.where('createdAt', '>=', query.createdFrom);
    if (query.createdTo !== undefined) q = q.where('createdAt', '<', query.createdTo);
    q = q.orderBy('createdAt', direction).orderBy(FieldPath.documentId(), direction);
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_PAGE);
    const inMemory = query.reason !== undefined && query.modelVersion !== undefined ? query.modelVersion : undefined;
    let after = query.cursor !== undefined ? decodeListCursor(query.cursor) : undefined;
    try {
      if (inMemory === undefined) {
        const snaps = await (after ? q.startAfter(...after) : q).limit(limit + 1).get();
        const items = snaps.docs.slice(0, limit).map(toSummary);
        const last = items.at(-1);
        return { items, nextCursor: snaps.size > limit && last ? encodeCursor(last) : undefined };
      }
      const items: InvoiceSummary[] = [];
      const batch = Math.max(limit + 1, 100);
      for (let scanned = 0; scanned < MAX_LIST_SCAN; ) {
        const snaps = await (after ? q.startAfter(...after) : q).limit(batch).get();
        for (const doc of snaps.docs) {
          scanned += 1;
          after = [String(doc.get('createdAt')), doc.id];
          const tags = doc.get('modelVersionTags') as unknown;
          if (!Array.isArray(tags) || !tags.includes(inMemory)) continue;
          if (items.length === limit) return { items, nextCursor: encodeCursor(items.at(-1)!) };
          items.push(toSummary(doc));
        }
        if (snaps.size < batch) return { items };
      }
      // Scan bound reached: go on from the last document read.
      return { items, nextCursor: after ? encodeListCursor(...after) : undefined };
    } catch (err) {
      return rethrowClassified(err, 'invoice list');
    }
  }

  /** Sets `reviewedRevision` in a transaction (the document's `inReviewQueue` follows it). */
  async markReviewed(invoiceId: string, revision: number): Promise<boolean> {
    const ref = this.invoices.doc(invoiceId);
    try {
      return await runTransaction(this.db, async (tx) => {
        const data = (await tx.get(ref)).data();
        if (!data) return false;
        const current = fromDocument(data);
        if ((current.reviewedRevision ?? 0) >= revision) return false;
        tx.set(ref, toDocument({ ...current, reviewedRevision: revision }));
        return true;
      }, { maxAttempts: this.maxAttempts });
    } catch (err) {
      return rethrowClassified(err, 'invoice review mark');
    }
  }

  /**
   * Documents written before the review-queue index existed have no `inReviewQueue` field, so no index finds
   * them. This pass (a batch job's work, resumable from `nextCursor`) reads up to `limit` documents in creation
   * order and gives each that lacks it the field, and an APPROVE decision without an audit draw the draw at
   * `auditSampleRate` (what the queue drew for it at read time before). Each update is conditional on the
   * document's update time: a document the pipeline rewrote meanwhile already has both (toDocument) and is left
   * alone. Idempotent: a second pass updates nothing.
   */
  async backfillReviewQueue(options: { auditSampleRate: number; limit?: number; cursor?: string }): Promise<{ scanned: number; updated: number; nextCursor?: string }> {
    const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? READ_PAGE)), MAX_PAGE);
    let q = this.invoices.orderBy('createdAt').orderBy(FieldPath.documentId()).limit(limit);
    if (options.cursor !== undefined) q = q.startAfter(...decodeListCursor(options.cursor));
    try {
      const snaps = await q.get();
      const stale = snaps.docs.filter((d) => d.get('inReviewQueue') === undefined);
      const results = await Promise.all(stale.map(async (snap) => {
        const record = fromDocument(snap.data());
        if (record.decision?.decision === 'APPROVE' && record.decision.auditSample === undefined) {
          record.decision = { ...record.decision, auditSample: inAuditSample(record.invoiceId, options.auditSampleRate) };
        }
        try {
          await snap.ref.update({ inReviewQueue: reviewQueueOf(record) !== undefined, ...(record.decision ? { decision: withoutUndefined(record.decision) } : {}) }, { lastUpdateTime: snap.updateTime });
          return 1;
        } catch (err) {
          // Rewritten since it was read: the new write carries the field.
          if (grpcCodeOf(err) === GrpcCode.FAILED_PRECONDITION) return 0;
          throw err;
        }
      }));
      const last = snaps.docs.at(-1);
      return {
        scanned: snaps.size, updated: results.reduce((a: number, b) => a + b, 0),
        ...(snaps.size === limit && last ? { nextCursor: encodeListCursor(String(last.get('createdAt')), last.id) } : {}),
      };
    } catch (err) {
      return rethrowClassified(err, 'review queue backfill');
    }
  }

  /** One range of the (status, updatedAt) index: a read per record returned. */
  async listUpdated(query: UpdatedQuery): Promise<{ items: InvoiceRecord[]; nextCursor?: string | undefined }> {
    let q: Query = this.invoices.where('status', '==', query.status);
    if (query.updatedFrom !== undefined) q = q.where('updatedAt', '>=', query.updatedFrom);
    if (query.updatedTo !== undefined) q = q.where('updatedAt', '<', query.updatedTo);
    q = q.orderBy('updatedAt').orderBy(FieldPath.documentId());
    if (query.cursor !== undefined) q = q.startAfter(...decodeListCursor(query.cursor));
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_PAGE);
    try {
      const snaps = await q.limit(limit + 1).get();
      const docs = snaps.docs.slice(0, limit);
      const last = docs.at(-1);
      return {
        items: docs.map((d) => fromDocument(d.data())),
        nextCursor: snaps.size > limit && last ? encodeListCursor(String(last.get('updatedAt')), last.id) : undefined,
      };
    } catch (err) {
      return rethrowClassified(err, 'invoice list by update');
    }
  }

  /** A count() aggregation (one read per 1,000 index entries), never the documents. */
  async countByStatus(status: InvoiceStatus, range: { updatedFrom?: string | undefined } = {}): Promise<number> {
    let q: Query = this.invoices.where('status', '==', status);
    if (range.updatedFrom !== undefined) q = q.where('updatedAt', '>=', range.updatedFrom);
    try {
      return (await q.count().get()).data().count;
    } catch (err) {
      return rethrowClassified(err, 'invoice count');
    }
  }

  /** Every record in creation order (optionally created in [createdFrom, createdTo)), read in pages of 500 so that no query stays open for long. */
  async *iterate(range: CreatedRange = {}): AsyncIterable<InvoiceRecord> {
    let base: Query = this.invoices;
    if (range.createdFrom !== undefined) base = base.where('createdAt', '>=', range.createdFrom);
    if (range.createdTo !== undefined) base = base.where('createdAt', '<', range.createdTo);
    base = base.orderBy('createdAt').orderBy(FieldPath.documentId());
    for await (const snap of this.pages(base)) yield fromDocument(snap.data());
  }

  /** Keyset pages over an ordered (createdAt, documentId) query, optionally starting after a position. */
  private async *pages(ordered: Query, after?: [string, string]): AsyncIterable<QueryDocumentSnapshot> {
    let cursor = after;
    for (;;) {
      let q = ordered.limit(READ_PAGE);
      if (cursor) q = q.startAfter(...cursor);
      let snaps;
      try {
        snaps = await q.get();
      } catch (err) {
        return rethrowClassified(err, 'invoice scan');
      }
      yield* snaps.docs;
      const last = snaps.docs.at(-1);
      if (!last || snaps.size < READ_PAGE) return;
      cursor = [String(last.get('createdAt')), last.id];
    }
  }
}

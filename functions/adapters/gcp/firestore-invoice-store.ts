/**
 * {@link InvoiceStore} on Firestore: one document per invoice (id = invoiceId) holding the record as fields,
 * plus top-level copies of the values the duplicate and history lookups filter on.
 *
 * Every query stays within the composite indexes created by `infra/modules/pipeline/firestore.tf`:
 * (contentSha256, createdAt desc), (businessKey, createdAt desc), (supplierKey, totalAmount, createdAt desc),
 * (supplierKey, createdAt desc), (status, createdAt desc), (decision.decision, createdAt desc). Orders are
 * descending on createdAt with the document id as tie-break (Firestore appends `__name__` in the last field's
 * direction), so "before this invoice" is a `startAfter(createdAt, invoiceId)` cursor.
 */
import {
  FieldPath,
  type CollectionReference,
  type DocumentData,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
} from '@google-cloud/firestore';
import { z } from 'zod';
import { InvoiceRecordSchema, type InvoiceRecord } from '../../core/invoice/record.js';
import { canTransition, type InvoiceStatus } from '../../core/invoice/status.js';
import type {
  Clock,
  InvoiceStore,
  InvoiceSummary,
  ListQuery,
  NearDuplicateQuery,
  SupplierHistory,
  TransitionResult,
} from '../../core/ports.js';
import { GrpcCode, grpcCodeOf, rethrowClassified, withoutUndefined } from './firestore-data.js';
import { normalizeIban } from '../../core/invoice/keys.js';
import { decodeListCursor, encodeListCursor } from '../list-cursor.js';

/** Thrown by {@link FirestoreInvoiceStore.transition} for an invoice id that was never created. */
export class InvoiceNotFoundError extends Error {
  override readonly name = 'InvoiceNotFoundError';
}

export interface FirestoreInvoiceStoreOptions {
  /** Collection of invoice documents; default `invoices`. */
  collection?: string;
  clock?: Clock;
  /**
   * Attempts of a status transaction before giving up. Redelivered events contend on one document; the
   * client's default of 5 is too few when a burst of duplicates arrives at once.
   */
  maxTransactionAttempts?: number;
}

/** Top-level fields that are copies of nested record values (never part of the record itself). */
const DENORMALIZED = ['totalAmount', 'currency', 'invoiceDate', 'supplierIban'] as const;
/** Bounds a duplicate lookup: more matches than this say nothing new to a reviewer. */
const MAX_DUPLICATES = 100;
/** Bounds the amount-band scan of a near-duplicate lookup before the date filter. */
const MAX_NEAR_SCAN = 1_000;
const MAX_PAGE = 1_000;
const READ_PAGE = 500;



/** The document written for a record: the record's own fields plus the denormalized lookup fields. */
function toDocument(record: InvoiceRecord): DocumentData {
  const fields = record.invoice?.fields;
  return {
    ...withoutUndefined(record),
    totalAmount: fields?.total_amount?.value ?? null,
    currency: fields?.currency?.value ?? null,
    invoiceDate: fields?.invoice_date?.value ?? null,
    supplierIban: normalizeIban(fields?.supplier_iban?.value),
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
  };
}

const encodeCursor = (summary: InvoiceSummary): string => encodeListCursor(summary.createdAt, summary.invoiceId);


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
  private readonly clock: Clock;
  private readonly maxAttempts: number;

  constructor(
    private readonly db: Firestore,
    options: FirestoreInvoiceStoreOptions = {},
  ) {
    this.invoices = db.collection(options.collection ?? 'invoices');
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
   * document). `invoiceId`, `createdAt` and `source` are never changed by a patch.
   * @throws InvoiceNotFoundError for an unknown id; ZodError when the merged record does not validate.
   */
  async transition(invoiceId: string, to: InvoiceStatus, patch: Partial<InvoiceRecord>): Promise<TransitionResult> {
    const ref = this.invoices.doc(invoiceId);
    const { invoiceId: _id, createdAt: _created, source: _source, ...changes } = patch;
    try {
      return await this.db.runTransaction(
        async (tx) => {
          const snap = await tx.get(ref);
          const data = snap.data();
          if (!data) throw new InvoiceNotFoundError(`invoice ${invoiceId} does not exist`);
          const current = fromDocument(data);
          if (!canTransition(current.status, to)) return { applied: false, record: current };
          const next = InvoiceRecordSchema.parse({
            ...current,
            ...changes,
            status: to,
            updatedAt: changes.updatedAt ?? this.clock.now().toISOString(),
          });
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

  /** Earlier invoices with the same content hash, oldest first (at most the 100 latest of them). */
  async findByContentHash(sha256: string, before: InvoiceSummary): Promise<InvoiceSummary[]> {
    return this.earlier(this.invoices.where('contentSha256', '==', sha256), before);
  }

  /** Earlier invoices with the same business key, oldest first (at most the 100 latest of them). */
  async findByBusinessKey(businessKey: string, before: InvoiceSummary): Promise<InvoiceSummary[]> {
    return this.earlier(this.invoices.where('businessKey', '==', businessKey), before);
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

  /**
   * History of `supplierKey` over invoices strictly before `before`: ln(1 + max(total, 0)) mean and
   * population standard deviation over the invoices that have a total (Welford, one pass), latest date,
   * distinct IBANs and whether `iban` was seen.
   */
  async supplierHistory(supplierKey: string, before: InvoiceSummary, iban?: string): Promise<SupplierHistory> {
    const wanted = normalizeIban(iban);
    let count = 0;
    let n = 0;
    let mean = 0;
    let m2 = 0;
    let lastDate: string | undefined;
    const ibans = new Set<string>();
    const base = this.invoices
      .where('supplierKey', '==', supplierKey)
      .orderBy('createdAt', 'desc')
      .orderBy(FieldPath.documentId(), 'desc')
      .select('createdAt', 'totalAmount', 'invoiceDate', 'supplierIban');
    for await (const snap of this.pages(base, [before.createdAt, before.invoiceId])) {
      const d = snap.data();
      count += 1;
      const total = d['totalAmount'];
      if (typeof total === 'number') {
        const x = Math.log1p(Math.max(total, 0));
        n += 1;
        const delta = x - mean;
        mean += delta / n;
        m2 += delta * (x - mean);
      }
      const date = str(d['invoiceDate']);
      if (date !== undefined && (lastDate === undefined || date > lastDate)) lastDate = date;
      const stored = str(d['supplierIban']);
      if (stored !== undefined) ibans.add(stored);
    }
    return {
      count,
      meanLogAmount: n > 0 ? mean : 0,
      stdLogAmount: n > 0 ? Math.sqrt(m2 / n) : 0,
      lastInvoiceDate: lastDate,
      distinctIbans: ibans.size,
      ibanSeenBefore: wanted !== null && ibans.has(wanted),
    };
  }

  /** Newest first, keyset-paged by (createdAt, invoiceId). Throws on a cursor this store did not issue. */
  async list(query: ListQuery): Promise<{ items: InvoiceSummary[]; nextCursor?: string | undefined }> {
    let q: Query = this.invoices;
    if (query.status !== undefined) q = q.where('status', '==', query.status);
    if (query.decision !== undefined) q = q.where('decision.decision', '==', query.decision);
    q = q.orderBy('createdAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (query.cursor !== undefined) q = q.startAfter(...decodeListCursor(query.cursor));
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_PAGE);
    try {
      const snaps = await q.limit(limit + 1).get();
      const items = snaps.docs.slice(0, limit).map(toSummary);
      const last = items.at(-1);
      return { items, nextCursor: snaps.size > limit && last ? encodeCursor(last) : undefined };
    } catch (err) {
      return rethrowClassified(err, 'invoice list');
    }
  }

  /** Every record in creation order, read in pages of 500 so that no query stays open for long. */
  async *iterate(): AsyncIterable<InvoiceRecord> {
    const base = this.invoices.orderBy('createdAt').orderBy(FieldPath.documentId());
    for await (const snap of this.pages(base)) yield fromDocument(snap.data());
  }

  private async earlier(filtered: Query, before: InvoiceSummary): Promise<InvoiceSummary[]> {
    try {
      const snaps = await filtered
        .orderBy('createdAt', 'desc')
        .orderBy(FieldPath.documentId(), 'desc')
        .startAfter(before.createdAt, before.invoiceId)
        .limit(MAX_DUPLICATES)
        .get();
      return snaps.docs.map(toSummary).reverse();
    } catch (err) {
      return rethrowClassified(err, 'duplicate query');
    }
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

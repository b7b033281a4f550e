/**
 * Ports: the narrow interfaces the core needs from the outside world. Shaped by the domain, not by any SDK.
 * Each has a local (embedded) adapter and a GCP adapter; contract tests run both against the same suite.
 */
import type { BlobRef, MessageOf, Topic } from './messages.js';
import type { OcrDocument } from './ocr-document.js';
import type { InvoiceHistoryEntry, RevisionRequest } from './invoice/history.js';
import type { Invoice } from './invoice/invoice.js';
import type { InvoiceRecord } from './invoice/record.js';
import type { InvoiceStatus } from './invoice/status.js';

// ---------------------------------------------------------------------------------------------- blobs

export interface BlobStat {
  bucket: string;
  name: string;
  size: number;
  contentType?: string | undefined;
  /** Monotonic per object name (GCS int64 as string). */
  generation: string;
  updatedAt: string;
}

export interface WriteOptions {
  contentType?: string;
  /** '0' = only if the object does not exist; otherwise only if the current generation matches. */
  ifGenerationMatch?: string;
  metadata?: Record<string, string>;
}

/** Thrown by {@link BlobStore.write} when `ifGenerationMatch` does not hold. */
export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
}

/**
 * Object storage (a Cloud Storage bucket, or a folder locally).
 * `read` throws {@link BlobNotFoundError} for a missing object, and for a ref naming a `generation` that is not
 * (or no longer) the stored one: it never returns the bytes of another generation.
 */
export interface BlobStore {
  read(ref: BlobRef): Promise<Uint8Array>;
  stat(ref: BlobRef): Promise<BlobStat | null>;
  write(ref: BlobRef, data: Uint8Array | string, options?: WriteOptions): Promise<BlobStat>;
  list(bucket: string, prefix: string): Promise<BlobStat[]>;
  delete(ref: BlobRef): Promise<void>;
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
}

// ---------------------------------------------------------------------------------------------- bus

export interface PublishOptions {
  /** Messages with the same key are delivered in publish order (Pub/Sub ordering keys). */
  orderingKey?: string;
  attributes?: Record<string, string>;
}

/** Publishes a message; resolves once the bus has durably accepted it (always awaited). */
export interface EventBus {
  publish<T extends Topic>(topic: T, message: MessageOf<T>, options?: PublishOptions): Promise<string>;
}

// ---------------------------------------------------------------------------------------------- invoices

export interface TransitionResult {
  /** False when the move would go backwards or the record is at another revision (a stale write): nothing was written. */
  applied: boolean;
  record: InvoiceRecord;
}

export interface TransitionOptions {
  /** Apply only while the record is at this revision: a message of an earlier revision never writes. */
  revision?: number;
}

/** The two duplicate indexes: identical bytes, and the same supplier + invoice number. */
export type DuplicateKeyKind = 'content' | 'business';

/** The invoice that holds a duplicate key: the first one to reserve it. */
export interface DuplicateKeyHolder {
  invoiceId: string;
  createdAt: string;
}

/** A lightweight view used by duplicate checks and listings. */
export interface InvoiceSummary {
  invoiceId: string;
  fileName: string;
  status: InvoiceStatus;
  contentSha256?: string | undefined;
  supplierKey?: string | undefined;
  businessKey?: string | undefined;
  totalAmount?: number | undefined;
  currency?: string | undefined;
  invoiceDate?: string | undefined;
  decision?: string | undefined;
  createdAt: string;
  /** As printed on the invoice (untrusted text), for listings people read. */
  supplierName?: string | undefined;
  invoiceNumber?: string | undefined;
  /** Reason codes of the decision, in its order. */
  reasons?: string[] | undefined;
  /** The record's revision (listings read it; absent where an adapter does not). */
  revision?: number | undefined;
}

export interface NearDuplicateQuery {
  supplierKey: string;
  currency?: string | undefined;
  minAmount: number;
  maxAmount: number;
  dateFrom: string;
  dateTo: string;
  excludeInvoiceId: string;
}

/** Supplier history computed over the invoices processed before this one. */
export interface SupplierHistory {
  count: number;
  /** Mean and standard deviation of ln(1 + total) over that supplier's invoices. */
  meanLogAmount: number;
  stdLogAmount: number;
  lastInvoiceDate?: string | undefined;
  distinctIbans: number;
  ibanSeenBefore: boolean;
}

/**
 * A page of the invoice listing. Every filter is optional and they combine (AND). Pages are keyset-paged by
 * (createdAt, invoiceId): newest first by default, oldest first with `order: 'oldest'` (the review queue).
 */
export interface ListQuery {
  status?: InvoiceStatus;
  decision?: string;
  /** The supplier's key as the pipeline derives it (core/invoice/keys.ts `supplierKey`), e.g. `vat:DE123456789`. */
  supplierKey?: string;
  /** Received at or after this instant (ISO 8601, compared with createdAt). */
  createdFrom?: string;
  /** Received strictly before this instant (ISO 8601). */
  createdTo?: string;
  /** A reason code the invoice's decision carries (e.g. `DUP_CONTENT_HASH`), whatever its effect. */
  reason?: string;
  /** A model the decision was made with: `name@version` (e.g. `quality@v1-s42`) or a bare version. */
  modelVersion?: string;
  /**
   * Only invoices open in the review queue (core/invoice/review-queue.ts `reviewQueueOf`): REVIEW decisions and
   * the audit sample, not reviewed at their current revision. Stores index that value, so the queue is one range.
   */
  reviewQueue?: boolean;
  /** `newest` (default) or `oldest` first; a cursor is only valid with the order it was issued for. */
  order?: 'newest' | 'oldest';
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/**
 * Invoice records plus the indexes used for duplicate detection and supplier history.
 * All writes are transactional: `transition` reads the current status and writes only a forward move.
 */
/** A half-open range of creation instants (ISO 8601); either end may be left open. */
export interface CreatedRange {
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
}

/**
 * The records in one status by the time they last changed (a FAILED record's `updatedAt` is when it failed), oldest
 * change first, keyset-paged by (updatedAt, invoiceId): what the sweep reads, never the whole status.
 */
export interface UpdatedQuery {
  status: InvoiceStatus;
  /** Updated at or after this instant (ISO 8601). */
  updatedFrom?: string | undefined;
  /** Updated strictly before this instant (ISO 8601). */
  updatedTo?: string | undefined;
  limit: number;
  /** Opaque cursor from a previous page of the same query. */
  cursor?: string | undefined;
}

/** One invoice's answer to {@link InvoiceStore.startRevisions}: its new record, or why it was left alone. */
export type RevisionStartResult =
  | { invoiceId: string; applied: true; record: InvoiceRecord }
  | { invoiceId: string; applied: false; reason: string; record?: InvoiceRecord | undefined };

export interface InvoiceStore {
  get(invoiceId: string): Promise<InvoiceRecord | null>;
  /** Inserts the record if no record with that id exists; returns the stored one either way. */
  createIfAbsent(record: InvoiceRecord): Promise<{ created: boolean; record: InvoiceRecord }>;
  /**
   * Moves to `to` and merges `patch` iff the move is forward (see canTransition) and, when `options.revision` is
   * given, the record is at that revision. The first move of an invoice that records its features (to
   * FEATURES_DONE, or from OCR_DONE straight to SCORED) also adds it to its supplier's running stats
   * (patch.supplierKey), in the same transaction.
   */
  transition(invoiceId: string, to: InvoiceStatus, patch: Partial<InvoiceRecord>, options?: TransitionOptions): Promise<TransitionResult>;
  /**
   * Reserves a duplicate key for `claimant` with one atomic conditional create: the first invoice to reserve a
   * key holds it for good, and every later claimant gets that holder back (it is a duplicate of it). Idempotent:
   * the holder reserving again gets itself. Two copies processed at the same time can never both be originals.
   */
  reserveDuplicateKey(
    kind: DuplicateKeyKind,
    key: string,
    claimant: DuplicateKeyHolder,
    options?: {
      /**
       * Take the key over iff this invoice still holds it (compare-and-set): a holder that ended REJECTED or FAILED
       * never became a payable invoice, and its re-upload must become the new original, exactly once.
       */
      replacing?: string;
    },
  ): Promise<DuplicateKeyHolder>;
  /** Frees a key held by `invoiceId` (its new revision no longer carries it); a key held by another invoice stays. */
  releaseDuplicateKey(kind: DuplicateKeyKind, key: string, invoiceId: string): Promise<void>;
  findNearDuplicates(query: NearDuplicateQuery, before: InvoiceSummary): Promise<InvoiceSummary[]>;
  /** The supplier's running stats as features read them (one read): the invoices counted before this call. */
  supplierHistory(supplierKey: string, iban?: string): Promise<SupplierHistory>;
  /**
   * Starts revision n+1 of each settled invoice of `requests` (reprocessing, a backfill with a newer model; one
   * request, or a batch job's page): its current result goes to the record's history and its status restarts at
   * `from`, both written together or not at all, in as few transactions as the database allows. Each invoice is
   * decided on its own: one not at its `expectedRevision`, not settled, lacking what the restart needs (see
   * revisionBlocker) or unknown is refused alone, with its reason. The same requests again start nothing. Results
   * in request order. Throws (nothing of the failing transaction written) only when the database does
   * (RetryableError on GCP).
   */
  startRevisions(requests: ReadonlyArray<RevisionRequest & { invoiceId: string }>): Promise<RevisionStartResult[]>;
  /** The earlier results of an invoice, oldest revision first. */
  history(invoiceId: string): Promise<InvoiceHistoryEntry[]>;
  /**
   * A page of summaries matching every filter of `query`, in its order. A page may hold fewer than `limit`
   * items while `nextCursor` is set (an adapter that filters part of a query in memory stops scanning at a
   * bound); only a missing `nextCursor` means the end. Throws on a cursor this store did not issue.
   */
  list(query: ListQuery): Promise<{ items: InvoiceSummary[]; nextCursor?: string | undefined }>;
  /**
   * Every full record in creation order (exports, training sets); paged internally by the adapter. With a range,
   * only records created in [createdFrom, createdTo) (ISO instants), read through the creation-time index: the
   * nightly export reads one day in one ordered scan instead of a page of summaries plus one read per record.
   */
  iterate(range?: CreatedRange): AsyncIterable<InvoiceRecord>;
  /**
   * A page of full records of `query.status` updated in its range, oldest change first, through a (status,
   * updatedAt) index: one read per record returned (no summary page plus a read per record), none for records
   * outside the range. Only a missing `nextCursor` means the end. Throws on a cursor this store did not issue.
   */
  listUpdated(query: UpdatedQuery): Promise<{ items: InvoiceRecord[]; nextCursor?: string | undefined }>;
  /**
   * How many records are in `status` (updated at or after `updatedFrom` when given), counted by the index (SQLite
   * COUNT over the (status, updated_at) index; a Firestore count() aggregation, billed one read per 1,000 index
   * entries), never by reading the records.
   */
  countByStatus(status: InvoiceStatus, range?: { updatedFrom?: string | undefined }): Promise<number>;
  /**
   * Records that `revision` of the invoice has a review label (written after the label store took it): at the
   * record's current revision the invoice leaves the review queue. Idempotent: false, and nothing written, for an
   * unknown invoice or when that revision (or a later one) is already marked. Never touches `updatedAt`.
   */
  markReviewed(invoiceId: string, revision: number): Promise<boolean>;
  /**
   * Optional: one page (in creation order, from `cursor`) of indexing records written before the review-queue
   * index existed, for a store whose old records cannot be indexed at upgrade (Firestore; SQLite's migration
   * does it). Idempotent; the `review-queue` batch job pages through it.
   */
  backfillReviewQueue?(options: { auditSampleRate: number; limit?: number; cursor?: string }): Promise<{ scanned: number; updated: number; nextCursor?: string | undefined }>;
}

// ---------------------------------------------------------------------------------------------- idempotency

export type ClaimResult =
  /** `token` names this claim's owner: only it may complete or release the claim. */
  | { state: 'claimed'; token: string }
  | { state: 'completed'; result: unknown }
  | { state: 'in-progress'; expiresAt: string };

/**
 * Claim / complete / release with one atomic conditional write per claim (never read-then-write).
 * An expired IN_PROGRESS claim (a crashed worker) can be claimed again, under a new owner token; the worker
 * whose claim expired can then neither complete nor release it (both return false and write nothing).
 */
export interface IdempotencyStore {
  claim(key: string, ttlMs: number, now: Date): Promise<ClaimResult>;
  /** Stores `result` as COMPLETED iff the key is still IN_PROGRESS under `token`; false otherwise. */
  complete(key: string, token: string, result: unknown, now: Date): Promise<boolean>;
  /** Frees the claim iff it is still IN_PROGRESS under `token`; false otherwise. */
  release(key: string, token: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------- OCR

export interface OcrInput {
  bytes: Uint8Array;
  fileName: string;
  /** The uploader's content type; never trusted over the file's magic bytes. */
  declaredContentType?: string | undefined;
}

export interface OcrLimits {
  maxPages: number;
  maxBytes: number;
  /** Per document wall-clock budget. */
  timeoutMs: number;
  /** Tesseract language codes, e.g. ['eng','deu','fra']. */
  languages: string[];
}

/**
 * Turns a file into the normalized {@link OcrDocument}.
 * Throws PermanentError with a RejectReason code for input that can never be read (encrypted, corrupt,
 * unsupported, too many pages...) and RetryableError for transient failures.
 */
export interface OcrEngine {
  readonly name: string;
  /**
   * True when the engine returns a PDF's XML attachments (Factur-X, ZUGFeRD, XRechnung) in `embeddedFiles`
   * itself, as the local engine does while it reads the text layer. Otherwise the OCR stage reads them.
   */
  readonly readsAttachments?: boolean;
  recognize(input: OcrInput, limits: OcrLimits): Promise<OcrDocument>;
  /**
   * Optional: the same document already serialized as JSON, with the few facts the OCR stage needs. An engine
   * that runs in another thread or process offers it so that the document is not rebuilt as objects only to
   * be serialized again for storage. Same errors as {@link OcrEngine.recognize}.
   */
  recognizeSerialized?(input: OcrInput, limits: OcrLimits): Promise<SerializedOcrDocument>;
}

export interface SerializedOcrDocument {
  /** `JSON.stringify` of a valid {@link OcrDocument}. */
  json: string;
  pageCount: number;
  mimeType: string;
  engineName: string;
}

/**
 * Runs core/extraction's `extractInvoice` on a stored OCR document somewhere else than the calling thread (the
 * local batch jobs: worker threads, so that extraction, a third of a reprocess, runs beside the database work).
 * `ocrJson` is the stored document as read; it is validated where it is extracted. Same result and errors as
 * `extractInvoice(parseOcrDocument(ocrJson), options)`.
 */
export interface InvoiceExtractor {
  extract(ocrJson: string, options: { einvoice: boolean; referenceDate: Date }): Promise<Invoice>;
}

// ---------------------------------------------------------------------------------------------- usage

/**
 * Pages read by the OCR engine per calendar month (UTC), for cost reports (`ledgerx usage`): Document AI
 * bills per page. Increments are atomic; a failed increment never fails the document it counts.
 */
export interface UsageCounter {
  /** Adds `pages` to the month of `at`. Throws RangeError for a negative or fractional count. */
  addPages(pages: number, at: Date): Promise<void>;
  /** Pages counted for `month` (`yyyy-mm`); 0 when none. Throws RangeError for another format. */
  pagesIn(month: string): Promise<number>;
  /** Every month with pages, oldest first. */
  months(): Promise<Array<{ month: string; pages: number }>>;
}

/** `yyyy-mm` of a date in UTC (the month Document AI bills in). */
export function usageMonth(at: Date): string {
  return at.toISOString().slice(0, 7);
}

// ---------------------------------------------------------------------------------------------- models

export interface ModelScores {
  quality: number | null;
  failureRisk: number | null;
  anomaly: number | null;
  /** Per model name, the raw model output before calibration (for the prediction log). */
  raw?: Record<string, number | null>;
  /** Per model, the top contributing features with signed contributions. */
  explanations: Record<string, Array<{ feature: string; value: number; contribution: number }>>;
}

/** The production models of the registry, loaded once per process. */
export interface ScoringModels {
  /** name -> version of every loaded model. */
  readonly versions: Record<string, string>;
  readonly featureSchemaVersion: string;
  score(features: Record<string, number>): Promise<ModelScores>;
  /** Releases native sessions (optional: a registry that swaps versions releases the old ones). */
  close?(): void;
}

/** Finds the production models; null when none are installed (the decision then uses rules alone). */
export interface ModelRegistry {
  loadProduction(): Promise<ScoringModels | null>;
}

// ---------------------------------------------------------------------------------------------- platform

export interface Clock {
  now(): Date;
}

export type LogFields = Record<string, unknown>;

/** Structured logger: one JSON line per entry; never pass invoice contents in fields. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

import { canTransition, type InvoiceStatus } from '../../../core/invoice/status.js';
import { InvoiceRecordSchema, type InvoiceRecord } from '../../../core/invoice/record.js';
import type {
  Clock,
  CreatedRange,
  DuplicateKeyHolder,
  DuplicateKeyKind,
  InvoiceStore,
  InvoiceSummary,
  ListQuery,
  NearDuplicateQuery,
  RevisionStartResult,
  SupplierHistory,
  TransitionOptions,
  TransitionResult,
  UpdatedQuery,
} from '../../../core/ports.js';
import type { SqliteDatabase } from './database.js';
import { normalizeIban } from '../../../core/invoice/keys.js';
import {
  InvoiceHistoryEntrySchema, nextRevision, revisionBlocker, type InvoiceHistoryEntry, type RevisionRequest,
} from '../../../core/invoice/history.js';
import {
  addToSupplierStats, EMPTY_SUPPLIER_STATS, supplierHistoryOf, supplierObservation, SupplierStatsSchema, type SupplierStats,
} from '../../../core/invoice/supplier-stats.js';
import { decodeListCursor, encodeListCursor } from '../../list-cursor.js';
import { reviewQueueOf } from '../../../core/invoice/review-queue.js';

/** Thrown by {@link SqliteInvoiceStore.transition} for an invoice id that was never created. */
export class InvoiceNotFoundError extends Error {
  override readonly name = 'InvoiceNotFoundError';
}

interface InvoiceRow {
  invoice_id: string;
  status: string;
  file_name: string;
  content_sha256: string | null;
  supplier_key: string | null;
  business_key: string | null;
  total_amount: number | null;
  currency: string | null;
  invoice_date: string | null;
  decision: string | null;
  created_at: string;
  supplier_name?: string | null;
  invoice_number?: string | null;
  reason_codes?: string | null;
  revision?: number | null;
}

const SUMMARY_COLUMNS =
  'invoice_id, status, file_name, content_sha256, supplier_key, business_key, total_amount, currency, invoice_date, decision, created_at';
/** What listings show besides the indexed columns, read from the page's records only (at most a page of rows). */
const SUMMARY_EXTRAS = `json_extract(i.record, '$.invoice.fields.supplier_name.value') AS supplier_name,
  json_extract(i.record, '$.invoice.fields.invoice_id.value') AS invoice_number,
  (SELECT group_concat(json_extract(r.value, '$.code'), ' ') FROM json_each(i.record, '$.decision.reasons') r) AS reason_codes,
  json_extract(i.record, '$.revision') AS revision`;
/** Strictly earlier in the (createdAt, invoiceId) order, the tie-break every adapter must use. */
const BEFORE = '(created_at, invoice_id) < (?, ?)';
/** Bounds a duplicate lookup: more matches than this say nothing new to a reviewer. */
const MAX_DUPLICATES = 100;
const MAX_PAGE = 1_000;
const ITERATE_PAGE = 500;

const RecordPatchSchema = InvoiceRecordSchema.omit({ invoiceId: true, createdAt: true, source: true }).partial();

/** The patch, validated; only the keys it carries (zod would otherwise fill in defaults such as `timings`). */
function validPatch(changes: Partial<InvoiceRecord>): Partial<InvoiceRecord> {
  const parsed = RecordPatchSchema.parse(changes) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(changes).map((k) => [k, parsed[k]])) as Partial<InvoiceRecord>;
}


/** The indexed columns of a record (what lists, duplicate checks and supplier history query). */
function indexedValues(record: InvoiceRecord) {
  const fields = record.invoice?.fields;
  return {
    status: record.status,
    file_name: record.fileName,
    content_sha256: record.contentSha256 ?? null,
    supplier_key: record.supplierKey ?? null,
    business_key: record.businessKey ?? null,
    supplier_iban: normalizeIban(fields?.supplier_iban?.value),
    total_amount: fields?.total_amount?.value ?? null,
    currency: fields?.currency?.value ?? null,
    invoice_date: fields?.invoice_date?.value ?? null,
    decision: record.decision?.decision ?? null,
    review_queue: reviewQueueOf(record) ?? null,
    updated_at: record.updatedAt,
  };
}

const indexedColumns = (record: InvoiceRecord) => ({ ...indexedValues(record), record: JSON.stringify(record) });

function toSummary(row: InvoiceRow): InvoiceSummary {
  return {
    invoiceId: row.invoice_id,
    fileName: row.file_name,
    status: row.status as InvoiceStatus,
    contentSha256: row.content_sha256 ?? undefined,
    supplierKey: row.supplier_key ?? undefined,
    businessKey: row.business_key ?? undefined,
    totalAmount: row.total_amount ?? undefined,
    currency: row.currency ?? undefined,
    invoiceDate: row.invoice_date ?? undefined,
    decision: row.decision ?? undefined,
    createdAt: row.created_at,
    ...(row.supplier_name != null ? { supplierName: String(row.supplier_name) } : {}),
    ...(row.invoice_number != null ? { invoiceNumber: String(row.invoice_number) } : {}),
    ...(row.reason_codes ? { reasons: row.reason_codes.split(' ') } : {}),
    ...(row.revision != null ? { revision: Number(row.revision) } : {}),
  };
}

const encodeCursor = (row: InvoiceRow): string => encodeListCursor(row.created_at, row.invoice_id);


/**
 * {@link InvoiceStore} on the embedded database: the full record as JSON plus indexed columns for status,
 * duplicates and supplier history. Every write validates the record with {@link InvoiceRecordSchema}.
 */
export class SqliteInvoiceStore implements InvoiceStore {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly clock: Clock = { now: () => new Date() },
  ) {}

  async get(invoiceId: string): Promise<InvoiceRecord | null> {
    return this.readRecord(invoiceId);
  }

  /** Inserts `record` unless its id exists (ON CONFLICT DO NOTHING); throws when it does not validate. */
  async createIfAbsent(record: InvoiceRecord): Promise<{ created: boolean; record: InvoiceRecord }> {
    const valid = InvoiceRecordSchema.parse(record);
    return this.db.immediate(() => {
      const info = this.db
        .statement(
          `INSERT INTO invoices (invoice_id, status, file_name, content_sha256, supplier_key, business_key, supplier_iban,
             total_amount, currency, invoice_date, decision, review_queue, created_at, updated_at, record)
           VALUES (@invoice_id, @status, @file_name, @content_sha256, @supplier_key, @business_key, @supplier_iban,
             @total_amount, @currency, @invoice_date, @decision, @review_queue, @created_at, @updated_at, @record)
           ON CONFLICT (invoice_id) DO NOTHING`,
        )
        .run({ invoice_id: valid.invoiceId, created_at: valid.createdAt, ...indexedColumns(valid) });
      if (info.changes === 1) return { created: true, record: valid };
      return { created: false, record: this.readRecord(valid.invoiceId)! };
    });
  }

  /**
   * Reads the current status and writes `patch` + `to` only if {@link canTransition} allows the move, all in
   * one IMMEDIATE transaction, so a stale duplicate can never overwrite a newer state. `invoiceId`,
   * `createdAt` and `source` are never changed by a patch. Throws {@link InvoiceNotFoundError} for an
   * unknown id and a ZodError when the merged record does not validate.
   */
  async transition(invoiceId: string, to: InvoiceStatus, patch: Partial<InvoiceRecord>, options: TransitionOptions = {}): Promise<TransitionResult> {
    return this.db.immediate(() => {
      const current = this.readRecord(invoiceId);
      if (!current) throw new InvoiceNotFoundError(`invoice ${invoiceId} does not exist`);
      if (options.revision !== undefined && current.revision !== options.revision) return { applied: false, record: current };
      if (!canTransition(current.status, to)) return { applied: false, record: current };
      const { invoiceId: _id, createdAt: _created, source: _source, revision: _revision, ...changes } = patch;
      // The current record is valid (validated when written), so validating the patch validates the merge,
      // without re-checking the whole extracted invoice on every later transition.
      const next: InvoiceRecord = {
        ...current,
        ...validPatch(changes),
        status: to,
        updatedAt: changes.updatedAt ?? this.clock.now().toISOString(),
      };
      if ((to === 'FEATURES_DONE' || to === 'SCORED') && next.supplierKey && !current.supplierStatsApplied) {
        this.writeSupplierStats(next.supplierKey, addToSupplierStats(this.readSupplierStats(next.supplierKey), supplierObservation(next)));
        next.supplierStatsApplied = true;
      }
      this.writeRecord(next, current);
      return { applied: true, record: next };
    });
  }

  /**
   * One INSERT OR IGNORE decides the holder; a replace is an UPDATE conditional on the holder it replaces. A key
   * the claimant already holds (a redelivery, every revision of an invoice) is answered by a read, without a write
   * transaction: for a held key the INSERT OR IGNORE changes nothing, so the read returns what it would have.
   */
  async reserveDuplicateKey(
    kind: DuplicateKeyKind,
    key: string,
    claimant: DuplicateKeyHolder,
    options: { replacing?: string } = {},
  ): Promise<DuplicateKeyHolder> {
    if (options.replacing === undefined) {
      const held = this.db.statement('SELECT invoice_id, created_at FROM duplicate_keys WHERE kind = ? AND key = ?').get(kind, key) as
        | { invoice_id: string; created_at: string }
        | undefined;
      if (held?.invoice_id === claimant.invoiceId) return { invoiceId: held.invoice_id, createdAt: held.created_at };
    }
    return this.db.immediate(() => {
      const now = this.clock.now().toISOString();
      if (options.replacing !== undefined) {
        this.db
          .statement('UPDATE duplicate_keys SET invoice_id = ?, created_at = ?, reserved_at = ? WHERE kind = ? AND key = ? AND invoice_id = ?')
          .run(claimant.invoiceId, claimant.createdAt, now, kind, key, options.replacing);
      }
      this.db
        .statement('INSERT OR IGNORE INTO duplicate_keys (kind, key, invoice_id, created_at, reserved_at) VALUES (?, ?, ?, ?, ?)')
        .run(kind, key, claimant.invoiceId, claimant.createdAt, now);
      const row = this.db.statement('SELECT invoice_id, created_at FROM duplicate_keys WHERE kind = ? AND key = ?').get(kind, key) as {
        invoice_id: string;
        created_at: string;
      };
      return { invoiceId: row.invoice_id, createdAt: row.created_at };
    });
  }

  async releaseDuplicateKey(kind: DuplicateKeyKind, key: string, invoiceId: string): Promise<void> {
    this.db.statement('DELETE FROM duplicate_keys WHERE kind = ? AND key = ? AND invoice_id = ?').run(kind, key, invoiceId);
  }

  /**
   * The whole chunk in one IMMEDIATE transaction (one commit instead of one per invoice): all of it or, when the
   * process dies first, none of it. A refused invoice writes nothing and does not stop the others.
   */
  async startRevisions(requests: ReadonlyArray<RevisionRequest & { invoiceId: string }>): Promise<RevisionStartResult[]> {
    return this.db.immediate(() => {
      const at = this.clock.now().toISOString();
      return requests.map(({ invoiceId, ...request }): RevisionStartResult => {
        const current = this.readRecord(invoiceId);
        if (!current) return { invoiceId, applied: false, reason: 'no such invoice' };
        const result = this.reviseRecord(current, request, at);
        return result.applied ? { invoiceId, applied: true, record: result.record } : { invoiceId, applied: false, reason: result.reason, record: current };
      });
    });
  }

  async history(invoiceId: string): Promise<InvoiceHistoryEntry[]> {
    const rows = this.db.statement('SELECT entry FROM invoice_history WHERE invoice_id = ? ORDER BY revision').all(invoiceId) as Array<{ entry: string }>;
    return rows.map((r) => InvoiceHistoryEntrySchema.parse(JSON.parse(r.entry)));
  }

  /** Earlier invoices of the supplier with a total in [min, max] and a date in [from, to] (inclusive). */
  async findNearDuplicates(query: NearDuplicateQuery, before: InvoiceSummary): Promise<InvoiceSummary[]> {
    const currency = query.currency === undefined ? '' : 'AND currency = ?';
    const params: unknown[] = [query.supplierKey, query.minAmount, query.maxAmount, query.dateFrom, query.dateTo];
    if (query.currency !== undefined) params.push(query.currency);
    params.push(query.excludeInvoiceId, before.createdAt, before.invoiceId);
    return this.summaries(
      // INDEXED BY: without statistics SQLite prefers the (supplier_key, created_at) index, which spares the sort
      // of the few matches but reads every earlier invoice of the supplier (migration 71).
      `SELECT ${SUMMARY_COLUMNS} FROM invoices INDEXED BY invoices_by_supplier_amount
       WHERE supplier_key = ? AND total_amount BETWEEN ? AND ? AND invoice_date BETWEEN ? AND ? ${currency}
         AND invoice_id <> ? AND ${BEFORE}
       ORDER BY created_at, invoice_id LIMIT ${MAX_DUPLICATES}`,
      params,
    );
  }

  /** One read of the supplier's running stats (see core/invoice/supplier-stats.ts). */
  async supplierHistory(supplierKey: string, iban?: string): Promise<SupplierHistory> {
    return supplierHistoryOf(this.readSupplierStats(supplierKey), iban);
  }

  /**
   * Keyset-paged by (createdAt, invoiceId), newest or oldest first, every filter in SQL. With a reason or model
   * filter the page is read from that tag's rows (migration 40), already in listing order; otherwise from the
   * invoices table through its (status|decision|supplier_key, created_at, invoice_id) indexes. Throws on a
   * cursor this store did not issue.
   */
  async list(query: ListQuery): Promise<{ items: InvoiceSummary[]; nextCursor?: string | undefined }> {
    const tags = [
      ...(query.reason !== undefined ? [`reason:${query.reason}`] : []),
      ...(query.modelVersion !== undefined ? [`model:${query.modelVersion}`] : []),
    ];
    // The page is read in listing order from the most selective ordered source: a supplier's invoices
    // (supplier_key, created_at) when a supplier is given, else the first tag's rows (CROSS JOIN makes SQLite keep
    // that table as the outer loop, so no sort), else the invoices table. `d` orders the page.
    const byTag = tags.length > 0 && query.supplierKey === undefined;
    const from = byTag ? 'invoice_list_tags d CROSS JOIN invoices i ON i.invoice_id = d.invoice_id' : 'invoices i';
    const d = byTag ? 'd' : 'i';
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (byTag) add('d.tag = ?', tags[0]);
    for (const tag of byTag ? tags.slice(1) : tags) {
      add('EXISTS (SELECT 1 FROM invoice_list_tags t WHERE t.tag = ? AND t.created_at = i.created_at AND t.invoice_id = i.invoice_id)', tag);
    }
    // The partial index of migration 60 serves this term: the queue is one range, in listing order.
    if (query.reviewQueue) add('i.review_queue IS NOT NULL');
    if (query.status !== undefined) add('i.status = ?', query.status);
    if (query.decision !== undefined) add('i.decision = ?', query.decision);
    if (query.supplierKey !== undefined) add('i.supplier_key = ?', query.supplierKey);
    if (query.createdFrom !== undefined) add(`${d}.created_at >= ?`, query.createdFrom);
    if (query.createdTo !== undefined) add(`${d}.created_at < ?`, query.createdTo);
    const oldest = query.order === 'oldest';
    if (query.cursor !== undefined) add(`(${d}.created_at, ${d}.invoice_id) ${oldest ? '>' : '<'} (?, ?)`, ...decodeListCursor(query.cursor));
    const direction = oldest ? 'ASC' : 'DESC';
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_PAGE);
    const columns = SUMMARY_COLUMNS.split(', ').map((c) => `i.${c}`).join(', ');
    const rows = this.db
      .statement(
        `SELECT ${columns} FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${d}.created_at ${direction}, ${d}.invoice_id ${direction} LIMIT ?`,
      )
      .all(...params, limit + 1) as InvoiceRow[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    this.addListedText(page);
    return {
      items: page.map(toSummary),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : undefined,
    };
  }

  /** Sets `reviewedRevision` in one IMMEDIATE transaction (the record's indexed queue column follows it). */
  async markReviewed(invoiceId: string, revision: number): Promise<boolean> {
    return this.db.immediate(() => {
      const current = this.readRecord(invoiceId);
      if (!current || (current.reviewedRevision ?? 0) >= revision) return false;
      this.writeRecord({ ...current, reviewedRevision: revision }, current);
      return true;
    });
  }

  /**
   * Every record in creation order (optionally created in [createdFrom, createdTo)), read in keyset pages so no
   * statement stays open across awaits. Rows are not re-validated: each was validated by InvoiceRecordSchema
   * when written and only this adapter writes the table (see readRecord); parsing 100,000 records through the
   * schema again was a fifth of the nightly export's time.
   */
  async *iterate(range: CreatedRange = {}): AsyncIterable<InvoiceRecord> {
    let after: [string, string] = [range.createdFrom ?? '', ''];
    const to = range.createdTo === undefined ? '' : 'AND created_at < ?';
    const statement = this.db.statement(
      `SELECT created_at, invoice_id, record FROM invoices WHERE (created_at, invoice_id) > (?, ?) ${to}
       ORDER BY created_at, invoice_id LIMIT ${ITERATE_PAGE}`,
    );
    for (;;) {
      const rows = statement.all(...after, ...(range.createdTo === undefined ? [] : [range.createdTo])) as Array<{ created_at: string; invoice_id: string; record: string }>;
      for (const row of rows) {
        const record = JSON.parse(row.record) as InvoiceRecord;
        record.revision ??= 1;
        yield record;
      }
      const last = rows.at(-1);
      if (!last || rows.length < ITERATE_PAGE) return;
      after = [last.created_at, last.invoice_id];
    }
  }

  /** A range of the (status, updated_at, invoice_id) index of migration 70, in its order. */
  async listUpdated(query: UpdatedQuery): Promise<{ items: InvoiceRecord[]; nextCursor?: string | undefined }> {
    const where = ['status = ?'];
    const params: unknown[] = [query.status];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (query.updatedFrom !== undefined) add('updated_at >= ?', query.updatedFrom);
    if (query.updatedTo !== undefined) add('updated_at < ?', query.updatedTo);
    if (query.cursor !== undefined) add('(updated_at, invoice_id) > (?, ?)', ...decodeListCursor(query.cursor));
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_PAGE);
    const rows = this.db
      .statement(`SELECT invoice_id, updated_at, record FROM invoices WHERE ${where.join(' AND ')} ORDER BY updated_at, invoice_id LIMIT ?`)
      .all(...params, limit + 1) as Array<{ invoice_id: string; updated_at: string; record: string }>;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      // Not re-validated: see readRecord.
      items: page.map((row) => {
        const record = JSON.parse(row.record) as InvoiceRecord;
        record.revision ??= 1;
        return record;
      }),
      nextCursor: rows.length > limit && last ? encodeListCursor(last.updated_at, last.invoice_id) : undefined,
    };
  }

  /** COUNT over the (status, updated_at) index: no record is read. */
  async countByStatus(status: InvoiceStatus, range: { updatedFrom?: string | undefined } = {}): Promise<number> {
    const row = (range.updatedFrom === undefined
      ? this.db.statement('SELECT COUNT(*) AS n FROM invoices WHERE status = ?').get(status)
      : this.db.statement('SELECT COUNT(*) AS n FROM invoices WHERE status = ? AND updated_at >= ?').get(status, range.updatedFrom)) as { n: number };
    return row.n;
  }

  /**
   * Inside the caller's transaction: `current` to invoice_history and revision n+1 written, or the blocker. Not
   * validated again: `current` was read from this table (validated when written), and nextRevision only clears
   * fields and sets status, revision and time.
   */
  private reviseRecord(current: InvoiceRecord, request: RevisionRequest, at: string): { applied: true; record: InvoiceRecord } | { applied: false; record: InvoiceRecord; reason: string } {
    const blocker = revisionBlocker(current, request);
    if (blocker) return { applied: false, record: current, reason: blocker };
    const { next, entry } = nextRevision(current, request, at);
    this.db.statement('INSERT INTO invoice_history (invoice_id, revision, entry) VALUES (?, ?, ?)').run(current.invoiceId, entry.revision, JSON.stringify(entry));
    this.writeRecord(next, current);
    return { applied: true, record: next };
  }

  private readRecord(invoiceId: string): InvoiceRecord | null {
    const row = this.db.statement('SELECT record FROM invoices WHERE invoice_id = ?').get(invoiceId) as
      | { record: string }
      | undefined;
    if (!row) return null;
    // Every stored record was validated by InvoiceRecordSchema when written (createIfAbsent / transition), and
    // only this adapter writes the table: re-validating on each of the many reads per invoice cost more than
    // the rest of the store together (measured with a CPU profile of a 1,000-invoice batch).
    const record = JSON.parse(row.record) as InvoiceRecord;
    // Records written before revisions existed are revision 1 (the schema's default).
    record.revision ??= 1;
    return record;
  }

  /**
   * Rewrites the record and those of its indexed columns that changed since `previous` (all of them without it).
   * SQLite maintains every index over a column named in the SET list, changed or not: naming only the changed
   * ones spares most of the ten index updates of a stage's write (a status and a decision move, the keys stay).
   */
  private writeRecord(record: InvoiceRecord, previous?: InvoiceRecord): void {
    const values: Record<string, unknown> = indexedValues(record);
    const before: Record<string, unknown> | undefined = previous && indexedValues(previous);
    const changed = Object.keys(values).filter((k) => !before || before[k] !== values[k]);
    const set = [...changed, 'record'].map((k) => `${k} = @${k}`).join(', ');
    const params: Record<string, unknown> = { invoice_id: record.invoiceId, record: JSON.stringify(record) };
    for (const k of changed) params[k] = values[k];
    this.db.statement(`UPDATE invoices SET ${set} WHERE invoice_id = @invoice_id`).run(params);
  }

  private readSupplierStats(supplierKey: string): SupplierStats {
    const row = this.db.statement('SELECT stats FROM supplier_stats WHERE supplier_key = ?').get(supplierKey) as { stats: string } | undefined;
    if (!row) return EMPTY_SUPPLIER_STATS;
    const raw = JSON.parse(row.stats) as Record<string, unknown>;
    return SupplierStatsSchema.parse({ ...raw, lastInvoiceDate: raw.lastInvoiceDate ?? undefined });
  }

  private writeSupplierStats(supplierKey: string, stats: SupplierStats): void {
    this.db
      .statement('INSERT INTO supplier_stats (supplier_key, stats) VALUES (?, ?) ON CONFLICT (supplier_key) DO UPDATE SET stats = excluded.stats')
      .run(supplierKey, JSON.stringify(stats));
  }

  /** Supplier name, number and reason codes of one page's rows, read after the page is cut (never per scanned row). */
  private addListedText(page: InvoiceRow[]): void {
    if (page.length === 0) return;
    const extras = this.db
      .statement(`SELECT i.invoice_id, ${SUMMARY_EXTRAS} FROM invoices i WHERE i.invoice_id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(page.map((r) => r.invoice_id))) as Array<Pick<InvoiceRow, 'invoice_id' | 'supplier_name' | 'invoice_number' | 'reason_codes'>>;
    const byId = new Map(extras.map((e) => [e.invoice_id, e]));
    for (const row of page) Object.assign(row, byId.get(row.invoice_id));
  }

  private summaries(sql: string, params: unknown[]): InvoiceSummary[] {
    return (this.db.statement(sql).all(...params) as InvoiceRow[]).map(toSummary);
  }
}

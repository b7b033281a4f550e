import {
  effectiveOf, exclusiveOutcome, ReviewLabelSchema,
  type LabelPage, type PutLabelOptions, type LabelStore, type ReviewLabel, type ReviewLabelInput, type StoredReview,
} from '../../../core/learning/review-labels.js';
import { decodeCursor, encodeCursor } from '../../page-cursor.js';
import type { SqliteDatabase } from './database.js';

/**
 * {@link LabelStore} on the embedded database: `review_labels` holds the current label per (invoice,
 * revision, reviewer); `review_history` every review ever written. Both are written in one IMMEDIATE
 * transaction, so two concurrent reviews by the same reviewer end in one current label and two history rows.
 */
export class SqliteLabelStore implements LabelStore {
  constructor(private readonly db: SqliteDatabase) {}

  async put(input: ReviewLabelInput, options: PutLabelOptions = {}): Promise<{ replaced: boolean; label: ReviewLabel; unchanged?: boolean }> {
    const label = ReviewLabelSchema.parse(input);
    const stored: ReviewLabel = { ...label, reviewedAt: new Date(label.reviewedAt).toISOString() };
    const json = JSON.stringify(stored);
    return this.db.immediate(() => {
      if (options.exclusive) {
        const rows = this.db.statement('SELECT label FROM review_labels WHERE invoice_id = ? AND revision = ?').all(stored.invoiceId, stored.revision) as Array<{ label: string }>;
        const own = exclusiveOutcome(stored, rows.map((r) => ReviewLabelSchema.parse(JSON.parse(r.label))));
        if (own) return { replaced: false, label: own, unchanged: true };
      }
      const seq = Number(
        this.db
          .statement('INSERT INTO review_history (invoice_id, revision, reviewer, reviewed_at, label) VALUES (?, ?, ?, ?, ?)')
          .run(stored.invoiceId, stored.revision, stored.reviewer, stored.reviewedAt, json).lastInsertRowid,
      );
      const existing = this.db.statement('SELECT 1 FROM review_labels WHERE invoice_id = ? AND revision = ? AND reviewer = ?').get(stored.invoiceId, stored.revision, stored.reviewer);
      this.db
        .statement(
          `INSERT INTO review_labels (invoice_id, revision, reviewer, reviewed_at, seq, label) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (invoice_id, revision, reviewer) DO UPDATE SET reviewed_at = excluded.reviewed_at, seq = excluded.seq, label = excluded.label`,
        )
        .run(stored.invoiceId, stored.revision, stored.reviewer, stored.reviewedAt, seq, json);
      return { replaced: existing !== undefined, label: stored };
    });
  }

  async current(invoiceId: string): Promise<ReviewLabel[]> {
    const rows = this.db.statement('SELECT label FROM review_labels WHERE invoice_id = ? ORDER BY reviewed_at DESC, seq DESC').all(invoiceId) as Array<{ label: string }>;
    return rows.map((r) => ReviewLabelSchema.parse(JSON.parse(r.label)));
  }

  async effective(invoiceId: string): Promise<ReviewLabel | null> {
    return effectiveOf(await this.current(invoiceId));
  }

  async history(invoiceId: string): Promise<StoredReview[]> {
    const rows = this.db
      .statement(
        `SELECT h.seq, h.label, (l.seq IS NOT NULL) AS current FROM review_history h
         LEFT JOIN review_labels l ON l.invoice_id = h.invoice_id AND l.revision = h.revision AND l.reviewer = h.reviewer AND l.seq = h.seq
         WHERE h.invoice_id = ? ORDER BY h.seq`,
      )
      .all(invoiceId) as Array<{ seq: number; label: string; current: number }>;
    return rows.map((r) => ({ ...ReviewLabelSchema.parse(JSON.parse(r.label)), seq: r.seq, current: r.current === 1 }));
  }

  async listEffective(query: { limit: number; cursor?: string | undefined }): Promise<LabelPage> {
    const after = query.cursor ? decodeCursor(query.cursor, 1)[0]! : '';
    const ids = (this.db.statement('SELECT DISTINCT invoice_id FROM review_labels WHERE invoice_id > ? ORDER BY invoice_id LIMIT ?').all(after, query.limit + 1) as Array<{ invoice_id: string }>).map((r) => r.invoice_id);
    const page = ids.slice(0, query.limit);
    const items: ReviewLabel[] = [];
    for (const id of page) {
      const label = await this.effective(id);
      if (label) items.push(label);
    }
    return { items, nextCursor: ids.length > query.limit ? encodeCursor([page[page.length - 1]!]) : undefined };
  }
}

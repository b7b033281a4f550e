/**
 * Monthly page usage of the OCR service (cost control): a port plus its Firestore implementation.
 */
import { FieldValue, Timestamp, type Firestore } from '@google-cloud/firestore';

/** Counts billable pages per calendar month (UTC). */
export interface UsageCounter {
  /** Adds `pages` to the month of `at`. */
  addPages(pages: number, at: Date): Promise<void>;
  /** Pages counted for `month` (`yyyy-mm`); 0 when none. */
  pagesIn(month: string): Promise<number>;
}

/** `yyyy-mm` of a date in UTC (the month Document AI bills in). */
export function usageMonth(at: Date): string {
  return at.toISOString().slice(0, 7);
}

export interface FirestoreUsageCounterOptions {
  /** Collection of `{yyyy-mm}` documents; default `usage`. */
  collection?: string;
}

/**
 * {@link UsageCounter} on Firestore: `usage/{yyyy-mm}` with `pages` incremented atomically by
 * `FieldValue.increment` (no transaction, so concurrent instances never contend on a read).
 * @throws RangeError from addPages for a negative or fractional page count.
 */
export function createFirestoreUsageCounter(db: Firestore, options: FirestoreUsageCounterOptions = {}): UsageCounter {
  const usage = db.collection(options.collection ?? 'usage');
  return {
    async addPages(pages, at) {
      if (!Number.isInteger(pages) || pages < 0) throw new RangeError('pages must be a non-negative integer');
      if (pages === 0) return;
      await usage
        .doc(usageMonth(at))
        .set({ pages: FieldValue.increment(pages), updatedAt: Timestamp.fromDate(at) }, { merge: true });
    },
    async pagesIn(month) {
      if (!/^\d{4}-\d{2}$/.test(month)) throw new RangeError('month must be yyyy-mm');
      const snap = await usage.doc(month).get();
      const pages = snap.get('pages') as unknown;
      return typeof pages === 'number' ? pages : 0;
    },
  };
}

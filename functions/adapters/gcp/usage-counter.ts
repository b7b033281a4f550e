/**
 * Monthly page usage of the OCR service (cost control) on Firestore.
 */
import { FieldValue, Timestamp, type Firestore } from '@google-cloud/firestore';
import { usageMonth, type UsageCounter } from '../../core/ports.js';

export { usageMonth, type UsageCounter };

export interface FirestoreUsageCounterOptions {
  /** Collection of the counter shards; default `usage`. */
  collection?: string;
  /** Shards per month; default 16. */
  shards?: number;
  /** Picks a shard (tests); default random. */
  random?: () => number;
}

const MONTH = /^\d{4}-\d{2}$/;

/**
 * {@link UsageCounter} on Firestore as a sharded counter: documents `usage/{yyyy-mm}_{shard}` holding
 * `{ month, pages }`, each increment an atomic `FieldValue.increment` on one random shard (no transaction, no
 * read). Firestore sustains about one write per second on one document; every OCR'd document is one
 * increment and the Document AI quota allows ten calls per second across the project, so the month is spread
 * over 16 documents (well under one write per second each). A month's total is the sum of its shards.
 * @throws RangeError from addPages for a negative or fractional page count, from pagesIn for a bad month.
 */
export function createFirestoreUsageCounter(db: Firestore, options: FirestoreUsageCounterOptions = {}): UsageCounter {
  const usage = db.collection(options.collection ?? 'usage');
  const shards = Math.max(1, Math.floor(options.shards ?? 16));
  const random = options.random ?? Math.random;
  return {
    async addPages(pages, at) {
      if (!Number.isInteger(pages) || pages < 0) throw new RangeError('pages must be a non-negative integer');
      if (pages === 0) return;
      const month = usageMonth(at);
      const shard = Math.min(shards - 1, Math.floor(random() * shards));
      await usage
        .doc(`${month}_${String(shard).padStart(2, '0')}`)
        .set({ month, pages: FieldValue.increment(pages), updatedAt: Timestamp.fromDate(at) }, { merge: true });
    },
    async pagesIn(month) {
      if (!MONTH.test(month)) throw new RangeError('month must be yyyy-mm');
      const snap = await usage.where('month', '==', month).get();
      return snap.docs.reduce((sum, d) => sum + pagesOf(d.get('pages')), 0);
    },
    async months() {
      const totals = new Map<string, number>();
      for (const d of (await usage.get()).docs) {
        const month = d.get('month') as unknown;
        if (typeof month === 'string' && MONTH.test(month)) totals.set(month, (totals.get(month) ?? 0) + pagesOf(d.get('pages')));
      }
      return [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([month, pages]) => ({ month, pages }));
    },
  };
}

function pagesOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

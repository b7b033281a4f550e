import { usageMonth, type UsageCounter } from '../../../core/ports.js';
import type { SqliteDatabase } from './database.js';

const MONTH = /^\d{4}-\d{2}$/;

/**
 * {@link UsageCounter} on the embedded database: pages the local OCR engine read, one row per month (table
 * `ocr_usage`, created on first use). An UPSERT per document, so counting never reads before it writes.
 */
export class SqliteUsageCounter implements UsageCounter {
  constructor(private readonly db: SqliteDatabase) {
    db.connection.exec('CREATE TABLE IF NOT EXISTS ocr_usage (month TEXT PRIMARY KEY, pages INTEGER NOT NULL)');
  }

  async addPages(pages: number, at: Date): Promise<void> {
    if (!Number.isInteger(pages) || pages < 0) throw new RangeError('pages must be a non-negative integer');
    if (pages === 0) return;
    this.db
      .statement('INSERT INTO ocr_usage (month, pages) VALUES (?, ?) ON CONFLICT (month) DO UPDATE SET pages = pages + excluded.pages')
      .run(usageMonth(at), pages);
  }

  async pagesIn(month: string): Promise<number> {
    if (!MONTH.test(month)) throw new RangeError('month must be yyyy-mm');
    const row = this.db.statement('SELECT pages FROM ocr_usage WHERE month = ?').get(month) as { pages: number } | undefined;
    return row?.pages ?? 0;
  }

  async months(): Promise<Array<{ month: string; pages: number }>> {
    return this.db.statement('SELECT month, pages FROM ocr_usage ORDER BY month').all() as Array<{ month: string; pages: number }>;
  }
}

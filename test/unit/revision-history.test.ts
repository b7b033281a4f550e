import { describe, expect, it } from 'vitest';
import { InvoiceHistoryEntrySchema, nextRevision } from '../../functions/core/invoice/history.js';
import { makeRecord } from '../contracts/invoice-records.js';

describe('nextRevision', () => {
  const record = {
    ...makeRecord({ id: 'h1', at: 1, status: 'SCORED', decision: 'REVIEW', reasons: ['LOW_FIELD_CONFIDENCE'], total: 12.5, currency: 'EUR', date: '2025-01-02' }),
    ocrUri: 'artifacts/ocr/h1.json', features: { f1: 1, f2: null }, featureSchemaVersion: 'v-test', supplierKey: 'vat:DE1',
  };

  it('builds the history entry the schema would (without parsing the stored record again) and the next revision', () => {
    const { entry, next } = nextRevision(record, { from: 'OCR_DONE', reason: 'reprocess [job j]', expectedRevision: 1 }, '2025-06-01T00:00:00.000Z');
    expect(entry).toEqual(InvoiceHistoryEntrySchema.parse({ ...record, supersededAt: '2025-06-01T00:00:00.000Z', reason: 'reprocess [job j]' }));
    expect(Object.keys(entry)).not.toContain('ocrUri');
    expect(next).toMatchObject({ revision: 2, status: 'OCR_DONE', ocrUri: 'artifacts/ocr/h1.json', supplierKey: 'vat:DE1', updatedAt: '2025-06-01T00:00:00.000Z' });
    expect(next.decision).toBeUndefined();
    expect(next.invoice).toBeUndefined();
  });

  it('refuses an empty or overlong reason', () => {
    for (const reason of ['', 'x'.repeat(501)]) {
      expect(() => nextRevision(record, { from: 'OCR_DONE', reason, expectedRevision: 1 }, '2025-06-01T00:00:00.000Z')).toThrow();
    }
  });
});

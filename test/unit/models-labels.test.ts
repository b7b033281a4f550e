import { describe, expect, it } from 'vitest';
import type { InvoiceRecord } from '../../functions/core/invoice/record.js';
import type { ManifestEntry } from '../../functions/generator/index.js';
import { deriveLabels, fieldCorrect, valueMatches } from '../../functions/training/labels.js';

const field = (value: string | number, source: 'layout' | 'derived' = 'layout') => ({ value, confidence: 0.9, source }) as never;

function record(fields: Record<string, unknown>, failedErrors: string[] = []): InvoiceRecord {
  return {
    invoiceId: 'i1', status: 'SCORED', revision: 1, source: { bucket: 'inbox', name: 'd.pdf', generation: '1' }, fileName: 'd.pdf',
    invoice: { documentType: 'invoice', fields: fields as never, line_items: [], vat: [], extraction: { method: 'ocr', warnings: [] } },
    validations: failedErrors.map((code) => ({ code, severity: 'error' as const, passed: false, message: 'x', fields: [], details: {} })),
    features: { ocr_conf_mean: 1 }, timings: {}, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z',
  };
}

const TRUTH = {
  invoice_id: 'INV-2025-001', invoice_date: '2025-03-01', supplier_name: 'Muster Technik GmbH', receiver_name: 'R',
  currency: 'EUR', net_amount: 100, total_tax_amount: 19, total_amount: 119,
};
function entry(truth: Partial<typeof TRUTH> = {}, problems: ManifestEntry['problems'] = []): ManifestEntry {
  return {
    file: 'd.pdf', kind: 'born-digital', mimeType: 'application/pdf', sizeBytes: 1, sha256: '0'.repeat(64), problems,
    truth: { documentType: 'invoice', fields: { ...TRUTH, ...truth } as never, supplier_address: [], receiver_address: [], line_items: [], vat: [], printed: {} },
  };
}
const GOOD = {
  invoice_id: field('INV 2025 001'), invoice_date: field('2025-03-01'), supplier_name: field('MUSTER TECHNIK'),
  currency: field('EUR'), net_amount: field(100), total_tax_amount: field(19), total_amount: field(119.001),
};

describe('label derivation', () => {
  it('a correct extraction of a clean invoice: quality 1, failure 0', () => {
    expect(deriveLabels(record(GOOD), entry())).toMatchObject({ quality: 1, failure: 0, reasons: [], source: 'truth' });
  });

  it('a wrong total: quality 0 and failure 1 (wrong amount)', () => {
    const l = deriveLabels(record({ ...GOOD, total_amount: field(191) }), entry())!;
    expect(l.quality).toBe(0);
    expect(l.failure).toBe(1);
    expect(l.reasons).toEqual(expect.arrayContaining(['wrong:total_amount', 'wrong-amount:total_amount']));
  });

  it('a missing required field is a failure and a quality miss', () => {
    const { invoice_id: _, ...rest } = GOOD;
    const l = deriveLabels(record(rest), entry())!;
    expect(l).toMatchObject({ quality: 0, failure: 1 });
    expect(l.reasons).toContain('missing:invoice_id');
  });

  it('an injected blocking problem is a failure even when extraction is perfect', () => {
    const l = deriveLabels(record(GOOD), entry({}, [{ type: 'invalid-iban', details: {} }]))!;
    expect(l).toMatchObject({ quality: 1, failure: 1 });
    expect(deriveLabels(record(GOOD), entry({}, [{ type: 'near-duplicate', details: {} }]))!.failure).toBe(0);
  });

  it('a failed error validation on the record is a failure', () => {
    expect(deriveLabels(record(GOOD, ['ARITH_NET_TAX_TOTAL']), entry())!.failure).toBe(1);
  });

  it('a field the document omits: absent or derived is correct, read from the page is wrong', () => {
    expect(fieldCorrect('total_amount', undefined, undefined)).toBe(true);
    expect(fieldCorrect('total_amount', field(119, 'derived'), undefined)).toBe(true);
    expect(fieldCorrect('total_amount', field(119), undefined)).toBe(false);
  });

  it('a reviewed decision takes precedence', () => {
    const l = deriveLabels(record(GOOD), entry(), { failure: true })!;
    expect(l).toMatchObject({ quality: 1, failure: 1, source: 'review' });
  });

  it('nothing to learn from a bad file or a record without features', () => {
    const bad = { ...entry(), truth: undefined };
    expect(deriveLabels(record(GOOD), bad)).toBeNull();
    expect(deriveLabels({ ...record(GOOD), features: undefined }, entry())).toBeNull();
  });

  it('comparison rules', () => {
    expect(valueMatches('invoice_id', '# inv-1', 'INV1')).toBe(true);
    expect(valueMatches('total_amount', 10.004, 10)).toBe(true);
    expect(valueMatches('total_amount', 10.01, 10)).toBe(false);
    expect(valueMatches('supplier_name', 'Lieferant GmbH', 'Lieferant')).toBe(true);
    expect(valueMatches('supplier_name', 'Other SA', 'Lieferant')).toBe(false);
    expect(valueMatches('invoice_date', '2025-03-02', '2025-03-01')).toBe(false);
  });
});

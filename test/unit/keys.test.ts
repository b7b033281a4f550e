import { describe, expect, it } from 'vitest';
import { emptyInvoice, type Invoice } from '../../functions/core/invoice/invoice.js';
import {
  businessKey,
  nearDuplicateQuery,
  nearDuplicateWindow,
  normalizeInvoiceNumber,
  normalizeSupplierName,
  supplierKey,
} from '../../functions/core/invoice/keys.js';

function invoice(fields: Record<string, string | number>): Invoice {
  const inv = emptyInvoice('ocr');
  for (const [name, value] of Object.entries(fields)) {
    (inv.fields as Record<string, unknown>)[name] = { value, confidence: 0.9, source: 'layout' };
  }
  return inv;
}

describe('normalizeSupplierName', () => {
  it.each([
    ['ACME GmbH', 'acme'],
    ['Acme GmbH & Co. KG', 'acme'],
    ['  acme   gmbh ', 'acme'],
    ['Société Générale S.A.', 'societe generale'],
    ['Müller-Lüdenscheidt S.A.R.L.', 'muller ludenscheidt'],
    ['Amazon Web Services, Inc.', 'amazon web services'],
    ['Coolblue B.V.', 'coolblue'],
    ['Widgets Ltd', 'widgets'],
    ['Widgets LLC', 'widgets'],
    ['SAS Institute', 'sas institute'],
    ['Straße AG', 'strasse'],
    ['AG', 'ag'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeSupplierName(raw)).toBe(expected);
  });
});

describe('keys', () => {
  it('prefers the VAT id, normalized, over the name', () => {
    expect(supplierKey(invoice({ supplier_tax_id: 'de 136.695.976', supplier_name: 'ACME GmbH' }))).toBe('vat:DE136695976');
    expect(supplierKey(invoice({ supplier_name: 'ACME GmbH' }))).toBe('name:acme');
    expect(supplierKey(invoice({ supplier_tax_id: 'D', supplier_name: 'Acme AG' }))).toBe('name:acme');
    expect(supplierKey(invoice({}))).toBeUndefined();
    expect(supplierKey(invoice({ supplier_tax_id: 'CHE-116.281.710 MWST' }))).toBe(supplierKey(invoice({ supplier_tax_id: 'CHE116281710' })));
  });

  it('builds the business key from supplier and invoice number', () => {
    expect(normalizeInvoiceNumber('inv-2024/0042')).toBe('INV20240042');
    const a = invoice({ supplier_name: 'ACME GmbH', invoice_id: 'INV-2024/0042' });
    const b = invoice({ supplier_name: 'Acme gmbh.', invoice_id: 'inv 2024 0042' });
    expect(businessKey(a)).toBe('name:acme|INV20240042');
    expect(businessKey(b)).toBe(businessKey(a));
    expect(businessKey(invoice({ supplier_name: 'Acme' }))).toBeUndefined();
    expect(businessKey(invoice({ invoice_id: '42' }))).toBeUndefined();
    expect(businessKey(invoice({ supplier_name: 'Acme', invoice_id: '--' }))).toBeUndefined();
  });

  it('computes the near-duplicate window (1 %, 30 days by default)', () => {
    const w = nearDuplicateWindow(invoice({ total_amount: 1000, invoice_date: '2024-03-15' }));
    expect(w).toEqual({ minAmount: 990, maxAmount: 1010, dateFrom: '2024-02-14', dateTo: '2024-04-14' });
    const credit = nearDuplicateWindow(invoice({ total_amount: -200, invoice_date: '2024-01-01' }), { windowDays: 7, amountTolerance: 0.05 });
    expect(credit).toEqual({ minAmount: -210, maxAmount: -190, dateFrom: '2023-12-25', dateTo: '2024-01-08' });
    expect(nearDuplicateWindow(invoice({ total_amount: 10 }))).toBeUndefined();
    expect(() => nearDuplicateWindow(invoice({}), { windowDays: -1 })).toThrow(RangeError);
  });

  it('builds the NearDuplicateQuery', () => {
    const inv = invoice({ supplier_name: 'Acme', total_amount: 100, invoice_date: '2024-03-15', currency: 'EUR' });
    expect(nearDuplicateQuery(inv, 'inv-1')).toEqual({
      supplierKey: 'name:acme',
      currency: 'EUR',
      minAmount: 99,
      maxAmount: 101,
      dateFrom: '2024-02-14',
      dateTo: '2024-04-14',
      excludeInvoiceId: 'inv-1',
    });
    expect(nearDuplicateQuery(invoice({ total_amount: 100, invoice_date: '2024-03-15' }), 'x')).toBeUndefined();
  });
});

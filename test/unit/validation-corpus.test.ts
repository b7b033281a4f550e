import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Invoice } from '../../functions/core/invoice/invoice.js';
import { ValidationCodes as C } from '../../functions/core/validation/codes.js';
import { validateInvoice } from '../../functions/core/validation/validate.js';

const DATA = process.env.LEDGERX_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const LABELS = path.join(DATA, 'zugferd-dev/labels.json');

interface Entry {
  file: string;
  labels?: {
    invoice_number?: string; type_code?: string; issue_date?: string; currency?: string; total_gross?: number;
    amount_due?: number; total_net?: number; total_tax?: number; seller_name?: string; seller_vat_id?: string;
  };
}

const f = <T>(value: T | undefined) => (value === undefined || value === null || value === '' ? undefined : { value, confidence: 1, source: 'einvoice' as const });

/** The ground truth of a real e-invoice as an extracted invoice (what a perfect extractor would produce). */
function fromLabels(e: Entry): Invoice {
  const l = e.labels ?? {};
  return {
    documentType: l.type_code === '381' ? 'credit_note' : 'invoice',
    fields: {
      invoice_id: f(l.invoice_number), invoice_date: f(l.issue_date), currency: f(l.currency), supplier_name: f(l.seller_name),
      supplier_tax_id: f(l.seller_vat_id), total_amount: f(l.total_gross), amount_due: f(l.amount_due), net_amount: f(l.total_net),
      total_tax_amount: f(l.total_tax),
    },
    line_items: [],
    vat: [],
    extraction: { method: 'einvoice', warnings: [] },
  };
}

describe.skipIf(!existsSync(LABELS))('validations on real e-invoices (zugferd-dev ground truth)', () => {
  const entries = existsSync(LABELS) ? (JSON.parse(readFileSync(LABELS, 'utf8')) as Entry[]) : [];
  const results = entries
    .filter((e) => e.labels?.issue_date !== undefined)
    .map((e) => ({ e, r: validateInvoice(fromLabels(e), { now: new Date(`${e.labels!.issue_date}T12:00:00Z`), duplicates: {} }) }));
  const outcome = (code: string) => {
    const rs = results.map(({ r }) => r.find((x) => x.code === code)!);
    return { ran: rs.filter((x) => x.details.skipped !== true).length, failed: rs.filter((x) => !x.passed).length };
  };

  it('finds net + tax = total on every real invoice that states all three', () => {
    const o = outcome(C.netTaxTotal);
    expect(o.ran).toBeGreaterThanOrEqual(30);
    expect(o.failed).toBe(0);
  });

  it('accepts every real currency code and date', () => {
    expect(outcome(C.currencyCode)).toMatchObject({ failed: 0 });
    expect(outcome(C.dateNotFuture).failed).toBe(0);
  });

  it('warns exactly on the invoices whose amount due exceeds the total (carried-over balances)', () => {
    const flagged = results.filter(({ r }) => !r.find((x) => x.code === C.amountDue)!.passed).map(({ e }) => e.file);
    const expected = results
      .filter(({ e }) => Math.abs(e.labels!.amount_due ?? 0) > Math.abs(e.labels!.total_gross ?? 0) + 0.02)
      .map(({ e }) => e.file);
    expect(expected.length).toBeGreaterThan(0);
    expect(flagged).toEqual(expected);
  });

  it('checks the sellers\' VAT ids (sample data uses some made-up ids, which must be caught)', () => {
    const o = outcome(C.supplierVatId);
    expect(o.ran).toBeGreaterThanOrEqual(20);
    const rejected = results.filter(({ r }) => !r.find((x) => x.code === C.supplierVatId)!.passed).map(({ e }) => e.labels?.seller_vat_id);
    // Every rejected id really fails its country's check digits (independent check for DE: ISO 7064 mod 11,10).
    for (const id of rejected.filter((x): x is string => x?.startsWith('DE') === true)) expect(germanCheckDigitOk(id)).toBe(false);
  });
});

/** German USt-IdNr check digit (ISO 7064 MOD 11,10), written out as an independent oracle for the test. */
function germanCheckDigitOk(id: string): boolean {
  const digits = id.replace(/^DE/, '').replace(/\D/g, '');
  if (digits.length !== 9) return false;
  let product = 10;
  for (let i = 0; i < 8; i++) {
    let sum = (Number(digits[i]) + product) % 10;
    if (sum === 0) sum = 10;
    product = (2 * sum) % 11;
  }
  const check = (11 - product) % 10;
  return check === Number(digits[8]);
}

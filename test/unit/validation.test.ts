import { describe, expect, it } from 'vitest';
import type { Invoice } from '../../functions/core/invoice/invoice.js';
import type { InvoiceSummary } from '../../functions/core/ports.js';
import { isSkipped } from '../../functions/core/validation/check.js';
import { ValidationCodes as C } from '../../functions/core/validation/codes.js';
import { ValidationConfigSchema, type DuplicateCandidates, type ValidationContext } from '../../functions/core/validation/config.js';
import { parsePaymentTerms } from '../../functions/core/validation/payment-terms.js';
import type { ValidationResult } from '../../functions/core/validation/result.js';
import { validateInvoice } from '../../functions/core/validation/validate.js';

const NOW = new Date('2024-03-05T10:00:00Z');

function f<T>(value: T, raw?: string) {
  return { value, confidence: 0.95, source: 'layout' as const, ...(raw === undefined ? {} : { raw }) };
}

/** A consistent German invoice: 60 + 40 net, 19 % VAT, 30 days. */
function cleanInvoice(): Invoice {
  return {
    documentType: 'invoice',
    fields: {
      invoice_id: f('RE-2024-0042'),
      invoice_date: f('2024-03-01'),
      due_date: f('2024-03-31'),
      supplier_name: f('Muster GmbH'),
      supplier_tax_id: f('DE136695976'),
      supplier_iban: f('DE89 3704 0044 0532 0130 00'),
      receiver_tax_id: f('ATU13585627'),
      currency: f('EUR'),
      net_amount: f(100, '100,00 €'),
      total_tax_amount: f(19, '19,00 €'),
      total_amount: f(119, '119,00 EUR'),
      amount_due: f(119),
      payment_terms: f('Zahlbar innerhalb 30 Tagen netto'),
    },
    line_items: [
      { description: f('Widget'), quantity: f(2), unit_price: f(30), amount: f(60, '60,00') },
      { description: f('Gadget'), quantity: f(1), unit_price: f(40), amount: f(40, '40,00') },
    ],
    vat: [{ tax_rate: f(19), amount: f(100), tax_amount: f(19) }],
    extraction: { method: 'ocr', warnings: [] },
  };
}

const summary = (invoiceId: string, status: InvoiceSummary['status'] = 'SCORED'): InvoiceSummary => ({
  invoiceId,
  fileName: 'x.pdf',
  status,
  createdAt: '2024-03-01T00:00:00Z',
});

function ctx(extra: Partial<ValidationContext> & DuplicateCandidates = {}): ValidationContext {
  const { byContentHash = [], byBusinessKey = [], nearDuplicates = [], ...rest } = extra;
  return { now: NOW, duplicates: { byContentHash, byBusinessKey, nearDuplicates }, ...rest };
}

const byCode = (results: ValidationResult[], code: string) => {
  const r = results.find((x) => x.code === code);
  if (!r) throw new Error(`no result ${code}`);
  return r;
};
const failedCodes = (results: ValidationResult[]) => results.filter((r) => !r.passed).map((r) => r.code).sort();

describe('validateInvoice', () => {
  it('passes a clean invoice on every check, none skipped', () => {
    const results = validateInvoice(cleanInvoice(), ctx());
    expect(failedCodes(results)).toEqual([]);
    expect(results.filter(isSkipped).map((r) => r.code)).toEqual([]);
    expect(new Set(results.map((r) => r.code))).toEqual(new Set(Object.values(C)));
  });

  type Case = [name: string, mutate: (inv: Invoice) => void, failing: string[], severity?: ValidationResult['severity']];
  const cases: Case[] = [
    ['missing invoice_id and currency', (i) => { delete i.fields.invoice_id; delete i.fields.currency; }, [C.requiredFields]],
    ['blank supplier_name', (i) => { i.fields.supplier_name = f('  '); }, [C.requiredFields]],
    ['total off by 1.00', (i) => { i.fields.total_amount = f(120, '120,00 EUR'); i.fields.amount_due = f(120); }, [C.netTaxTotal]],
    ['line amounts do not add up', (i) => { i.line_items[1]!.amount = f(45); }, [C.linesSumNet]],
    ['VAT lines disagree with total tax', (i) => { i.vat = [{ tax_rate: f(19), amount: f(100), tax_amount: f(18) }]; }, [C.vatLinesTax, C.vatLineRate]],
    ['tax != base x rate', (i) => { i.vat = [{ tax_rate: f(7), amount: f(100), tax_amount: f(19) }]; }, [C.vatLineRate]],
    ['amount due above total', (i) => { i.fields.amount_due = f(150); }, [C.amountDue]],
    ['invoice dated 10 days ahead', (i) => { i.fields.invoice_date = f('2024-03-15'); i.fields.due_date = f('2024-04-14'); }, [C.dateNotFuture]],
    ['due before invoice date', (i) => { i.fields.due_date = f('2024-02-20'); }, [C.dueAfterInvoice, C.paymentTerms]],
    ['invoice from 1999', (i) => { i.fields.invoice_date = f('1999-03-01'); i.fields.due_date = f('1999-03-31'); }, [C.datePlausible]],
    ['invoice older than 5 years', (i) => { i.fields.invoice_date = f('2018-03-01'); i.fields.due_date = f('2018-03-31'); }, [C.datePlausible]],
    ['due date 14 days off the terms', (i) => { i.fields.due_date = f('2024-03-15'); }, [C.paymentTerms]],
    ['supplier VAT id with wrong check digit', (i) => { i.fields.supplier_tax_id = f('DE136695977'); }, [C.supplierVatId], 'error'],
    ['receiver VAT id malformed', (i) => { i.fields.receiver_tax_id = f('ATU1358'); }, [C.receiverVatId], 'warning'],
    ['IBAN with wrong check digits', (i) => { i.fields.supplier_iban = f('DE89370400440532013001'); }, [C.iban], 'error'],
    ['currency not ISO 4217', (i) => { i.fields.currency = f('EUX'); }, [C.currencyCode, C.currencyConsistent]],
    ['amounts printed in dollars', (i) => { i.fields.total_amount = f(119, '$119.00'); }, [C.currencyConsistent], 'warning'],
  ];
  it.each(cases)('%s', (_name, mutate, failing, severity) => {
    const inv = cleanInvoice();
    mutate(inv);
    const results = validateInvoice(inv, ctx());
    expect(failedCodes(results)).toEqual([...failing].sort());
    if (severity) for (const code of failing) expect(byCode(results, code).severity).toBe(severity);
  });

  it('reports missing inputs as skipped info, not as passed checks', () => {
    const inv = cleanInvoice();
    inv.line_items = [];
    inv.vat = [];
    delete inv.fields.total_tax_amount;
    delete inv.fields.payment_terms;
    delete inv.fields.supplier_iban;
    inv.fields.supplier_tax_id = f('US12-3456789');
    const results = validateInvoice(inv, { now: NOW });
    const skippedCodes = results.filter(isSkipped).map((r) => r.code).sort();
    expect(skippedCodes).toEqual(
      [C.linesSumNet, C.netTaxTotal, C.vatLinesTax, C.vatLineRate, C.paymentTerms, C.supplierVatId, C.iban, C.dupContentHash, C.dupBusinessKey, C.dupNear].sort(),
    );
    for (const r of results.filter(isSkipped)) {
      expect(r.severity).toBe('info');
      expect(typeof r.details.reason).toBe('string');
    }
  });

  it('accepts gross line amounts (lines = total)', () => {
    const inv = cleanInvoice();
    inv.line_items = [{ amount: f(71.4) }, { amount: f(47.6) }];
    const r = byCode(validateInvoice(inv, ctx()), C.linesSumNet);
    expect(r.passed).toBe(true);
    expect(r.details.linesAreGross).toBe(true);
  });

  it('uses max(0.02, 0.5 %) as arithmetic tolerance', () => {
    const within = cleanInvoice();
    within.fields.total_amount = f(10_050);
    within.fields.net_amount = f(8_400);
    within.fields.total_tax_amount = f(1_600);
    within.line_items = [];
    within.vat = [];
    within.fields.amount_due = f(10_050);
    // 50.00 off on 10,050: 0.5 % is 50.25 -> within
    expect(byCode(validateInvoice(within, ctx()), C.netTaxTotal).passed).toBe(true);
    within.fields.total_amount = f(10_060);
    expect(byCode(validateInvoice(within, ctx()), C.netTaxTotal).passed).toBe(false);
    const small = cleanInvoice();
    small.line_items = [];
    small.vat = [];
    small.fields.net_amount = f(1);
    small.fields.total_tax_amount = f(0.19);
    small.fields.amount_due = f(1.19);
    small.fields.total_amount = f(1.21);
    expect(byCode(validateInvoice(small, ctx()), C.netTaxTotal).passed).toBe(true);
    small.fields.total_amount = f(1.22);
    expect(byCode(validateInvoice(small, ctx()), C.netTaxTotal).passed).toBe(false);
  });

  it('handles credit notes with signed and unsigned amounts', () => {
    const inv = cleanInvoice();
    inv.documentType = 'credit_note';
    inv.fields.total_amount = f(-119);
    inv.fields.net_amount = f(-100);
    inv.fields.total_tax_amount = f(-19);
    inv.fields.amount_due = f(-119);
    // lines printed unsigned, VAT line signed
    inv.vat = [{ tax_rate: f(19), amount: f(-100), tax_amount: f(-19) }];
    expect(failedCodes(validateInvoice(inv, ctx()))).toEqual([]);
    const disguised = cleanInvoice();
    disguised.fields.total_amount = f(-119);
    disguised.fields.net_amount = f(-100);
    disguised.fields.total_tax_amount = f(-19);
    expect(failedCodes(validateInvoice(disguised, ctx()))).toEqual([C.creditNoteSign]);
  });

  it('grants one day of grace for the invoice date', () => {
    const inv = cleanInvoice();
    inv.fields.invoice_date = f('2024-03-06');
    inv.fields.due_date = f('2024-04-05');
    expect(byCode(validateInvoice(inv, ctx()), C.dateNotFuture).passed).toBe(true);
    inv.fields.invoice_date = f('2024-03-07');
    expect(byCode(validateInvoice(inv, ctx()), C.dateNotFuture).passed).toBe(false);
  });

  it('flags duplicates: exact and business as errors, near as a warning, ignoring failed uploads', () => {
    const results = validateInvoice(
      cleanInvoice(),
      ctx({
        byContentHash: [summary('a'), summary('z', 'FAILED')],
        byBusinessKey: [summary('a'), summary('b')],
        nearDuplicates: [summary('b'), summary('c'), summary('d', 'REJECTED')],
      }),
    );
    expect(byCode(results, C.dupContentHash)).toMatchObject({ passed: false, severity: 'error', details: { matches: 1 } });
    expect(byCode(results, C.dupBusinessKey)).toMatchObject({ passed: false, severity: 'error', details: { matches: 2 } });
    expect(byCode(results, C.dupNear)).toMatchObject({ passed: false, severity: 'warning', details: { matches: 1 } });
    const retry = validateInvoice(cleanInvoice(), ctx({ byContentHash: [summary('z', 'FAILED')] }));
    expect(byCode(retry, C.dupContentHash).passed).toBe(true);
  });

  it('never puts invoice contents in messages or details', () => {
    const inv = cleanInvoice();
    inv.fields.supplier_iban = f('DE89370400440532013001');
    inv.fields.supplier_tax_id = f('DE136695977');
    inv.fields.total_amount = f(333.33, '$333.33');
    const text = JSON.stringify(validateInvoice(inv, ctx({ byContentHash: [summary('a')] })).map((r) => [r.message, r.details]));
    for (const secret of ['Muster', 'RE-2024', '136695977', '0532013001', '333.33', '2024-03-01']) expect(text).not.toContain(secret);
  });

  it('validates its config with zod and fills defaults', () => {
    expect(ValidationConfigSchema.parse({}).arithmetic).toEqual({ absTolerance: 0.02, relTolerance: 0.005 });
    expect(ValidationConfigSchema.parse({ dates: { maxAgeYears: 2 } }).dates.futureGraceDays).toBe(1);
    expect(() => validateInvoice(cleanInvoice(), ctx({ config: { arithmetic: { absTolerance: -1 } } }))).toThrow();
    const strict = validateInvoice(cleanInvoice(), ctx({ config: { requiredFields: ['purchase_order'] } }));
    expect(byCode(strict, C.requiredFields)).toMatchObject({ passed: false, fields: ['purchase_order'] });
  });
});

describe('parsePaymentTerms', () => {
  it.each([
    ['Net 30', 30, false],
    ['payable within 14 days', 14, false],
    ['Zahlbar innerhalb 10 Tagen mit 2 % Skonto, 30 Tage netto', 30, false],
    ['à 45 jours fin de mois', 45, true],
    ['Due on receipt', 0, false],
    ['sofort ohne Abzug', 0, false],
  ])('%s -> %d days', (text, days, endOfMonth) => {
    expect(parsePaymentTerms(text)).toEqual({ days, endOfMonth });
  });
  it('returns undefined when no term is readable', () => {
    expect(parsePaymentTerms('Bank transfer to the account below')).toBeUndefined();
  });
});

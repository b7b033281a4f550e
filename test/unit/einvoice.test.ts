import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findEInvoiceXml, parseEInvoice } from '../../functions/core/einvoice/index.js';
import { PermanentError } from '../../functions/core/errors.js';
import { InvoiceSchema, type Invoice } from '../../functions/core/invoice/invoice.js';
import type { EmbeddedFile } from '../../functions/core/ocr-document.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/einvoice');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

/** The values of an invoice's header fields, for compact assertions. */
function values(inv: Invoice): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inv.fields).map(([k, f]) => [k, f?.value]));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PermanentError);
    return (err as PermanentError).code;
  }
  throw new Error('expected a PermanentError');
}

describe('parseEInvoice: CII D16B (Factur-X / ZUGFeRD 2 / XRechnung CII)', () => {
  const inv = parseEInvoice(fixture('cii-d16b-invoice.xml'));

  it('maps every header field exactly, with source einvoice and confidence 1', () => {
    expect(values(inv)).toEqual({
      invoice_id: 'FX-2024-0042',
      invoice_date: '2024-02-29',
      due_date: '2024-03-30',
      supplier_name: 'Fournisseur élégant SARL',
      supplier_tax_id: 'FR40303265045',
      supplier_iban: 'FR7630006000011234567890189',
      receiver_name: 'Käufer GmbH',
      receiver_tax_id: 'DE123456789',
      currency: 'EUR',
      net_amount: 123.75,
      total_tax_amount: 24.75, // the EUR total, not the USD tax-currency total listed first
      total_amount: 148.5,
      amount_due: 148.5,
      payment_terms: 'Net 30 days',
      purchase_order: 'PO-998',
    });
    for (const field of Object.values(inv.fields)) expect(field).toMatchObject({ source: 'einvoice', confidence: 1 });
    expect(inv.fields.total_amount?.raw).toBe('148.50');
    expect(inv).toMatchObject({ documentType: 'invoice', extraction: { method: 'einvoice', format: 'CII' } });
    expect(InvoiceSchema.safeParse(inv).success).toBe(true);
  });

  it('keeps line amounts as written (no rounding) and reads CDATA literally', () => {
    expect(inv.line_items).toHaveLength(2);
    expect(inv.line_items[0]).toMatchObject({
      description: { value: 'Widget & bolt set' },
      quantity: { value: 3 },
      unit_price: { value: 0.1, raw: '0.1' },
      amount: { value: 0.3, raw: '0.30' },
      product_code: { value: 'WID-7' },
    });
    expect(inv.line_items[1]).toMatchObject({
      description: { value: 'Service <premium> & support' },
      unit_price: { value: 1234.5678 },
      amount: { value: 123.45 },
    });
    expect(inv.extraction.warnings).toContain('line_items[1].unit_price: price is per a basis quantity other than 1');
  });

  it('maps the VAT breakdown', () => {
    expect(inv.vat).toEqual([
      {
        tax_rate: { value: 20, confidence: 1, source: 'einvoice', raw: '20' },
        tax_amount: { value: 24.75, confidence: 1, source: 'einvoice', raw: '24.75' },
        amount: { value: 123.75, confidence: 1, source: 'einvoice', raw: '123.75' },
        category_code: { value: 'S', confidence: 1, source: 'einvoice', raw: 'S' },
      },
    ]);
  });

  it('reads a 381 credit note with a default namespace (no prefixes)', () => {
    const cn = parseEInvoice(fixture('cii-d16b-credit-note.xml'));
    expect(cn.documentType).toBe('credit_note');
    expect(values(cn)).toMatchObject({ invoice_id: 'CN-7', currency: 'GBP', total_amount: 120, total_tax_amount: 20 });
  });
});

describe('parseEInvoice: ZUGFeRD 1.0', () => {
  it('maps the 1.0 element names and flags a tax number used for want of a VAT id', () => {
    const inv = parseEInvoice(fixture('zugferd-1p0-invoice.xml'));
    expect(inv.extraction.format).toBe('ZUGFeRD 1.0');
    expect(values(inv)).toEqual({
      invoice_id: 'Z1-100',
      invoice_date: '2013-08-05',
      due_date: '2013-08-19',
      supplier_name: 'Lieferant GmbH',
      supplier_tax_id: '201/113/40209',
      receiver_name: 'Kunden AG',
      currency: 'EUR',
      net_amount: 100,
      total_tax_amount: 19,
      total_amount: 119,
      amount_due: 119,
      payment_terms: 'Zahlbar in 14 Tagen',
      purchase_order: 'B-77',
    });
    expect(inv.extraction.warnings).toContain('supplier_tax_id: no VAT id, tax number used');
    expect(inv.line_items).toEqual([
      expect.objectContaining({
        description: expect.objectContaining({ value: 'Artikel' }),
        quantity: expect.objectContaining({ value: 4 }),
        unit_price: expect.objectContaining({ value: 25 }),
        amount: expect.objectContaining({ value: 100 }),
        product_code: expect.objectContaining({ value: 'A-1' }),
      }),
    ]);
    expect(inv.vat[0]).toMatchObject({ tax_rate: { value: 19 }, tax_amount: { value: 19 }, amount: { value: 100 } });
  });
});

describe('parseEInvoice: UBL 2.1', () => {
  it('maps an XRechnung UBL invoice, taking the tax total in the document currency', () => {
    const inv = parseEInvoice(fixture('ubl-invoice.xml'));
    expect(inv).toMatchObject({ documentType: 'invoice', extraction: { format: 'UBL' } });
    expect(values(inv)).toEqual({
      invoice_id: 'XR-2024-17',
      invoice_date: '2024-03-15',
      due_date: '2024-04-14',
      supplier_name: 'Muster Lieferant GmbH',
      supplier_tax_id: 'DE123456789',
      supplier_iban: 'DE75512108001245126199',
      receiver_name: 'Behörde & Amt',
      receiver_tax_id: 'ATU13585627',
      currency: 'EUR',
      net_amount: 143.4,
      total_tax_amount: 22.04,
      total_amount: 165.44,
      amount_due: 150,
      payment_terms: '30 days net',
      purchase_order: 'PO-4711',
    });
    expect(inv.line_items.map((l) => [l.description?.value, l.quantity?.value, l.unit_price?.value, l.amount?.value, l.product_code?.value])).toEqual([
      ['Consulting', 2.5, 40, 100, 'CONS-1'],
      ['Book', 7, 6.2, 43.4, '9783161484100'],
    ]);
    expect(inv.vat.map((v) => [v.tax_rate?.value, v.tax_amount?.value, v.amount?.value, v.category_code?.value])).toEqual([
      [19, 19, 100, 'S'],
      [7, 3.04, 43.4, 'S'],
    ]);
  });

  it('maps a UBL credit note (prefixed root, CreditNoteLine, due date from PaymentMeans)', () => {
    const inv = parseEInvoice(fixture('ubl-credit-note.xml'));
    expect(inv.documentType).toBe('credit_note');
    expect(values(inv)).toMatchObject({
      invoice_id: 'CN-2024-3',
      due_date: '2024-06-01',
      supplier_name: 'Nordic Supplies AS',
      supplier_tax_id: 'NO999999999MVA',
      receiver_name: 'Customer AB',
      currency: 'NOK',
      total_amount: 1250,
      amount_due: 1250,
    });
    expect(inv.line_items[0]).toMatchObject({ quantity: { value: 10 }, amount: { value: 1000 } });
  });
});

describe('parseEInvoice: refusals', () => {
  it.each([
    ['hostile/xxe-file.xml', 'XML_HOSTILE'],
    ['hostile/billion-laughs.xml', 'XML_HOSTILE'],
    ['hostile/parameter-entity.xml', 'XML_HOSTILE'],
    ['hostile/external-dtd.xml', 'XML_HOSTILE'],
    ['hostile/undeclared-entity.xml', 'XML_INVALID'],
    ['hostile/not-well-formed.xml', 'XML_INVALID'],
    ['not-an-invoice.xml', 'XML_UNSUPPORTED'],
  ])('%s -> %s', (name, code) => {
    expect(codeOf(() => parseEInvoice(fixture(name)))).toBe(code);
  });

  it('refuses oversized, empty, multi-root and deeply nested XML as XML_INVALID', () => {
    const ubl = fixture('ubl-invoice.xml');
    expect(codeOf(() => parseEInvoice(ubl, { maxChars: 1000 }))).toBe('XML_INVALID');
    expect(codeOf(() => parseEInvoice('   '))).toBe('XML_INVALID');
    expect(codeOf(() => parseEInvoice('<a/><b/>'))).toBe('XML_INVALID');
    expect(codeOf(() => parseEInvoice('<a>' + '<b>'.repeat(5000) + '</b>'.repeat(5000) + '</a>'))).toBe('XML_INVALID');
    expect(codeOf(() => parseEInvoice('<!-- never closed <CrossIndustryInvoice/>'))).toBe('XML_INVALID');
  });

  it('accepts a byte-order mark and DOCTYPE text inside comments', () => {
    const inv = parseEInvoice('\uFEFF' + fixture('cii-d16b-invoice.xml'));
    expect(inv.fields.invoice_id?.value).toBe('FX-2024-0042');
  });

  it('reads an invoice that carries a large embedded attachment, and still refuses one that is not well-formed inside it', () => {
    const attachment = (content: string) => `<a:AdditionalReferencedDocument><a:IssuerAssignedID>timesheet</a:IssuerAssignedID>`
      + `<a:AttachmentBinaryObject mimeCode="application/pdf" filename="a>b.pdf">${content}</a:AttachmentBinaryObject>`
      + `<a:AttachmentBinaryObject mimeCode="text/plain" filename="empty.txt"/></a:AdditionalReferencedDocument>`;
    const withAttachment = (content: string) => fixture('cii-d16b-invoice.xml')
      .replace('<a:BuyerOrderReferencedDocument>', `${attachment(content)}<a:BuyerOrderReferencedDocument>`);
    const plain = parseEInvoice(fixture('cii-d16b-invoice.xml'));
    const big = parseEInvoice(withAttachment('JVBERi0xLjQK'.repeat(200_000)));
    expect(values(big)).toEqual(values(plain));
    expect(codeOf(() => parseEInvoice(withAttachment('JVBER<i0xLjQK')))).toBe('XML_INVALID');
  });

  it('skips an unreadable amount or date with a warning instead of guessing', () => {
    const xml = fixture('cii-d16b-credit-note.xml')
      .replace('<GrandTotalAmount>120.00</GrandTotalAmount>', '<GrandTotalAmount>1,20</GrandTotalAmount>')
      .replace('format="102">20240105', 'format="610">202401');
    const inv = parseEInvoice(xml);
    expect(inv.fields.total_amount).toBeUndefined();
    expect(inv.fields.invoice_date).toBeUndefined();
    expect(inv.extraction.warnings).toEqual(
      expect.arrayContaining(['total_amount: not a decimal number', 'invoice_date: unsupported date format 610']),
    );
  });
});

describe('findEInvoiceXml', () => {
  const file = (name: string, content: string, mimeType = 'application/xml'): EmbeddedFile => ({ name, mimeType, content });
  const cii = fixture('cii-d16b-invoice.xml');
  const ubl = fixture('ubl-invoice.xml');

  it('prefers the standard attachment names, any case', () => {
    const other = file('notes.xml', ubl);
    expect(findEInvoiceXml([other, file('ZUGFeRD-invoice.xml', cii)])?.name).toBe('ZUGFeRD-invoice.xml');
    expect(findEInvoiceXml([file('xrechnung.xml', ubl), file('factur-x.xml', cii)])?.name).toBe('factur-x.xml');
    expect(findEInvoiceXml([file('dir/Factur-X.XML', cii)])?.name).toBe('dir/Factur-X.XML');
  });

  it('recognizes any XML whose root is a CII or UBL invoice', () => {
    expect(findEInvoiceXml([file('readme.txt', 'hello', 'text/plain'), file('invoice-123.xml', ubl)])?.name).toBe('invoice-123.xml');
    expect(findEInvoiceXml([file('a.xml', fixture('ubl-credit-note.xml'))])?.name).toBe('a.xml');
    expect(findEInvoiceXml([file('b.xml', fixture('zugferd-1p0-invoice.xml'))])?.name).toBe('b.xml');
    expect(findEInvoiceXml([file('c', cii, 'text/xml')])?.name).toBe('c');
  });

  it('returns null when nothing is an invoice', () => {
    expect(findEInvoiceXml([])).toBeNull();
    expect(findEInvoiceXml([file('order.xml', fixture('not-an-invoice.xml')), file('x.xml', 'not xml')])).toBeNull();
  });
});

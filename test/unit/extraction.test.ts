import { describe, expect, it } from 'vitest';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import { extractFromOcr } from '../../functions/core/extraction/index.js';
import { InvoiceSchema } from '../../functions/core/invoice/invoice.js';
import type { Entity, OcrDocument } from '../../functions/core/ocr-document.js';
import { syntheticDoc, type Placed } from '../fixtures/ocr/synthetic.js';

const doc = (items: Placed[], entities: Entity[] = []): OcrDocument => syntheticDoc(items, {}, entities);

const english: Placed[] = [
  ['Acme Supplies Ltd.', 40, 40], ['INVOICE', 420, 40],
  ['12 High Street, London', 40, 55],
  ['Invoice No:', 360, 100], ['INV-2024-0042', 460, 100],
  ['Invoice Date:', 360, 115], ['14/03/2024', 460, 115],
  ['Due Date:', 360, 130], ['13/04/2024', 460, 130],
  ['Bill To:', 40, 100], ['Globex Corporation', 40, 115],
  ['Description', 40, 200], ['Qty', 300, 200], ['Unit Price', 360, 200], ['Amount', 480, 200],
  ['Widgets', 40, 220], ['2', 300, 220], ['£50.00', 360, 220], ['£100.00', 480, 220],
  ['Gadgets', 40, 235], ['1', 300, 235], ['£20.00', 360, 235], ['£20.00', 480, 235],
  ['Subtotal', 360, 280], ['£120.00', 480, 280],
  ['VAT 20%', 360, 295], ['£24.00', 480, 295],
  ['Total', 360, 310], ['£144.00', 480, 310],
  ['VAT Reg No: GB123456789', 40, 700],
  ['IBAN: GB82 WEST 1234 5698 7654 32', 40, 715],
];

const german: Placed[] = [
  ['Muster Handel GmbH - Hauptstraße 1 - 10115 Berlin', 40, 110],
  ['Kunde AG', 40, 130], ['Kundenweg 5', 40, 145],
  ['Rechnungsnummer', 380, 130], ['R-4711', 480, 130],
  ['Rechnungsdatum', 380, 145], ['05.03.2024', 480, 145],
  ['Pos Beschreibung', 40, 220], ['Menge', 300, 220], ['Einzelpreis', 360, 220], ['Betrag', 480, 220],
  ['1 Beratung', 40, 240], ['10', 300, 240], ['120,00', 360, 240], ['1.200,00', 480, 240],
  ['Nettobetrag', 360, 300], ['1.200,00 €', 480, 300],
  ['MwSt. 19 %', 360, 315], ['228,00 €', 480, 315],
  ['Gesamtbetrag', 360, 330], ['1.428,00 €', 480, 330],
  ['USt-IdNr.: DE123456789', 40, 760],
];

const french: Placed[] = [
  ['Société Exemple SAS', 40, 40],
  ['Facture n° FA-2024-17', 40, 120],
  ['Date : 02/07/2024', 40, 135],
  ['Client', 350, 120], ['Dupont SARL', 350, 135],
  ['Total HT', 360, 300], ['1 000,00 €', 470, 300],
  ['TVA 20 %', 360, 315], ['200,00 €', 470, 315],
  ['Montant TTC', 360, 330], ['1 200,00 €', 470, 330],
];

describe('extractFromOcr on synthetic invoices', () => {
  it.each([
    ['English', english, { invoice_id: 'INV-2024-0042', invoice_date: '2024-03-14', due_date: '2024-04-13', total_amount: 144, net_amount: 120, total_tax_amount: 24, currency: 'GBP', supplier_name: 'Acme Supplies Ltd.', receiver_name: 'Globex Corporation', supplier_tax_id: 'GB123456789', supplier_iban: 'GB82WEST12345698765432' }, 'en', '.'],
    ['German', german, { invoice_id: 'R-4711', invoice_date: '2024-03-05', total_amount: 1428, net_amount: 1200, total_tax_amount: 228, currency: 'EUR', supplier_name: 'Muster Handel GmbH', supplier_tax_id: 'DE123456789' }, 'de', ','],
    ['French', french, { invoice_id: 'FA-2024-17', invoice_date: '2024-07-02', total_amount: 1200, net_amount: 1000, total_tax_amount: 200, currency: 'EUR', supplier_name: 'Société Exemple SAS', receiver_name: 'Dupont SARL' }, 'fr', ','],
  ])('%s invoice', (_name, items, expected, language, decimal) => {
    const inv = extractFromOcr(doc(items));
    expect(InvoiceSchema.parse(inv)).toEqual(inv);
    const values = Object.fromEntries(Object.entries(inv.fields).map(([k, v]) => [k, v.value]));
    expect(values).toMatchObject(expected);
    expect(inv.extraction.language).toBe(language);
    expect(inv.extraction.decimalSeparator).toBe(decimal);
    expect(inv.extraction.method).toBe('ocr');
  });

  it('records where each value came from', () => {
    const inv = extractFromOcr(doc(english));
    expect(inv.fields.invoice_id).toMatchObject({ source: 'layout', pageNumber: 1 });
    expect(inv.fields.invoice_id!.box!.x).toBeCloseTo(460 / 595, 3);
    expect(inv.fields.supplier_iban?.source).toBe('pattern');
    expect(inv.fields.total_amount!.confidence).toBeGreaterThan(0.8);
  });

  it('reads line items from the table columns', () => {
    const items = extractFromOcr(doc(english)).line_items;
    expect(items.map((i) => [i.description?.value, i.quantity?.value, i.unit_price?.value, i.amount?.value])).toEqual([
      ['Widgets', 2, 50, 100],
      ['Gadgets', 1, 20, 20],
    ]);
    expect(items[0]?.amount?.source).toBe('table');
  });

  it('reads the VAT breakdown', () => {
    expect(extractFromOcr(doc(german)).vat.map((v) => [v.tax_rate?.value, v.tax_amount?.value])).toEqual([[19, 228]]);
  });

  it('reads a value printed below its label (column headers)', () => {
    const inv = extractFromOcr(doc([
      ['Invoice Date:', 40, 100], ['Due Date:', 160, 100], ['Invoice Number:', 280, 100],
      ['03/20/2023', 40, 115], ['04/04/2023', 160, 115], ['INV/2023/0008', 280, 115],
      ['Total', 360, 300], ['$ 279.84', 470, 300],
    ]));
    expect(inv.fields.invoice_id?.value).toBe('INV/2023/0008');
    expect(inv.fields.invoice_date?.value).toBe('2023-03-20');
    expect(inv.fields.due_date?.value).toBe('2023-04-04');
    expect(inv.extraction).toMatchObject({ dateOrder: 'MDY', dateOrderEvidence: 'unambiguous-date' });
  });

  it('flags an ambiguous day/month order instead of guessing silently', () => {
    const inv = extractFromOcr(doc([['Invoice Number: 77001', 40, 100], ['Invoice Date: 03/04/2023', 40, 115], ['Total 12.00', 40, 300]]));
    expect(inv.extraction.dateOrderEvidence).toBe('ambiguous');
    expect(inv.extraction.warnings.some((w) => /ambiguous/.test(w))).toBe(true);
    expect(inv.fields.invoice_date!.confidence).toBeLessThan(0.7);
  });

  it('prefers the total that equals net + tax over another total-like line', () => {
    const inv = extractFromOcr(doc([
      ['Invoice No 5001', 40, 60],
      ['Subtotal', 360, 280], ['100.00', 480, 280],
      ['Tax', 360, 295], ['10.00', 480, 295],
      ['Total', 360, 310], ['110.00', 480, 310],
      ['Total paid previously', 360, 340], ['50.00', 480, 340],
    ]));
    expect(inv.fields.total_amount?.value).toBe(110);
  });

  it('takes OCR entities first and fills the gaps from the layout', () => {
    const entities: Entity[] = [
      { type: 'invoice_id', mentionText: 'NO. 9001', confidence: 0.4, properties: [] },
      { type: 'total_amount', mentionText: '144.00', normalizedValue: { money: { amount: 144, currencyCode: 'GBP' } }, confidence: 0.9, properties: [] },
    ];
    const inv = extractFromOcr(doc(english, entities));
    expect(inv.fields.invoice_id).toMatchObject({ value: '9001', source: 'ocr-entity', confidence: 0.4 });
    expect(inv.fields.total_amount).toMatchObject({ value: 144, source: 'ocr-entity' });
    expect(inv.fields.invoice_date?.source).toBe('layout');
  });

  it('returns an empty invoice with warnings for a page without text', () => {
    const inv = extractFromOcr(doc([]));
    expect(inv.fields).toEqual({});
    expect(inv.extraction.warnings).toEqual(expect.arrayContaining(['invoice number not found', 'total amount not found']));
  });

  it('never puts invoice content into warnings', () => {
    const inv = extractFromOcr(doc([['Invoice Number: SECRET-991', 40, 100], ['Invoice Date: 03/04/2023', 40, 115]]));
    expect(inv.extraction.warnings.join(' ')).not.toMatch(/SECRET|991|2023/);
  });

  it('reads text that has no geometry line by line', () => {
    const text = 'Rechnungsnummer: 2024-77\nRechnungsdatum: 01.02.2024\nGesamtbetrag: 99,50 EUR';
    const inv = extractFromOcr({ ...doc([]), text });
    expect([inv.fields.invoice_id?.value, inv.fields.invoice_date?.value, inv.fields.total_amount?.value]).toEqual(['2024-77', '2024-02-01', 99.5]);
  });
});

describe('extractInvoice', () => {
  const cii = `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocument><ram:ID>XML-1</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20240305</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>Seller</ram:Name></ram:SellerTradeParty><ram:BuyerTradeParty><ram:Name>Buyer</ram:Name></ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeDelivery/><ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:TaxBasisTotalAmount>10.00</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID="EUR">1.90</ram:TaxTotalAmount><ram:GrandTotalAmount>11.90</ram:GrandTotalAmount><ram:DuePayableAmount>11.90</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>
</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>`;
  const withXml: OcrDocument = { ...doc(german), embeddedFiles: [{ name: 'factur-x.xml', mimeType: 'text/xml', content: cii }] };

  it('reads the embedded e-invoice when enabled', () => {
    const inv = extractInvoice(withXml, { einvoice: true });
    expect(inv.extraction.method).toBe('einvoice');
    expect(inv.fields.invoice_id?.value).toBe('XML-1');
  });

  it('reads the page when the e-invoice path is off or there is no XML', () => {
    expect(extractInvoice(withXml, { einvoice: false }).fields.invoice_id?.value).toBe('R-4711');
    expect(extractInvoice(doc(german), { einvoice: true }).extraction.method).toBe('ocr');
  });
});

describe('line items with space-grouped thousands', () => {
  it('reads "1 459,58" in a table cell as one amount, not a quantity and an amount', () => {
    const page: Placed[] = [
      ['Fournisseur Exemple SARL', 40, 40], ['FACTURE', 420, 40],
      ['Facture n°', 360, 100], ['F-2024-77', 460, 100],
      ['Date', 360, 115], ['14/03/2024', 460, 115],
      ['Désignation', 40, 200], ['Qté', 300, 200], ['Prix unitaire', 360, 200], ['Montant', 480, 200],
      ['Assistance technique', 40, 220], ['19,5', 300, 220], ['74,85', 360, 220], ['1 459,58', 480, 220],
      ['Restauration', 40, 235], ['2', 300, 235], ['20,00', 360, 235], ['40,00', 480, 235],
      ['Total HT', 360, 280], ['1 499,58 €', 480, 280],
      ['TVA 20 %', 360, 295], ['299,92 €', 480, 295],
      ['Total TTC', 360, 310], ['1 799,50 €', 480, 310],
    ];
    const invoice = extractFromOcr(doc(page));
    expect(invoice.line_items.map((li) => [li.quantity?.value, li.unit_price?.value, li.amount?.value])).toEqual([
      [19.5, 74.85, 1459.58],
      [2, 20, 40],
    ]);
    expect(invoice.fields.net_amount?.value).toBe(1499.58);
  });

  it('finds the table under a header whose accents the OCR dropped ("Designation", "Qte")', () => {
    const page = (header: string, quantity: string): Placed[] => [
      ['Fournisseur Exemple SARL', 40, 40], ['FACTURE', 420, 40], ['Facture n°', 360, 100], ['F-2024-77', 460, 100],
      [header, 40, 200], [quantity, 300, 200], ['Montant', 480, 200],
      ['Assistance technique', 40, 220], ['2', 300, 220], ['40,00', 480, 220],
      ['Total TTC', 360, 280], ['48,00', 480, 280],
    ];
    for (const [header, quantity] of [['Désignation', 'Qté'], ['Designation', 'Qte'], ['Libelle', 'Quantite']] as const) {
      expect(extractFromOcr(doc(page(header, quantity))).line_items.map((li) => [li.quantity?.value, li.amount?.value])).toEqual([[2, 40]]);
    }
  });
});

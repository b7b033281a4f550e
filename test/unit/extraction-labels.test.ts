import { describe, expect, it } from 'vitest';
import { currencyOfMark, detectCurrency } from '../../functions/core/extraction/currency.js';
import { detectLanguage, findLabels, type LabelField } from '../../functions/core/extraction/labels.js';
import { normalizeVatId } from '../../functions/core/extraction/parties.js';

describe('findLabels', () => {
  it.each<[string, LabelField, string | null]>([
    ['Invoice No: 123', 'invoice_id', 'Invoice No'],
    ['Invoice Number: 42183017', 'invoice_id', 'Invoice Number'],
    ['Rechnungsnummer 471102', 'invoice_id', 'Rechnungsnummer'],
    ['Rechnung Nr. 5', 'invoice_id', 'Rechnung Nr.'],
    ['Rechnungsnr. 30064443', 'invoice_id', 'Rechnungsnr.'],
    ['N° de facture : F-12', 'invoice_id', 'N° de facture'],
    ['Facture n° 2022089083', 'invoice_id', 'Facture n°'],
    ['Factuurnummer: 993548900', 'invoice_id', 'Factuurnummer'],
    ['Handelsrechnung (380) Nr. 471102', 'invoice_id', 'Handelsrechnung (380) Nr.'],
    ['Grand Total 319.00', 'total_amount', 'Grand Total'],
    ['Subtotal $ 112.00', 'total_amount', null],
    ['Gesamtbetrag 12,00', 'total_amount', 'Gesamtbetrag'],
    ['Bruttobetrag 12,00', 'total_amount', 'Bruttobetrag'],
    ['Montant TTC 12,00', 'total_amount', 'Montant TTC'],
    ['Net à payer 12,00', 'total_amount', 'Net à payer'],
    ['Sous-total 10,00', 'net_amount', 'Sous-total'],
    ['Bill To:', 'receiver', 'Bill To'],
    ['Rechnungsempfänger', 'receiver', 'Rechnungsempfänger'],
    ['Facturé à :', 'receiver', 'Facturé à'],
    ['Facture a:', 'receiver', 'Facture a'],
    ['Facture a', 'receiver', 'Facture a'],
    ['Facture A-12', 'receiver', null],
    ['Client : Boyer SARL', 'receiver', 'Client'],
    ['Customer: Boyer SARL', 'receiver', 'Customer'],
    ['N° client: 48408', 'receiver', null],
    ['N client: 48408', 'receiver', null],
    ['Numéro de client 48408', 'receiver', null],
    ['Client n° 48408', 'receiver', null],
    ['Customer No.: 90490', 'receiver', null],
    ['Customer ID 90490', 'receiver', null],
    ['Facture a régler avant le 12/05', 'receiver', null],
  ])('%s as %s', (text, field, expected) => {
    const hit = findLabels(text, field)[0];
    expect(hit ? text.slice(hit.index, hit.index + hit.length) : null).toBe(expected);
  });

  it.each([
    ['Invoice number 12, the total amount due and the payment terms', 'en'],
    ['Rechnung Nr. 1 vom 05.03.2018, Gesamtbetrag und Steuer, zahlbar bitte', 'de'],
    ['Facture n° 1 du 02 juillet, montant TTC et TVA, paiement à réception', 'fr'],
    ['x', undefined],
  ])('language of %j is %s', (text, lang) => {
    expect(detectLanguage(text)).toBe(lang);
  });
});

describe('currency', () => {
  it.each([
    ['Währung: EUR', 'EUR'],
    ['Total $ 279.84 Tax $ 16.94', 'USD'],
    ['Montant 12,00 € TTC', 'EUR'],
    ['Grand Total Rs 1939', 'INR'],
    ['Total £ 12.00', 'GBP'],
    ['Total CHF 1\'234.50', 'CHF'],
    ['Total 12,00 EUR and $ 3.00', 'EUR'],
    ['All charges and prices are in US Dollars. Total $4.11', 'USD'],
  ])('%s -> %s', (text, code) => {
    expect(detectCurrency(text)?.code).toBe(code);
  });

  it('gives null when nothing names a currency', () => {
    expect(detectCurrency('Total 12.00')).toBeNull();
  });

  it('scores a dollar sign lower than an explicit code', () => {
    expect(detectCurrency('$ 12.00')!.confidence).toBeLessThan(detectCurrency('USD 12.00')!.confidence);
  });

  it('counts the ringgit named as a column\'s unit', () => {
    expect(detectCurrency('GST Summary Amount(RM) Tax (RM)\nSR 6% 9.85 0.59')?.code).toBe('MYR');
  });

  it.each([
    ['E.&.O.E. read as "£.&.0.E."', 'Total Payable: 33.80\n£.&.0.E.', null],
    ['a lone "€" (a bullet) on its own line', 'Total 23.20\n€\nThank you', null],
    ['a "£" inside a registration number', '(0005£83085-K)\nTotal 12.00', null],
    ['a "$" after an amount and a dot', 'CHANGE 5,50.$R', null],
    ['a misread glyph against the ringgit', 'XGST € 6% INCLUDED IN TOTAL\nAmount(RM) Tax(RM)', 'MYR'],
    ['a pound sign printed with its amount', 'Total £12.50', 'GBP'],
    ['a euro sign after its amount', 'Gesamt 12,50 €', 'EUR'],
  ] as const)('on a scan, a one-glyph symbol counts only beside an amount: %s', (_name, text, code) => {
    expect(detectCurrency(text, { scanned: true })?.code ?? null).toBe(code);
  });

  it('keeps a lone symbol of a text layer, which is never a misread', () => {
    expect(detectCurrency('Prices in\n€\nTotal 12.00')?.code).toBe('EUR');
  });

  it.each([['€', 'EUR'], ['usd', 'USD'], ['Rs', 'INR'], ['?', undefined]])('mark %s -> %s', (mark, code) => {
    expect(currencyOfMark(mark)).toBe(code);
  });
});

describe('normalizeVatId', () => {
  it.each([
    ['DE 232 446 240', 'DE232446240'],
    ['NL810433941B01', 'NL810433941B01'],
    ['FR 604 219 388 61', 'FR60421938861'],
    ['DE12345', null],
    ['XX123456789', null],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeVatId(raw)).toBe(expected);
  });
});

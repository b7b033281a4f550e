import { describe, expect, it } from 'vitest';
import { extractFromOcr } from '../../functions/core/extraction/index.js';
import { syntheticDoc, type Placed } from '../fixtures/ocr/synthetic.js';

/**
 * Tables of amounts (VAT breakdowns with one row per rate, line items with net, VAT and gross per line): the
 * arithmetic of one row (base + tax = gross of that rate) is not the document's. A per-rate or per-line gross
 * amount must not be taken for the invoice total, however well its own row adds up; the document's amounts
 * are the column sums, printed in a sum row or as labelled totals elsewhere on the page.
 */

const HEAD: Placed[] = [['Muster GmbH', 60, 40], ['Rechnung Nr. 2024-118', 60, 100], ['Rechnungsdatum: 05.03.2024', 60, 115]];
const rows = (y: number, pairs: Array<[string, string]>): Placed[] => pairs.flatMap(([l, a], i): Placed[] => [[l, 320, y + i * 16], [a, 500, y + i * 16]]);
/** A table: a header row and body rows, each cell at its column's x. */
const table = (y: number, xs: number[], header: string[], body: string[][]): Placed[] => [
  ...header.map((h, i): Placed => [h, xs[i]!, y]),
  ...body.flatMap((r, k) => r.map((v, i): Placed => [v, xs[i]!, y + 16 * (k + 1)]).filter(([v]) => v !== '')),
];

describe('a per-rate VAT breakdown is not the total', () => {
  it.each<[string, Placed[], number]>([
    ['a breakdown with a gross column, the grand total labelled below it', [
      ...HEAD,
      ...table(480, [60, 200, 300, 450], ['MwSt-Satz', 'Nettobetrag', 'MwSt-Betrag', 'Bruttobetrag'], [['19 %', '100,00', '19,00', '119,00'], ['7 %', '50,00', '3,50', '53,50']]),
      ...rows(560, [['Gesamtbetrag', '172,50']]),
    ], 172.5],
    ['a breakdown whose last row sums the rates (no label on the sum row)', [
      ...HEAD,
      ...table(700, [50, 200, 300, 380, 470], ['Warenwert', 'Nettobetrag', 'MwSt-Betrag', 'MwSt-%', 'Endbetrag'], [
        ['1000,00', '1000,00', '190,00', '19,0', '1190,00'], ['200,00', '200,00', '14,00', '7,0', '214,00'], ['1200,00', '1200,00', '204,00', 'EUR', '1404,00'],
      ]),
    ], 1404],
    ['a French breakdown (taux, base HT, TVA, TTC) and a "Net à payer"', [
      ...HEAD,
      ...table(480, [60, 200, 300, 450], ['Taux', 'Base HT', 'TVA', 'Total TTC'], [['20 %', '50,00', '10,00', '60,00'], ['10 %', '10,91', '1,09', '12,00']]),
      ...rows(560, [['Net à payer', '72,00']]),
    ], 72],
    ['line items with net, VAT and gross per line, and the total', [
      ...HEAD,
      ...table(300, [60, 300, 380, 480], ['Pos', 'Netto', 'MwSt', 'Brutto'], [['1 Beratung', '200,00', '38,00', '238,00'], ['2 Fachbuch', '100,00', '7,00', '107,00']]),
      ...rows(420, [['Gesamtbetrag', '345,00']]),
    ], 345],
  ])('%s', (_name, items, total) => {
    const inv = extractFromOcr(syntheticDoc(items));
    expect(inv.fields.total_amount?.value).toBe(total);
    // A row's amounts are not reported as the document's net or tax either.
    expect([undefined, 150, 1200, 60.91, 300]).toContain(inv.fields.net_amount?.value);
  });

  it('reads the sums of a breakdown\'s sum row as net, tax and total', () => {
    const inv = extractFromOcr(syntheticDoc([
      ...HEAD,
      ...table(700, [50, 200, 300, 380, 470], ['Warenwert', 'Nettobetrag', 'MwSt-Betrag', 'MwSt-%', 'Endbetrag'], [
        ['1000,00', '1000,00', '190,00', '19,0', '1190,00'], ['200,00', '200,00', '14,00', '7,0', '214,00'], ['1200,00', '1200,00', '204,00', 'EUR', '1404,00'],
      ]),
    ]));
    expect(inv.fields.total_amount?.value).toBe(1404);
    expect(inv.fields.net_amount?.value).toBe(1200);
    expect(inv.fields.total_tax_amount?.value).toBe(204);
    expect(inv.fields.total_amount!.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('a breakdown of one rate and its sum row gives the sum row', () => {
    const inv = extractFromOcr(syntheticDoc([
      ...HEAD,
      ...table(700, [50, 200, 300, 380, 470], ['Warenwert', 'Nettobetrag', 'MwSt-Betrag', 'MwSt-%', 'Endbetrag'], [
        ['1000,00', '1000,00', '190,00', '19,0', '1190,00'], ['1000,00', '1000,00', '190,00', 'EUR', '1190,00'],
      ]),
    ]));
    expect(inv.fields.total_amount?.value).toBe(1190);
    expect(inv.fields.net_amount?.value).toBe(1000);
  });

  it('a single totals row under its headers is the total (one row is not a breakdown)', () => {
    const inv = extractFromOcr(syntheticDoc([...HEAD, ...table(480, [200, 300, 450], ['Netto', 'MwSt', 'Brutto'], [['100,00', '19,00', '119,00']])]));
    expect(inv.fields.total_amount?.value).toBe(119);
    expect(inv.fields.total_amount!.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('the labelled totals block wins over a breakdown printed after it', () => {
    const inv = extractFromOcr(syntheticDoc([
      ...HEAD,
      ...rows(400, [['Nettobetrag', '150,00'], ['Steuerbetrag', '22,50'], ['Bruttobetrag', '172,50']]),
      ...table(480, [60, 200, 300, 450], ['MwSt-Satz', 'Nettobetrag', 'MwSt-Betrag', 'Bruttobetrag'], [['19 %', '100,00', '19,00', '119,00'], ['7 %', '50,00', '3,50', '53,50']]),
    ]));
    expect(inv.fields.total_amount?.value).toBe(172.5);
    expect(inv.fields.net_amount?.value).toBe(150);
    expect(inv.fields.total_tax_amount?.value).toBe(22.5);
    expect(inv.fields.total_amount!.confidence).toBeGreaterThanOrEqual(0.9);
  });
});

describe('receipts: payment arithmetic and dates', () => {
  const RECEIPT = { width: 226, height: 620 };
  const top: Placed[] = [['SANJUNG PARKING SDN BHD', 10, 30], ['GST Reg No: 001751072768', 10, 45], ['TAX INVOICE', 60, 70]];

  it('cash - change = total, whatever the tendered line\'s label says', () => {
    const inv = extractFromOcr(syntheticDoc([
      ...top, ['27/06/18 10:08', 40, 90], ['Pay parking ticket', 10, 110], ['1.50', 170, 110],
      ['Total', 10, 150], ['1.50', 170, 150], ['Accepted total', 10, 165], ['2.00', 170, 165], ['Change', 10, 180], ['0.50', 170, 180],
    ], RECEIPT));
    expect(inv.fields.total_amount?.value).toBe(1.5);
  });

  it('a card payment with nothing given back is the total when no total label was read', () => {
    const inv = extractFromOcr(syntheticDoc([
      ...top, ['26/02/2018 10:08', 40, 90], ['39.42 litre Pump # 09', 10, 110], ['FuelSave 95', 10, 125], ['Visa', 10, 160], ['RM 85.54', 150, 160],
    ], RECEIPT));
    expect(inv.fields.total_amount?.value).toBe(85.54);
    expect(inv.fields.total_amount!.confidence).toBeLessThan(0.9);
  });

  it('reads the day first where the tax is VAT or GST, and month-name dates with a two-digit year', () => {
    expect(extractFromOcr(syntheticDoc([...top, ['Date: 03/01/2018 14:05', 10, 90], ['TOTAL', 10, 150], ['29.80', 170, 150]], RECEIPT)).fields.invoice_date?.value).toBe('2018-01-03');
    expect(extractFromOcr(syntheticDoc([...top, ['15 Jun 18 08:34:31 PM', 10, 90], ['TOTAL', 10, 150], ['17.20', 170, 150]], RECEIPT)).fields.invoice_date?.value).toBe('2018-06-15');
  });

  it('skips a date that is no calendar date (an OCR misread) for one that is', () => {
    const inv = extractFromOcr(syntheticDoc([...top, ['Date : 30/63/2018 11:18 PM', 10, 90], ['TOTAL', 10, 150], ['189.75', 150, 150], ['30/03/2018 11:11 PM', 10, 400]], RECEIPT));
    expect(inv.fields.invoice_date?.value).toBe('2018-03-30');
  });
});

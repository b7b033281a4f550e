import { describe, expect, it } from 'vitest';
import { classifyLabel } from '../../functions/core/extraction/amounts.js';
import { classifyDateLabel } from '../../functions/core/extraction/date-fields.js';
import { extractFromOcr } from '../../functions/core/extraction/index.js';
import { InvoiceSchema, type Invoice } from '../../functions/core/invoice/invoice.js';
import { assertLooksLikeInvoice } from '../../functions/core/invoice/plausibility.js';
import { validateInvoice } from '../../functions/core/validation/index.js';
import { syntheticDoc, type Placed } from '../fixtures/ocr/synthetic.js';
import type { Line } from '../../functions/core/ocr-document.js';

/**
 * Extraction by evidence, on small synthetic OCR documents: the total among subtotal, tax, rounding, cash and
 * change lines; the invoice date among delivery, service and due dates; credit notes in English, German and
 * French (type, number, sign); till receipts (type, supplier, date, total) that are never rejected; labels
 * that are not values; supplier names kept whole.
 */

const RECEIPT = { width: 226, height: 620 };
const values = (inv: Invoice) => Object.fromEntries(Object.entries(inv.fields).map(([k, v]) => [k, v.value]));

describe('label meanings', () => {
  it.each([
    ['Total', 'total'], ['Grand Total', 'total'], ['Total incl. VAT', 'total'], ['Rechnungssumme Brutto (inkl. USt.)', 'total'],
    ['Total TTC', 'total'], ['TOTAL ROUNDED', 'total'], ['Subtotal', 'net'], ['Total excl. VAT', 'net'], ['Total HT', 'net'],
    ['Summe netto', 'net'], ['Total VAT', 'tax'], ['MwSt. 19 %', 'tax'], ['TVA 20 %', 'tax'], ['Rounding Adj', 'rounding'],
    ['CASH', 'tendered'], ['Change', 'change'], ['Balance due', 'due'], ['Net à payer', 'due'], ['Total Qty', undefined],
    ['GST @6% included in total', 'tax'], ['darin enthaltene MwSt. 19 %', 'tax'], ['dont TVA 20 %', 'tax'], ['Total Incl. GST@6%', 'total'],
    // One misread letter in a long label word (OCR of thermal receipts): still the same label.
    ['AMT PAID EXCL GST', 'net'], ['Amt Paid Incl GST', 'total'], ['PAID BY', 'tendered'],
    ['Rourding RM', 'rounding'], ['Subtota1', 'net'], ['Total Sales (Inc1usive GST)', 'total'], ['Paynent', 'tendered'],
    // Short words and words one letter from two label words are left alone.
    ['Totel', undefined], ['Founding member', undefined],
  ])('%s -> %s', (label, role) => {
    const weights = classifyLabel(label)?.weights ?? {};
    const top = Object.entries(weights).sort((a, b) => b[1] - a[1])[0]?.[0];
    expect(top).toBe(role);
  });

  it.each([
    ['Invoice date:', 'invoice'], ['Rechnungsdatum', 'invoice'], ['Date de facture', 'invoice'], ['Date:', 'generic'],
    ['Delivery date:', 'other'], ['Lieferdatum', 'other'], ['Leistungsdatum:', 'other'], ['Date de livraison', 'other'],
    ['Order date', 'other'], ['Service period', 'other'], ['Due date', 'due'], ['Fällig am', 'due'], ['Échéance', 'due'],
  ])('date label %s -> %s', (label, role) => {
    expect(classifyDateLabel(label)).toBe(role);
  });
});

describe('the total among other amounts', () => {
  it.each<[string, Placed[], { total: number; net?: number; tax?: number }]>([
    ['tax and net lines around the total', [
      ['Acme Tools Ltd', 40, 40], ['INVOICE', 420, 40], ['Invoice No: 5521', 360, 100], ['Invoice Date: 14/03/2024', 360, 115],
      ['Total excl. VAT', 330, 300], ['£100.00', 480, 300], ['Total VAT 20%', 330, 315], ['£20.00', 480, 315],
      ['Total incl. VAT', 330, 330], ['£120.00', 480, 330],
    ], { total: 120, net: 100, tax: 20 }],
    ['a VAT line printing its base first', [
      ['Muster GmbH', 40, 40], ['Rechnung Nr. 4711', 40, 100], ['Rechnungsdatum: 05.03.2024', 40, 115],
      ['Rechnungssumme Netto', 300, 300], ['200,00', 480, 300],
      ['Steuerbasisbetrag USt. 19%', 300, 315], ['200,00', 420, 315], ['38,00', 480, 315],
      ['Rechnungssumme Brutto (inkl. USt.)', 300, 330], ['238,00', 480, 330],
    ], { total: 238, net: 200, tax: 38 }],
    ['a "Total" that is followed by the balance of a partial payment', [
      ['Acme Tools Ltd', 40, 40], ['Invoice No: 5522', 360, 100], ['Invoice Date: 14/03/2024', 360, 115],
      ['Subtotal', 360, 300], ['$500.00', 480, 300], ['Tax', 360, 315], ['$40.00', 480, 315], ['Total', 360, 330], ['$540.00', 480, 330],
      ['Deposit paid', 360, 345], ['$200.00', 480, 345], ['Balance due', 360, 360], ['$340.00', 480, 360],
    ], { total: 540, net: 500, tax: 40 }],
  ])('%s', (_name, items, expected) => {
    const inv = extractFromOcr(syntheticDoc(items));
    expect(inv.fields.total_amount?.value).toBe(expected.total);
    if (expected.net !== undefined) expect(inv.fields.net_amount?.value).toBe(expected.net);
    if (expected.tax !== undefined) expect(inv.fields.total_tax_amount?.value).toBe(expected.tax);
    expect(inv.fields.total_amount!.confidence).toBeGreaterThanOrEqual(0.9); // net + tax = total agrees
  });
});

describe('till receipts', () => {
  const rounding: Placed[] = [
    ['HOME MASTER HARDWARE &', 30, 30], ['ELECTRICAL', 70, 42], ['NO. 12, JALAN SETIA 3', 30, 56], ['40170 SHAH ALAM', 40, 68],
    ['TAX INVOICE', 60, 90], ['Date: 22/12/2017 14:05', 20, 105],
    ['PAINT BRUSH 2"', 10, 130], ['7.16', 180, 130],
    ['Total Incl. GST', 10, 170], ['RM 7.16', 170, 170], ['ROUNDING ADJ', 10, 182], ['-RM 0.01', 165, 182],
    ['TOTAL ROUNDED', 10, 194], ['RM 7.15', 170, 194], ['CASH', 10, 206], ['RM 20.00', 165, 206], ['CHANGE', 10, 218], ['RM 12.85', 165, 218],
    ['GST Summary', 10, 240], ['Amount (RM)', 80, 240], ['Tax (RM)', 160, 240], ['SR @ 6%', 10, 252], ['6.75', 90, 252], ['0.41', 170, 252],
    ['THANK YOU, PLEASE COME AGAIN', 10, 280],
  ];
  const cash: Placed[] = [
    ['GERBANG ALAF RESTAURANTS SDN BHD', 10, 30], ['(65351-M)', 70, 42], ['LEVEL 6, BANGUNAN TH, DAMANSARA', 10, 54],
    ['TAX INVOICE', 70, 80], ['INV# 004201', 10, 95], ['18/01/2018 19:22', 10, 107],
    ['1 M ChicMcCrispy', 10, 130], ['13.20', 180, 130], ['1 Coke', 10, 142], ['6.60', 180, 142],
    ['TOTAL INCL GST 6%', 10, 170], ['19.80', 180, 170], ['Cash Tendered', 10, 182], ['50.00', 180, 182], ['Change', 10, 194], ['30.20', 180, 194],
  ];

  it.each<[string, Placed[], Record<string, unknown>]>([
    ['rounding, cash and change lines', rounding, { total_amount: 7.15, invoice_date: '2017-12-22', supplier_name: 'HOME MASTER HARDWARE & ELECTRICAL', currency: 'MYR' }],
    ['cash tendered above the total', cash, { total_amount: 19.8, invoice_date: '2018-01-18', supplier_name: 'GERBANG ALAF RESTAURANTS SDN BHD' }],
  ])('%s', (_name, items, expected) => {
    const doc = syntheticDoc(items, { ...RECEIPT, confidence: 0.93, textSource: 'ocr' });
    const inv = extractFromOcr(doc);
    expect(InvoiceSchema.parse(inv)).toEqual(inv);
    expect(inv.documentType).toBe('receipt');
    expect(values(inv)).toMatchObject(expected);
    expect(inv.extraction.warnings).not.toContain('invoice number not found');
    // Cash minus change gives the total: the agreement makes it confident despite the OCR read.
    expect(inv.fields.total_amount!.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('takes the card payment that equals the net plus the tax when the total line is misread', () => {
    // "AMT PAID INCL GST" lost a digit; the tax summary's TOTAL row labels the net and tax columns, not the total.
    const slip: Placed[] = [
      ['MR. D.I.Y. (M) SDN BHD', 30, 30], ['TAX INVOICE', 70, 50], ['06/12/2016 20:09', 10, 65],
      ['SOFT MILK MASK', 10, 90], ['26.70', 180, 90], ['GLASS CLEANER', 10, 102], ['32.70', 180, 102],
      ['AMT PAID INCL GST:RM11.90', 60, 130], ['AMT PAID EXCL GST:RM 105.57', 60, 142], ['GST AMT : RM5.33', 90, 154],
      ['PAID BY : CC*7186:RM111.90', 10, 166],
      ['GST SUMMARY', 10, 200], ['AMT(RM)', 95, 200], ['TAX(RM)', 165, 200],
      ['SR(6%)', 10, 212], ['105.57', 100, 212], ['6.33', 180, 212],
      ['TOTAL', 10, 236], ['105.57', 100, 236], ['6.33', 180, 236],
    ];
    const inv = extractFromOcr(syntheticDoc(slip, { ...RECEIPT, confidence: 0.9, textSource: 'ocr' }));
    expect(inv.fields.total_amount?.value).toBe(111.9);
  });

  const receiptSupplier = (items: Placed[]) => extractFromOcr(syntheticDoc(items, { ...RECEIPT, confidence: 0.9, textSource: 'ocr' })).fields.supplier_name?.value;

  it('joins a shop name broken across rows by its bracket, and nothing set apart above it', () => {
    const slip: Placed[] = [['NO. 17-G, JALAN SETIA INDAH', 10, 70], ['TAX INVOICE', 70, 90], ['30/03/2017 16:44', 10, 105], ['PVC TAPE', 10, 130],
      ['6.00', 180, 130], ['TOTAL', 10, 154], ['6.00', 180, 154], ['CASH', 10, 166], ['10.00', 180, 166], ['CHANGE', 10, 178], ['4.00', 180, 178]];
    const supplier = (head: Placed[]) => receiptSupplier([...head, ...slip]);
    expect(supplier([['AIK HUAT HARDWARE', 20, 30], ['ENTERPRISE (SETIA', 20, 42], ['ALAM) SDN BHD', 40, 54]])).toBe('AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD');
    // A slogan a blank line above the name is not part of it.
    expect(supplier([['BEST PRICES IN TOWN', 20, 16], ['ENTERPRISE (SETIA', 20, 42], ['ALAM) SDN BHD', 40, 54]])).toBe('ENTERPRISE (SETIA ALAM) SDN BHD');
    // The opening bracket lost by the OCR: the closing one still says the name began on the rows above.
    expect(supplier([['AIK HUAT HARDWARE', 20, 30], ['ENTERPRISE SETIA', 20, 42], ['ALAM) SDN BHD', 40, 54]])).toBe('AIK HUAT HARDWARE ENTERPRISE SETIA ALAM) SDN BHD');
    // Rows above that open more brackets than the row closes are not joined.
    expect(supplier([['AIK (HUAT HARDWARE', 20, 30], ['ENTERPRISE (SETIA', 20, 42], ['ALAM) SDN BHD', 40, 54]])).toBe('ALAM) SDN BHD');
  });

  it('reads a tax summary row by its arithmetic when its label names no tax (and the tax label above was misread)', () => {
    const head: Placed[] = [['HOME MASTER HARDWARE', 20, 30], ['TAX INVOICE', 60, 60], ['Date: 22/12/2017', 20, 75], ['PAINT BRUSH', 10, 100], ['15.90', 180, 100],
      ['Subtotal :', 10, 130], ['15.90', 180, 130], ['Total Exel of GST', 10, 142], ['15.00', 180, 142], ['Total Incl. of GST', 10, 154], ['15.90', 180, 154],
      ['CASH', 10, 166], ['50.00', 180, 166], ['CHANGE', 10, 178], ['34.10', 180, 178], ['GST Summary', 10, 195]];
    const read = (rows: Placed[]) => extractFromOcr(syntheticDoc([...head, ...rows], { ...RECEIPT, confidence: 0.9, textSource: 'ocr' }));
    // 15.00 at 6 % is 0.90: the row is the base and its tax, and net + tax = total.
    const one = read([['SR @6%', 10, 210], ['15.00', 100, 210], ['0.90', 180, 210]]);
    expect(values(one)).toMatchObject({ total_amount: 15.9, net_amount: 15, total_tax_amount: 0.9 });
    expect(one.extraction.warnings).not.toContain('net + tax does not equal total');
    // Two such rows are two rates, each adding up on its own: neither is the document's net and tax.
    const two = read([['A @6%', 10, 210], ['10.00', 100, 210], ['0.60', 180, 210], ['B @10%', 10, 222], ['5.00', 100, 222], ['0.50', 180, 222]]);
    expect(two.fields.total_amount?.value).toBe(15.9);
    expect([0.6, 0.5]).not.toContain(two.fields.total_tax_amount?.value);
  });

  it('makes the total of a receipt whose totals column was lost from its tax summary, at a confidence that asks for review', () => {
    const slip: Placed[] = [['SANYU STATIONERY SHOP', 10, 30], ['TAX INVOICE', 120, 50], ['ORDER CHIT NCR', 80, 90],
      ['Total', 80, 120], ['Final Total', 80, 135], ['CASH', 80, 150], ['CHANGE', 80, 160],
      ['GST Summary', 10, 180], ['Amount(RM)', 80, 180], ['Tax(RM)', 150, 180], ['SR @ 6%', 10, 192], ['8.21', 90, 192], ['0.49', 160, 192],
      ['INV NO: CS-SA-0096677 Date: 15/07/2017', 10, 215]];
    const inv = extractFromOcr(syntheticDoc(slip, { ...RECEIPT, confidence: 0.9, textSource: 'ocr' }));
    // "Amount" heads the taxable amounts of the summary, and 8.21 at 6 % is 0.49: the base and its tax, not a total.
    expect(values(inv)).toMatchObject({ total_amount: 8.7, net_amount: 8.21, total_tax_amount: 0.49 });
    expect(inv.fields.total_amount).toMatchObject({ source: 'derived' });
    expect(inv.fields.total_amount!.confidence).toBeLessThan(0.5);
    // Nothing to add up without the tax: the base is no total either way, but it is all there is.
    const noTax = extractFromOcr(syntheticDoc(slip.filter(([t]) => t !== '0.49'), { ...RECEIPT, confidence: 0.9, textSource: 'ocr' }));
    expect(noTax.fields.total_amount?.value).not.toBe(8.7);
  });

  it('reads a ringgit receipt as one: misread glyphs are no currency, and its legal form puts the day first', () => {
    const slip: Placed[] = [['AIK HUAT HARDWARE', 20, 30], ['ENTERPRISE SDN BHD', 20, 42], ['RECEIPT #8: CSP0368298 DATE: 10/05/2017', 10, 70],
      ['CABLE TIES', 10, 100], ['16.00', 180, 100], ['TOTAL', 10, 130], ['16.00', 180, 130], ['CASH', 10, 142], ['20.00', 180, 142],
      ['CHANGE', 10, 154], ['4.00', 180, 154], ['XGST € 6% INCLUDED IN TOTAL', 10, 170], ['£.&.0.E.', 10, 200]];
    const inv = extractFromOcr(syntheticDoc(slip, { ...RECEIPT, confidence: 0.9, textSource: 'ocr' }));
    expect(inv.fields.currency).toBeUndefined();
    // No tax name survived the OCR ("XGST"), but "Sdn Bhd" is Malaysian, and Malaysia prints the day first.
    expect(inv.fields.invoice_date?.value).toBe('2017-05-10');
    expect(inv.extraction.warnings.some((w) => w.startsWith('invoice_date: day/month order is ambiguous'))).toBe(false);
    // The same glyphs in a text layer are what the issuer printed.
    const typed = extractFromOcr(syntheticDoc([...slip.slice(0, -2), ['Total in €', 10, 170]], { ...RECEIPT, textSource: 'text-layer' }));
    expect(typed.fields.currency?.value).toBe('EUR');
  });

  it('reads "SDN BHD" that the OCR misread by one letter as the legal form', () => {
    const slip: Placed[] = [['TAX INVOICE', 60, 80], ['06/04/2018', 100, 95], ['SCREWS', 10, 130], ['31.20', 180, 130],
      ['TOTAL', 10, 154], ['31.20', 180, 154], ['CASH', 10, 166], ['50.00', 180, 166], ['CHANGE', 10, 178], ['18.80', 180, 178]];
    expect(receiptSupplier([['MR. D.I.Y. (M) CON BHD', 20, 30], ['(CO.REG: 860671-D)', 30, 45], ...slip])).toBe('MR. D.I.Y. (M) SDN BHD');
    expect(receiptSupplier([['SEAFOOD RESTAURANT SON.BHD', 20, 30], ...slip])).toBe('SEAFOOD RESTAURANT SDN BHD');
    // The form as printed is kept as printed.
    expect(receiptSupplier([['Sanjung Realiti Sdn. Bhd.', 20, 30], ...slip])).toBe('Sanjung Realiti Sdn. Bhd.');
  });

  it('reads a label across OCR noise printed between it and its amount', () => {
    expect(classifyLabel('Final Total  eee"')).toMatchObject({ weights: { total: 0.85 } });
    expect(classifyLabel('Total Gross  C RN')).toMatchObject({ weights: { total: 1 }, strength: 'strong' });
    // A chunk that names something still wins, and noise alone names nothing.
    expect(classifyLabel('Total 3 items   Cash')).toMatchObject({ weights: { tendered: 1 } });
    expect(classifyLabel('eee"')).toBeUndefined();
    const slip: Placed[] = [['SANYU STATIONERY SHOP', 20, 30], ['TAX INVOICE', 60, 60], ['Date: 12/08/2017', 20, 75], ['PEN', 10, 100], ['3.00', 180, 100],
      ['Final Total', 90, 130], ['eee"', 150, 130], ['3.00', 180, 130], ['GST Summary', 10, 160], ['SR @ 6%', 10, 172], ['2.83', 180, 172]];
    expect(extractFromOcr(syntheticDoc(slip, { ...RECEIPT, confidence: 0.9, textSource: 'ocr' })).fields.total_amount?.value).toBe(3);
  });

  it('does not take the continuation of the address for the shop name', () => {
    const address: Placed[] = [['NO 1&3, Jalan Wangsa Delima 12,', 10, 30], ['Wangsa Link, Wangsa Maju,', 20, 42], ['53300 Kuala Lumpur', 30, 54]];
    const slip: Placed[] = [['TAX INVOICE', 60, 80], ['28/02/2018 6:02:25', 100, 95], ['GLUE STICK', 10, 130], ['10.45', 180, 130],
      ['TOTAL', 10, 154], ['10.45', 180, 154], ['CASH', 10, 166], ['20.00', 180, 166], ['CHANGE', 10, 178], ['9.55', 180, 178]];
    const read = (items: Placed[]) => extractFromOcr(syntheticDoc(items, { ...RECEIPT, confidence: 0.9, textSource: 'ocr' })).fields.supplier_name;
    // No name above the address: whatever is guessed is not reported as likely right.
    const guessed = read([...address, ...slip]);
    expect(guessed === undefined || guessed.confidence < 0.5).toBe(true);
    expect(read([['ADVANCO TRADING', 30, 18], ...address, ...slip])?.value).toBe('ADVANCO TRADING');
    // "Company" names a company; only "Company Reg. No." starts a registration line.
    expect(read([['ADVANCO COMPANY', 30, 18], ...address, ...slip])?.value).toBe('ADVANCO COMPANY');
    expect(read([['ADVANCO TRADING', 30, 18], ['Company Reg No: 1101083-T', 10, 24], ...address, ...slip])?.value).toBe('ADVANCO TRADING');
  });

  it('does not take a title misread by one letter ("TAX INYOICE") for the shop name', () => {
    const slip = (title: string): Placed[] => [[title, 60, 20], ['BHPetrol Permas Jaya 2', 40, 35], ['LOT PTD 101051', 50, 45], ['Jalan Permas 10/10', 50, 55],
      ['81750 Masai, Johor', 50, 65], ['Esjay Fuel Enterprise', 40, 80], ['CO. REG. N0: 001011128-T', 30, 90], ['30-06-2018 09:09:49', 10, 110],
      ['PRIMAX95', 10, 130], ['50.00', 180, 130], ['Total', 10, 154], ['50.00', 180, 154], ['CASH', 10, 166], ['50.00', 180, 166]];
    const supplier = (title: string) => extractFromOcr(syntheticDoc(slip(title), { ...RECEIPT, confidence: 0.9, textSource: 'ocr' })).fields.supplier_name?.value;
    // Neither the title, nor what is left of it without "INVOICE", nor its misread: the name below it.
    expect(supplier('TAX INVOICE')).toBe('BHPetrol Permas Jaya 2');
    expect(supplier('TAX INYOICE')).toBe('BHPetrol Permas Jaya 2');
  });

  it('reads a slip whose only payment line is "Payment" with its amount apart as a receipt, and takes its shop name', () => {
    // The "TAX INVOICE" title was misread into a longer line: only the slip's structure says receipt.
    const slip: Placed[] = [['BERRY\'S CAKE HOUSE', 30, 30], ['No.1, Jln Puteri 1/6,', 30, 42], ['Bandar Puteri,', 40, 54], ['47100 Puchong,', 40, 66],
      ['18/04/2018 9:18:08 PM Session: 11444', 10, 90], ['Users1 . TAX Invoice No 1455 POS2', 10, 102], ['RAISIN ALMOND BREAD', 10, 130], ['4.55', 180, 130],
      ['Total Inclusive of Tax', 10, 160], ['4.55', 180, 160], ['RINGGIT MALAYSIA', 10, 172], ['20.00', 180, 172], ['Payment', 10, 184], ['-20.00', 175, 184]];
    const inv = extractFromOcr(syntheticDoc(slip, { ...RECEIPT, confidence: 0.9, textSource: 'ocr' }));
    expect(inv.documentType).toBe('receipt');
    expect(values(inv)).toMatchObject({ supplier_name: 'BERRY\'S CAKE HOUSE', total_amount: 4.55 });
    // "Payment" before anything but an amount ("Payment terms") is no till line.
    const terms = extractFromOcr(syntheticDoc([...slip.slice(0, -2), ['Payment terms', 10, 184], ['30 days', 120, 184]], { ...RECEIPT, confidence: 0.9, textSource: 'ocr' }));
    expect(terms.documentType).not.toBe('receipt');
  });

  it('takes a card payment equal to the total adjusted by the rounding line for the rounded total, where none is printed', () => {
    const head: Placed[] = [['MIZU MENTAI SDN. BHD.', 20, 30], ['Date: 31-03-2018 18:12:41', 10, 60], ['Shiro Ramen', 10, 90], ['1x 12.80', 10, 100], ['12.80', 180, 100],
      ['Total (Excluding GST):', 10, 130], ['56.20', 180, 130], ['GST Payable:', 10, 142], ['3.71', 180, 142], ['Total (Inclusive of GST):', 10, 154], ['65.53', 180, 154],
      ['Rounding Adj:', 10, 166], ['0.02', 180, 166]];
    const read = (rows: Placed[]) => extractFromOcr(syntheticDoc([...head, ...rows], { ...RECEIPT, confidence: 0.9, textSource: 'ocr' })).fields.total_amount?.value;
    expect(read([['VISA', 10, 190], ['65.55', 180, 190]])).toBe(65.55);
    expect(read([['Total Rounded', 10, 178], ['65.55', 180, 178], ['VISA', 10, 190], ['65.55', 180, 190]])).toBe(65.55);
    // A payment the rounding does not explain (a tip, a misread) leaves the printed total.
    expect(read([['VISA', 10, 190], ['70.00', 180, 190]])).toBe(65.53);
  });

  it('reads the gross of one tax rate ("Total 0% supplies") as a part of the total payable, even printed twice', () => {
    const head: Placed[] = [['GARDENIA BAKERIES (KL) SDN BHD', 10, 20], ['Date: 14/10/2017', 10, 50], ['WHOLEMEAL 3 @ 2.78', 10, 80], ['8.34', 180, 80]];
    const read = (rows: Placed[]) => extractFromOcr(syntheticDoc([...head, ...rows], { ...RECEIPT, confidence: 0.9, textSource: 'ocr' })).fields.total_amount;
    // The first "Total 0% supplies" label was misread into nothing a rule knows, its repeat below is the same partial,
    // and the 6 % gross lost a digit (15.26): no sum of parts proves the total payable.
    const mixed = read([['Total @& supplies:', 10, 100], ['18.54', 180, 100], ['Total 6% supplies (excl. GST):', 10, 120], ['14.40', 180, 120],
      ['GST:', 10, 132], ['0.86', 180, 132], ['Total 6% supplies (Inc. GST):', 10, 144], ['15.2', 180, 144], ['Total O% supplies:', 10, 156], ['18.54', 180, 156],
      ['Total Payable:', 10, 168], ['33.80', 180, 168]]);
    expect(mixed?.value).toBe(33.8);
    // Every supply at 0 %: the partial equal to the total payable confirms it.
    const zero = read([['Total 0% supplies:', 10, 100], ['29.59', 180, 100], ['Total Payable:', 10, 120], ['29.59', 180, 120]]);
    expect(zero?.value).toBe(29.59);
    expect(zero!.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('doubts a total smaller than an item printed above it (a digit the OCR lost), unless a discount explains it', () => {
    const slip = (total: string, extra: Placed[] = []): Placed[] => [['BERRY\'S CAKE HOUSE', 30, 30], ['TAX INVOICE', 60, 50], ['Date: 18/04/2018', 10, 65],
      ['Desc', 10, 85], ['Qty', 110, 85], ['Amount', 170, 85],
      ['RAISIN ALMOND BREAD', 10, 100], ['1.00', 110, 100], ['4.55', 180, 100], ['CHEESE ROLL', 10, 112], ['1.00', 110, 112], ['3.90', 180, 112],
      ['BUTTER ROLL', 10, 124], ['1.00', 110, 124], ['2.80', 180, 124], ...extra,
      ['Total Inclusive of Tax', 10, 150], [total, 180, 150], ['Cash', 10, 162], ['20.00', 180, 162], ['Change', 10, 174], ['8.75', 180, 174]];
    const total = (items: Placed[]) => extractFromOcr(syntheticDoc(items, { ...RECEIPT, confidence: 0.95, textSource: 'ocr' })).fields.total_amount!;
    // Cash - change agrees with the right reading and not with the misread one.
    expect(total(slip('11.25')).confidence).toBeGreaterThanOrEqual(0.9);
    const misread = total(slip('1.25'));
    expect(misread.value).toBe(1.25);
    expect(misread.confidence).toBeLessThan(0.9);
    const withDiscount = total(slip('1.25', [['Member discount', 10, 136], ['-10.00', 175, 136]]));
    expect(withDiscount.confidence).toBeGreaterThan(misread.confidence);
  });

  it('takes the name right above a bracketed registration number over a name-like row above it', () => {
    const slip: Placed[] = [['NO 122 JALAN DEDAP 12', 10, 80], ['SIMPLIFIED TAX INVOICE', 40, 100], ['25/12/2018', 150, 115], ['RICE 5KG', 10, 130],
      ['80.90', 180, 130], ['TOTAL', 10, 154], ['80.90', 180, 154], ['CASH', 10, 166], ['100.00', 175, 166], ['CHANGE', 10, 178], ['19.10', 180, 178]];
    const supplier = (head: Placed[]) => receiptSupplier([...head, ...slip]);
    // A customer's name printed at the top, the shop's registered name and number below it.
    expect(supplier([['tan woon yann', 50, 20], ['YONGFATT ENTERPRISE', 40, 45], ['(JM0517726)', 80, 60]])).toBe('YONGFATT ENTERPRISE');
    // The closing bracket read as a brace.
    expect(supplier([['BREWERY TAF', 40, 20], ['Owner by Castle Blue', 30, 33], ['(1935683-T}', 60, 46]])).toBe('Owner by Castle Blue');
    // Without the number, the first name-like row stands.
    expect(supplier([['tan woon yann', 50, 20], ['YONGFATT ENTERPRISE', 40, 45]])).toBe('tan woon yann');
  });

  it('takes a large amount on a rounding line for the rounded total only next to the total it rounds', () => {
    const head: Placed[] = [['HARDWARE TRADING SDN BHD', 20, 30], ['TAX INVOICE', 60, 60], ['Date: 30/03/2017', 20, 75], ['PVC TAPE', 10, 100], ['6.00', 180, 100]];
    // "0.00" misread as "9.00" (and the change misread too, so cash - change agrees with nothing): the printed total stands.
    const misread = extractFromOcr(syntheticDoc([...head, ['SUB-TOTAL (GST)', 60, 130], ['6.00', 180, 130], ['ROUNDING', 60, 142], ['9.00', 180, 142],
      ['TOTAL', 10, 154], ['6.00', 180, 154], ['CASH', 10, 166], ['20.00', 180, 166], ['CHANGE', 10, 178], ['14.80', 180, 178]], { ...RECEIPT, textSource: 'ocr' }));
    expect(misread.fields.total_amount?.value).toBe(6);
    // A rounding line that prints the rounded amount itself, a few cents from the total above it.
    const rounded = extractFromOcr(syntheticDoc([...head, ['Total Incl. GST', 10, 130], ['45.28', 180, 130], ['Rounding', 10, 142], ['45.30', 180, 142],
      ['CASH', 10, 166], ['50.00', 180, 166], ['CHANGE', 10, 178], ['4.70', 180, 178]], { ...RECEIPT, textSource: 'ocr' }));
    expect(rounded.fields.total_amount?.value).toBe(45.3);
    // The same with the rounding label misread by one letter.
    const misspelt = extractFromOcr(syntheticDoc([...head, ['Total Sales (Inclusive GST)', 10, 130], ['37.44', 180, 130], ['Rourding RM', 10, 142], ['37.45', 180, 142],
      ['CREDIT RM', 10, 166], ['37.45', 180, 166], ['CHANGE RM', 10, 178], ['0.00', 180, 178]], { ...RECEIPT, textSource: 'ocr' }));
    expect(misspelt.fields.total_amount?.value).toBe(37.45);
  });

  it('doubts a rounded total that the legible rounding line does not explain, and takes the payment it does explain', () => {
    const head: Placed[] = [['99 SPEED MART S/B', 20, 30], ['TAX INVOICE', 60, 60], ['11-05-16', 20, 75], ['ANCHOR SERBUK CUCI 4KG', 10, 100], ['RM 177.22', 160, 100],
      ['Total Sales (Inclusive GST)', 10, 130], ['RM 177,22', 160, 130], ['Rounding Adjustment', 10, 142], ['RM -.02', 160, 142]];
    const read = (rows: Placed[]) => extractFromOcr(syntheticDoc([...head, ...rows], { ...RECEIPT, textSource: 'ocr', confidence: 0.9 })).fields.total_amount?.value;
    // "177.20" misread as "177.26": 177.22 - 0.02 is the card payment, not the printed rounded total.
    expect(read([['Rounding', 10, 154], ['RM 177,26', 160, 154], ['CREDIT', 10, 166], ['RM 177,20', 160, 166]])).toBe(177.2);
    // Read right, the rounded total agrees with its line and stands.
    expect(read([['Rounding', 10, 154], ['RM 177,20', 160, 154], ['CREDIT', 10, 166], ['RM 177,20', 160, 166]])).toBe(177.2);
  });

  it('corrects a total the OCR misread by one digit only when two independent derivations prove the value', () => {
    const head: Placed[] = [['POPULAR BOOK CO SDN BHD', 20, 30], ['TAX INVOICE', 60, 60], ['06/02/18 18:47', 20, 75], ['CORR. PEN', 10, 100], ['7.85', 180, 100],
      ['RING FILE', 10, 112], ['6.99', 180, 112], ['Total RM Incl. of GST', 10, 130], ['14.64', 180, 130], ['Rounding Adj', 10, 142], ['0.01', 180, 142],
      ['Total RM', 10, 154], ['14.85', 180, 154]];
    // "50." and "00" read as two words: one amount again. Cash - change and total + rounding both give 14.65.
    const paid: Placed[] = [['Cash', 10, 166], ['50. 00', 170, 166], ['CHANGE', 10, 178], ['35.35', 180, 178]];
    const ocr = { ...RECEIPT, textSource: 'ocr' as const, confidence: 0.9 };
    const repaired = extractFromOcr(syntheticDoc([...head, ...paid], ocr));
    expect(repaired.fields.total_amount?.value).toBe(14.65);
    expect(repaired.fields.total_amount?.raw).toBe('14.85');
    expect(repaired.extraction.warnings.join(' ')).toContain('corrected by the page\'s arithmetic');
    // One derivation alone (no cash and change) proves nothing: the printed amounts stand.
    const alone = extractFromOcr(syntheticDoc(head, ocr));
    expect([14.64, 14.85]).toContain(alone.fields.total_amount?.value);
    expect(alone.extraction.warnings.join(' ')).not.toContain('corrected');
    // A text layer is not misread: nothing is corrected, and "50." "00" stay two numbers.
    const text = extractFromOcr(syntheticDoc([...head, ...paid], RECEIPT));
    expect(text.fields.total_amount?.value).not.toBe(14.65);
  });

  it('reads "GST included in total" as the tax, not as a second total', () => {
    const inv = extractFromOcr(syntheticDoc([
      ['D.I.Y. STORE SDN BHD', 20, 30], ['TAX INVOICE', 60, 60], ['06-04-18 12:01', 20, 75], ['ACRYLIC TAPE', 10, 100], ['11.60', 180, 100],
      ['TAPE REFILL', 10, 112], ['19.60', 180, 112], ['Total Incl. GST@6%', 10, 140], ['RM 31.20', 160, 140], ['VISA', 10, 152], ['RM 31.20', 160, 152],
      ['GST @6% included in total', 10, 190], ['RM 1.77', 160, 190],
    ], { ...RECEIPT, textSource: 'ocr' }));
    expect(values(inv)).toMatchObject({ total_amount: 31.2, total_tax_amount: 1.77 });
  });

  it('is never rejected as NOT_AN_INVOICE, and a missing number does not fail the required fields', () => {
    const inv = extractFromOcr(syntheticDoc([['CORNER CAFE', 60, 30], ['Latte', 10, 80], ['4.50', 180, 80], ['CASH', 10, 100], ['5.00', 180, 100], ['CHANGE', 10, 112], ['0.50', 180, 112]], RECEIPT));
    expect(inv.documentType).toBe('receipt');
    expect(() => assertLooksLikeInvoice(inv, syntheticDoc([]))).not.toThrow();
    const required = validateInvoice(inv, { now: new Date('2024-06-01T00:00:00Z') }).find((v) => v.code === 'REQUIRED_FIELDS')!;
    expect(required.fields).not.toContain('invoice_id');
  });
});

describe('the invoice date among other dates', () => {
  it.each<[string, Placed[], string, string | undefined]>([
    ['a delivery date printed first', [
      ['Acme Tools Ltd', 40, 40], ['Delivery date: 01/03/2024', 40, 90], ['Invoice No: 88', 360, 100], ['Invoice date: 05/03/2024', 360, 115],
      ['Due date: 04/04/2024', 360, 130], ['Total', 360, 300], ['£10.00', 480, 300],
    ], '2024-03-05', '2024-04-04'],
    ['a German service date and a bare "Datum"', [
      ['Muster GmbH', 40, 40], ['Leistungsdatum: 28.02.2024', 40, 90], ['Rechnung Nr. 4711', 360, 100], ['Datum: 02.03.2024', 360, 115],
      ['Gesamtbetrag', 360, 300], ['119,00 €', 480, 300],
    ], '2024-03-02', undefined],
    ['a French delivery date beside "Date de facture"', [
      ['Société Exemple SAS', 40, 40], ['Date de livraison : 20/06/2024', 40, 90], ['Facture n° F-17', 360, 100], ['Date de facture : 02/07/2024', 360, 115],
      ['Total TTC', 360, 300], ['120,00 €', 480, 300],
    ], '2024-07-02', undefined],
    ['a service period', [
      ['Hosting Ltd', 40, 40], ['Invoice 2024-31 of 03/04/2024', 40, 90], ['Service period 01/03/2024 - 31/03/2024', 40, 200],
      ['Total', 360, 300], ['€30.00', 480, 300],
    ], '2024-04-03', undefined],
    // PP-OCR's boxes are grown around the text: a label stacked tightly above its date overlaps it by a few points.
    ['labels stacked above their dates, the boxes overlapping', [
      ['Muster GmbH', 40, 40], ['Rechnungsdatum', 360, 100], ['9.Dezember 2024', 360, 108], ['Fällig am', 360, 122],
      ['8.Januar 2025', 360, 130], ['Gesamtbetrag', 360, 300], ['119,00 €', 480, 300],
    ], '2024-12-09', '2025-01-08'],
  ])('%s', (_name, items, invoiceDate, dueDate) => {
    const inv = extractFromOcr(syntheticDoc(items));
    expect(inv.fields.invoice_date?.value).toBe(invoiceDate);
    expect(inv.fields.due_date?.value).toBe(dueDate);
  });
});

describe('credit notes (the total\'s printed sign kept, the other amounts take it; the type says credit)', () => {
  it.each<[string, Placed[], { id: string; total: number; net?: number }]>([
    ['English', [
      ['Acme Tools Ltd', 40, 40], ['CREDIT NOTE', 420, 40], ['Credit Note No: CN-1001', 360, 100], ['Date: 14/03/2024', 360, 115],
      ['Net amount', 360, 300], ['£100.00', 470, 300], ['VAT 20%', 360, 315], ['£20.00', 470, 315], ['Total', 360, 330], ['-£120.00', 470, 330],
    ], { id: 'CN-1001', total: -120, net: -100 }],
    ['German', [
      ['Muster GmbH', 40, 40], ['Gutschrift', 420, 40], ['Gutschrift Nr. GS-2024-7', 360, 100], ['Datum: 05.03.2024', 360, 115],
      ['Gesamtbetrag', 360, 300], ['-238,00 €', 470, 300],
    ], { id: 'GS-2024-7', total: -238 }],
    ['German correction invoice', [
      ['Muster GmbH', 40, 40], ['Rechnungskorrektur Nr. RK-88', 360, 100], ['Datum: 05.03.2024', 360, 115], ['Gesamtbetrag', 360, 300], ['59,50 €', 470, 300],
    ], { id: 'RK-88', total: 59.5 }],
    ['French', [
      ['Société Exemple SAS', 40, 40], ['AVOIR', 420, 40], ['Avoir n° AV-2024-12', 360, 100], ['Date : 02/07/2024', 360, 115],
      ['Total HT', 360, 300], ['100,00 €', 470, 300], ['TVA 20 %', 360, 315], ['20,00 €', 470, 315], ['Total TTC', 360, 330], ['120,00 €', 470, 330],
    ], { id: 'AV-2024-12', total: 120, net: 100 }],
    ['French "note de crédit"', [
      ['Société Exemple SAS', 40, 40], ['Note de crédit n° NC-5', 360, 100], ['Date : 02/07/2024', 360, 115], ['Montant TTC', 360, 300], ['-36,00 €', 470, 300],
    ], { id: 'NC-5', total: -36 }],
  ])('%s', (_name, items, expected) => {
    const inv = extractFromOcr(syntheticDoc(items));
    expect(inv.documentType).toBe('credit_note');
    expect(inv.fields.invoice_id?.value).toBe(expected.id);
    expect(inv.fields.total_amount?.value).toBe(expected.total);
    if (expected.net !== undefined) expect(inv.fields.net_amount?.value).toBe(expected.net);
    const sign = validateInvoice(inv, { now: new Date('2025-01-01T00:00:00Z') }).find((v) => v.code === 'CREDIT_NOTE_SIGN')!;
    expect(sign.passed).toBe(true);
  });

  it('a credit note mentioned in running text does not make an invoice a credit note', () => {
    const inv = extractFromOcr(syntheticDoc([
      ['Acme Tools Ltd', 40, 40], ['INVOICE', 420, 40], ['Invoice No: 5523', 360, 100], ['Invoice Date: 14/03/2024', 360, 115], ['Total', 360, 300], ['£12.00', 480, 300],
      ['Returns are refunded by a credit note within 30 days of the invoice date.', 40, 700],
    ]));
    expect(inv.documentType).toBe('invoice');
  });
});

describe('labels are not values', () => {
  it('does not read the delivery address heading beside the billing one as the receiver', () => {
    const A4 = { width: 596, height: 843 };
    const page = (right: string): Placed[] => [['ACME Supplies B.V.', 40, 40], ['Factuuradres', 78, 129], [right, 358, 129], ['Strategic Corp', 78, 145],
      ['Fakestreet 46', 358, 145], ['3500 MJ Utrecht', 78, 157], ['Factuurnummer: VF1005', 40, 260], ['Factuurdatum: 08-09-2022', 40, 272],
      ['Factuur totaal EUR', 400, 380], ['49,99', 520, 380]];
    for (const heading of ['Afleveradres', 'Delivery address', 'Lieferadresse', 'Ship to']) {
      expect(extractFromOcr(syntheticDoc(page(heading), { ...A4, textSource: 'text-layer' })).fields.receiver_name?.value, heading).toBe('Strategic Corp');
    }
  });

  it('reads a receiver label whose umlaut the OCR dropped ("Rechnungsempfanger")', () => {
    const page: Placed[] = [['Nagel-Hübenbecker', 380, 40], ['RECHNUNG', 55, 55], ['Rechnungsnummer: AK-004090', 55, 80], ['Rechnungsdatum: 30.10.2024', 55, 92],
      ['Rechnungsempfanger:', 55, 150], ['Scharf-Roos', 55, 162], ['Kneippstr. 54a', 55, 174], ['55188 Neustadt an der Weinstraße', 55, 186],
      ['Gesamtbetrag', 380, 400], ['119,00 EUR', 480, 400]];
    expect(extractFromOcr(syntheticDoc(page)).fields.receiver_name?.value).toBe('Scharf-Roos');
  });

  describe('the address in an envelope window, when the small sender line above it was not read', () => {
    /** A DIN 5008 letter: the supplier's letterhead in large type, the window address below it on the left, the meta column right. */
    /** Lines in larger or smaller type than the synthetic 10 pt. */
    const sized = (line: Line, factor: number): Line => ({
      ...line, box: { ...line.box, h: line.box.h * factor }, tokens: line.tokens.map((t) => ({ ...t, box: { ...t.box, h: t.box.h * factor } })),
    });
    const letter = (window: Placed[], senderLine: Placed[] = []) => {
      const doc = syntheticDoc([['Falter KG', 400, 57], ...senderLine, ['Bahnhofstraße 34b', 400, 77], ['5479 Großhöflein', 400, 88], ...window,
        ['Rechnungsnummer', 387, 143], ['2025/1903', 387, 151], ['Rechnungsdatum', 387, 164], ['01.02.2025', 387, 173],
        ['Rechnung 2025/1903', 76, 270], ['Gesamtbetrag', 380, 400], ['119,00 EUR', 480, 400]]);
      const lines = doc.pages[0]!.lines;
      // The letterhead is the largest type on the page, the sender line the smallest.
      doc.pages[0]!.lines = lines.map((l, i) => (i === 0 ? sized(l, 1.6) : i <= senderLine.length ? sized(l, 0.6) : l));
      return extractFromOcr(doc).fields;
    };
    const address: Placed[] = [['Boyer SARL', 76, 158], ['55 Impasse de Presbourg', 76, 170], ['23805 Caen', 76, 182], ['Frankreich', 76, 194]];

    it('takes the first line of a flush-left block with a postcode line as the receiver, and leaves the supplier alone', () => {
      expect(letter(address)).toMatchObject({ receiver_name: { value: 'Boyer SARL' }, supplier_name: { value: 'Falter KG' } });
      // What the OCR kept of the sender line stands right above the block in smaller type: it is no part of it.
      expect(letter(address, [['Falter KG', 76, 149], ['ofstraBe 34b-5479 Gr', 130, 149]])).toMatchObject({ receiver_name: { value: 'Boyer SARL' } });
    });

    it.each([
      ['a postcode the OCR glued to its place', ['Scharf-Roos', 'Kneippstr.54a', '55188Neustadt an der Weinstraße', 'Germany']],
      ['a British postcode on a line of its own', ['Ankunding Inc', '4 Rice Side', 'Falkirk', 'FK9 4LA', 'United Kingdom']],
    ])('finds the postcode line of %s', (_name, lines) => {
      expect(letter(lines.map((t, i) => [t, 76, 158 + 12 * i] as Placed)).receiver_name?.value).toBe(lines[0]);
    });

    it('takes nothing from a block without a postcode line, or from one that is not flush left', () => {
      expect(letter(address.map(([t, x, y]) => [t === '23805 Caen' ? 'Caen' : t, x, y] as Placed)).receiver_name).toBeUndefined();
      // A customer number or a reference is no postcode.
      expect(letter(address.map(([t, x, y]) => [t === '23805 Caen' ? '23805CAEN7' : t, x, y] as Placed)).receiver_name).toBeUndefined();
      expect(letter(address.map(([t, x, y]) => [t === '23805 Caen' ? 'AB12 3CD 44' : t, x, y] as Placed)).receiver_name).toBeUndefined();
      expect(letter(address.map(([t, x, y], i) => [t, x + i * 30, y] as Placed)).receiver_name).toBeUndefined();
    });
  });

  it('does not read "P.O. / S.O." as the invoice number', () => {
    const inv = extractFromOcr(syntheticDoc([
      ['ACME SUPPLY CO', 40, 40], ['Invoice No.', 360, 100], ['P.O. / S.O.:', 440, 100], ['Date: 03/04/2023', 360, 115], ['Total', 360, 300], ['$12.00', 480, 300],
    ]));
    expect(inv.fields.invoice_id).toBeUndefined();
  });

  it('reads the number, not the order reference, where both are printed', () => {
    const inv = extractFromOcr(syntheticDoc([
      ['ACME SUPPLY CO', 40, 40], ['P.O. No: 4500012', 360, 85], ['Invoice No: INV-778', 360, 100], ['Date: 03/04/2023', 360, 115], ['Total', 360, 300], ['$12.00', 480, 300],
    ]));
    expect(inv.fields.invoice_id?.value).toBe('INV-778');
    expect(inv.fields.purchase_order?.value).toBe('4500012');
  });

  it('reads the O of an order prefix the OCR took for a zero ("P0-848783"), and no other zero', () => {
    const order = (reference: string) => extractFromOcr(syntheticDoc([
      ['ACME SUPPLY CO', 40, 40], ['Invoice No: INV-778', 360, 100], [`Bon de commande: ${reference}`, 360, 115], ['Total', 360, 300], ['$12.00', 480, 300],
    ])).fields.purchase_order;
    expect(order('P0-848783')).toMatchObject({ value: 'PO-848783', raw: 'P0-848783' });
    for (const kept of ['PO-848783', 'P0848783', 'AB10-77', '4500012']) expect(order(kept)?.value).toBe(kept);
  });
});

describe('the supplier named by the payment details and the footer', () => {
  // A page with no letterhead: the supplier is named only where the invoice is paid and in the legal footer.
  const body: Placed[] = [['ALEXINUX', 390, 115], ['27 rue Henri Rolland', 390, 127], ['69100 Villeurbanne', 390, 139], ['Facture n° 2022089083', 245, 178],
    ['Date : 28/11/2022', 55, 190], ['Total HT :', 375, 365], ['46,68 €', 510, 365], ['TVA 20% :', 375, 390], ['9,34 €', 515, 390], ['Total TTC :', 375, 414], ['56,02 €', 510, 414]];
  const footer: Placed[] = [['NETPRESSE', 280, 795], ['Siège social : 16 rue Mollien - 92100 BOULOGNE', 140, 803], ['Sarl au capital de 10 000€ - RCS Paris B 530 848 134', 150, 811]];

  it('reads the account holder of the bank details as the supplier', () => {
    const inv = extractFromOcr(syntheticDoc([...body, ['Virement : Titulaire du compte : NETPRESSE - IBAN FR76 1010 7002 4500 6170 5231 739', 55, 515]]));
    expect(inv.fields.supplier_name?.value).toBe('NETPRESSE');
  });

  it('reads who received the payment as the supplier, and not the title of a payment receipt', () => {
    const inv = extractFromOcr(syntheticDoc([['PAYMENT RECEIPT', 120, 40], ...body, ['Payment received by NETPRESSE', 55, 515]]));
    expect(inv.fields.supplier_name?.value).toBe('NETPRESSE');
  });

  it('takes no address line set in large type for the letterhead', () => {
    const doc = syntheticDoc([['ACME TRADING', 40, 40], ['Bandar Puteri, Puchong', 40, 60], ['Invoice', 300, 100], ['Invoice No: 4711', 300, 115], ...body.slice(4)], { confidence: 0.9, textSource: 'ocr' });
    // The town line was printed (or scanned) twice the height of the rest: still an address.
    const town = doc.pages[0]!.lines[1]!;
    town.box.h *= 2;
    for (const t of town.tokens) t.box.h *= 2;
    expect(extractFromOcr(doc).fields.supplier_name?.value).toBe('ACME TRADING');
  });

  it('takes the name above a footer line that starts with the legal form, not the legal form itself', () => {
    const inv = extractFromOcr(syntheticDoc([...body, ...footer]));
    expect(inv.fields.supplier_name?.value).toBe('NETPRESSE');
  });
});

describe('the currency when no mark of it was read', () => {
  // PP-OCR writes no euro sign: "€170.89" comes out "170.89", and nothing else on the page names the currency.
  const page = (payment: Placed[]): Placed[] => [['Cárdenas Castañeda', 380, 40], ['INVOICE', 55, 55], ['Invoice No.: RE25002980', 55, 80],
    ['Invoice Date: 28 February 2025', 55, 92], ['Total:', 300, 400], ['206.78', 480, 400], ...payment];

  it('takes the currency of the supplier\'s bank or VAT country as a weak hint', () => {
    const byIban = extractFromOcr(syntheticDoc(page([['IBAN: ES18 3290 2377 1958 2670 2616', 55, 500]]))).fields.currency;
    expect(byIban).toMatchObject({ value: 'EUR', source: 'derived' });
    expect(byIban!.confidence).toBeLessThan(0.5);
    expect(extractFromOcr(syntheticDoc(page([['VAT No.: GB591661420', 380, 70]]))).fields.currency?.value).toBe('GBP');
  });

  it('keeps a currency printed on the page over the bank\'s country, and guesses none without either', () => {
    expect(extractFromOcr(syntheticDoc(page([['IBAN: ES18 3290 2377 1958 2670 2616', 55, 500], ['All amounts in USD', 55, 520]]))).fields.currency?.value).toBe('USD');
    expect(extractFromOcr(syntheticDoc(page([]))).fields.currency).toBeUndefined();
  });
});

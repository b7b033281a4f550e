import { describe, expect, it } from 'vitest';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import { documentFromTsv } from '../eval/second-reading.js';

/**
 * The second reading of the evaluation (test/eval/second-reading.ts): native tesseract's TSV becomes the
 * project's OCR document, words grouped into their lines, boxes normalized to the page, so that the same
 * extraction reads it.
 */
const HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';
const row = (level: number, block: number, line: number, word: number, box: [number, number, number, number], conf: number, text = '') =>
  [level, 1, block, 1, line, word, ...box, conf, text].join('\t');

describe('the second reading', () => {
  it('groups the words of each line, normalizes boxes and confidences, and reads as a receipt', () => {
    const tsv = [
      HEADER,
      row(1, 0, 0, 0, [0, 0, 400, 800], -1),
      row(4, 1, 1, 0, [20, 40, 300, 20], -1),
      row(5, 1, 1, 1, [20, 40, 120, 20], 91.5, 'KEDAI'), row(5, 1, 1, 2, [150, 40, 170, 20], 88, 'PAPAN SDN BHD'),
      row(5, 1, 2, 1, [20, 100, 140, 18], 90, 'TAX INVOICE'),
      row(5, 1, 3, 1, [20, 130, 160, 18], 93, 'Date: 06/03/2018'),
      row(5, 2, 1, 1, [20, 300, 80, 18], 95, 'TOTAL'), row(5, 2, 1, 2, [300, 300, 60, 18], 96, '127.20'),
      row(5, 2, 2, 1, [20, 330, 80, 18], 95, 'CASH'), row(5, 2, 2, 2, [300, 330, 60, 18], 96, '150.00'),
      row(5, 2, 3, 1, [20, 360, 80, 18], 95, 'CHANGE'), row(5, 2, 3, 2, [300, 360, 60, 18], 96, '22.80'),
      row(5, 2, 4, 1, [20, 400, 80, 18], -1, ' '),
    ].join('\n');
    const doc = documentFromTsv(tsv, 'image/jpeg');
    const lines = doc.pages[0]!.lines;
    expect(lines.map((l) => l.text)).toEqual(['KEDAI PAPAN SDN BHD', 'TAX INVOICE', 'Date: 06/03/2018', 'TOTAL 127.20', 'CASH 150.00', 'CHANGE 22.80']);
    expect(lines[0]!.tokens[0]).toMatchObject({ box: { x: 0.05, y: 0.05, w: 0.3, h: 0.025 }, confidence: 0.915 });
    expect(lines[0]!.box).toMatchObject({ x: 0.05, w: 0.75 });
    expect(doc.pages[0]).toMatchObject({ textSource: 'ocr', height: 841.68 });
    expect(doc.pages[0]!.width).toBeCloseTo(420.84, 6);
    const inv = extractInvoice(doc, { einvoice: false });
    expect(inv.documentType).toBe('receipt');
    expect(inv.fields.total_amount?.value).toBe(127.2);
    expect(inv.fields.invoice_date?.value).toBe('2018-03-06');
  });

  it('refuses a TSV without a page row', () => {
    expect(() => documentFromTsv(`${HEADER}\n${row(5, 1, 1, 1, [0, 0, 10, 10], 90, 'x')}`, 'image/png')).toThrow(/without a page row/);
  });
});

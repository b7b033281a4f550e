import { describe, expect, it } from 'vitest';
import { assertLooksLikeInvoice } from '../../functions/core/invoice/plausibility.js';
import { emptyInvoice } from '../../functions/core/invoice/invoice.js';
import type { OcrDocument } from '../../functions/core/ocr-document.js';

const doc = (text: string): OcrDocument => ({
  schemaVersion: 1, mimeType: 'image/png', text, pages: [], entities: [], embeddedFiles: [],
  engine: { name: 'test', version: '1' }, elapsedMs: 0,
});

describe('assertLooksLikeInvoice', () => {
  it('rejects a readable document with no key field and no invoice word', () => {
    expect(() => assertLooksLikeInvoice(emptyInvoice('ocr'), doc('Meeting notes\nAgenda: roadmap, hiring'))).toThrow(
      expect.objectContaining({ code: 'NOT_AN_INVOICE' }),
    );
  });
  it.each(['INVOICE', 'Rechnungsnummer', 'Facture n°', 'Credit note'])('keeps a document titled %s', (title) => {
    expect(() => assertLooksLikeInvoice(emptyInvoice('ocr'), doc(`${title}\nsomething`))).not.toThrow();
  });
  it('keeps a document with one key field even without a title', () => {
    const inv = emptyInvoice('ocr');
    inv.fields.total_amount = { value: 12, confidence: 0.5, source: 'layout' };
    expect(() => assertLooksLikeInvoice(inv, doc('Summe 12,00'))).not.toThrow();
  });
  it('keeps a scan the OCR engine could not read (a damaged scan is for review, not the bin)', () => {
    const tokens = ['ä', 'ha', 'TE', 'Eh'].map((text) => ({ text, box: { x: 0.1, y: 0.9, w: 0.05, h: 0.01 }, confidence: 0.3 }));
    const scan: OcrDocument = {
      ...doc('ä ha TE Eh'),
      pages: [{ pageNumber: 1, width: 300, height: 800, textSource: 'ocr', quality: null, languages: [], lines: [{ text: 'ä ha TE Eh', box: { x: 0.1, y: 0.9, w: 0.3, h: 0.01 }, confidence: 0.3, tokens }] }],
    };
    expect(() => assertLooksLikeInvoice(emptyInvoice('ocr'), scan)).not.toThrow();
  });
  it('never rejects an e-invoice', () => {
    expect(() => assertLooksLikeInvoice(emptyInvoice('einvoice'), doc(''))).not.toThrow();
  });
});

import { PermanentError, RejectReason } from '../errors.js';
import type { OcrDocument } from '../ocr-document.js';
import type { Invoice } from './invoice.js';

/** Confidently read words below which a page is too damaged to be judged. */
const MIN_READABLE_WORDS = 5;

/** Words that title an invoice-like document (receipts included) in the languages the extractor reads. */
const INVOICE_WORDS = /(?<![\p{L}])(?:invoice|bill|receipt|credit\s*note|rechnung\p{L}*|gutschrift|quittung|kassenbon|facture|avoir|re[çc]u|ticket\s+de\s+caisse|factuur|faktura)(?![\p{L}])/iu;

/**
 * Rejects a readable document that is not an invoice at all (a photo, meeting notes, a letter): none of the
 * key fields (number, date, total) could be found AND no invoice word appears anywhere. Anything with one of
 * them stays an invoice: a damaged invoice belongs in review, not in the bin. A receipt (a simplified tax
 * invoice, which an AP inbox receives every day) and a credit note are documents of the inbox too: never
 * rejected here.
 * @throws PermanentError NOT_AN_INVOICE
 */
export function assertLooksLikeInvoice(invoice: Invoice, doc: OcrDocument): void {
  if (invoice.extraction.method === 'einvoice') return;
  if (invoice.documentType === 'receipt' || invoice.documentType === 'credit_note') return;
  // An OCR engine that read (almost) nothing from a scan says nothing about what the document is: a damaged
  // scan of an invoice belongs in review, not in the bin.
  const tokens = doc.pages.flatMap((p) => p.lines.flatMap((l) => l.tokens));
  if (tokens.length > 0 && tokens.filter((t) => t.confidence >= 0.6 && /\p{L}{2}/u.test(t.text)).length < MIN_READABLE_WORDS) return;
  const { invoice_id, invoice_date, total_amount } = invoice.fields;
  if (invoice_id || invoice_date || total_amount) return;
  if (INVOICE_WORDS.test(doc.text)) return;
  throw new PermanentError(RejectReason.NOT_AN_INVOICE, 'no invoice number, date or total and no invoice title found', {
    pages: doc.pages.length,
    lines: doc.pages.reduce((n, p) => n + p.lines.length, 0),
  });
}

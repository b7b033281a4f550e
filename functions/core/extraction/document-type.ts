import type { DocumentType } from '../invoice/invoice.js';
import type { PageLayout } from './layout.js';

/**
 * What kind of document the page is: an invoice, a credit note (which reverses an invoice) or a receipt (a
 * till receipt or simplified tax invoice: paid on the spot, usually without a number the buyer books against,
 * a due date or a buyer). Decided from the title (a short line near the top, or a title that carries the
 * number label, "Gutschrift Nr."), never from a word in running text ("credit notes are issued within 30
 * days"), and for receipts from the structure of a till slip: payment lines (cash, change, tendered, card), a
 * narrow page, the absence of an invoice's parts (due date, bill-to, payment terms, bank account).
 */


const W = (re: string) => new RegExp(String.raw`(?<![\p{L}])(?:${re})(?![\p{L}])`, 'iu');

const CREDIT_NOTE_TITLE = W(String.raw`credit\s*note|credit\s*memo|gutschrift(?:sanzeige)?|rechnungskorrektur|korrekturrechnung|stornorechnung|storno|avoir|facture\s+d['’]avoir|note\s+de\s+cr[ée]dit|creditnota|creditfactuur`);
const RECEIPT_TITLE = W(String.raw`(?:official\s+|cash\s+|sales\s+|till\s+|payment\s+)?receipt|cash\s*(?:sale|bill)|simplified\s+tax\s+invoice|kassenbon|kassenbeleg|kassenzettel|quittung|ticket\s+de\s+caisse|re[çc]u|kassabon|kassaticket`);
const INVOICE_TITLE = W(String.raw`(?:tax\s+|commercial\s+|proforma\s+|pro[\s-]forma\s+)?invoice|bill|rechnung|facture|factuur|faktura`);
/** Lines of a till slip: how it was paid and what was given back. */
const PAYMENT_LINE = W(String.raw`cash|change|tendered|tender|payment(?=\s*[:=]?\s*(?:-?\s*\d|$))|paid\s+amount|amount\s+paid|bar|bargeld|gegeben|r[üu]ckgeld|wechselgeld|esp[èe]ces|rendu|monnaie\s+rendue|visa|master\s*card|mastercard|debit\s+card|credit\s+card|card\s+payment|ec[-\s]karte|girocard|carte\s+bancaire|cb`);
const THANKS = W(String.raw`thank\s+you|thanks|please\s+come\s+again|vielen\s+dank|danke|merci|bedankt|goods\s+sold\s+are\s+not\s+(?:returnable|refundable)`);
const INVOICE_PARTS = W(String.raw`due\s+date|payment\s+terms|bill(?:ed)?\s+to|invoice\s+to|iban|bic|swift|f[äa]llig\p{L}*|zahlungsziel|zahlungsbedingungen|rechnungsempf[äa]nger|[ée]ch[ée]ance|conditions\s+de\s+(?:paiement|r[èe]glement)|factur[ée]\s+[àa]|vervaldatum`);

export interface DocumentTypeDecision {
  type: DocumentType;
  /** Which piece of evidence decided (for the extraction's warnings and the unit tests). */
  evidence: 'credit-note-title' | 'receipt-title' | 'receipt-structure' | 'invoice-title' | 'none';
}

/** A title-like segment: near the top of its page, or short (a heading), not a sentence. */
function titleLike(text: string, y: number): boolean {
  const words = text.trim().split(/\s+/).length;
  return words <= 6 || (y < 0.35 && words <= 10);
}

export function classifyDocument(layouts: readonly PageLayout[]): DocumentTypeDecision {
  const first = layouts[0];
  if (!first) return { type: 'unknown', evidence: 'none' };
  const segments = layouts.flatMap((p) => p.segments.map((s) => ({ s, top: p.page === first.page && s.box.y < 0.45 })));

  // A credit-note title anywhere on page 1's upper half, or a credit-note label with a number anywhere.
  const creditTitle = segments.some(({ s, top }) => CREDIT_NOTE_TITLE.test(s.text)
    && ((top && titleLike(s.text, s.box.y)) || new RegExp(CREDIT_NOTE_TITLE.source + String.raw`[^\n]{0,30}?(?:n[°º]|nr\.?|no\.?|number|nummer|num[ée]ro|#)`, 'iu').test(s.text)));
  if (creditTitle) return { type: 'credit_note', evidence: 'credit-note-title' };

  const receiptTitle = segments.some(({ s, top }) => top && RECEIPT_TITLE.test(s.text) && titleLike(s.text, s.box.y));
  const invoiceTitle = segments.some(({ s, top }) => top && INVOICE_TITLE.test(s.text) && titleLike(s.text, s.box.y));
  if (receiptTitle && !segments.some(({ s }) => INVOICE_PARTS.test(s.text))) return { type: 'receipt', evidence: 'receipt-title' };

  // The structure of a till slip, each clue weak alone.
  let clues = 0;
  const paymentRows = segments.filter(({ s }) => PAYMENT_LINE.test(s.text) && s.text.trim().split(/\s+/).length <= 6).length;
  if (paymentRows > 0) clues += 1;
  if (paymentRows > 1) clues += 0.5;
  if (first.width / first.height < 0.6) clues += 1;
  if (segments.some(({ s }) => THANKS.test(s.text))) clues += 0.5;
  if (receiptTitle) clues += 1;
  if (!segments.some(({ s }) => INVOICE_PARTS.test(s.text))) clues += 0.5;
  else clues -= 1;
  if (layouts.length > 1) clues -= 1;
  if (clues >= 2) return { type: 'receipt', evidence: 'receipt-structure' };
  if (invoiceTitle || segments.some(({ s }) => INVOICE_TITLE.test(s.text))) return { type: 'invoice', evidence: 'invoice-title' };
  return { type: 'unknown', evidence: 'none' };
}

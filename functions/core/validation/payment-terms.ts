/**
 * Reads the number of days in printed payment terms ("Net 30", "30 Tage netto", "à 45 jours fin de mois",
 * "due on receipt"). Hand-written because no maintained library parses payment terms; it covers the
 * English, German and French phrasings the extractor meets and returns undefined for anything else.
 */
export interface PaymentTerms {
  days: number;
  /** "end of month" terms: the due date is the last day of the month reached after `days`. */
  endOfMonth: boolean;
}

const IMMEDIATE = /\b(due (up)?on receipt|upon receipt|payable immediately|immediately|sofort|umgehend|ohne abzug|à réception|a reception|comptant|cash)\b/i;
const DAYS = /(\d{1,3})\s*(?:calendar\s+)?(?:days?|d\b|tage?n?|jours?|j\b|dias?|días|giorni|dagen)/gi;
const NET = /\b(?:net|netto|n)\s*(\d{1,3})\b/gi;
const END_OF_MONTH = /\b(end of (the )?month|eom|fin de mois|fdm|monatsende|ende des monats)\b/i;

/** Undefined when no term can be read. With several numbers (early-payment discounts), the longest wins: that is the net term. */
export function parsePaymentTerms(text: string): PaymentTerms | undefined {
  const endOfMonth = END_OF_MONTH.test(text);
  const days = [...text.matchAll(DAYS), ...text.matchAll(NET)].map((m) => Number(m[1])).filter((d) => d <= 365);
  if (days.length > 0) return { days: Math.max(...days), endOfMonth };
  if (IMMEDIATE.test(text)) return { days: 0, endOfMonth };
  if (endOfMonth) return { days: 0, endOfMonth };
  return undefined;
}

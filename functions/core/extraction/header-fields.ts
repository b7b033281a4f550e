import type { Box } from '../geometry.js';
import type { DateOrder } from '../invoice/invoice.js';
import { best, searchLabelled, type Candidate } from './candidates.js';
import { toIsoDate, isOrderSensitive, type DateMatch } from './dates.js';
import type { PageLayout } from './layout.js';
import { parseInvoiceId, parseReference, parseText } from './value-parsers.js';

/**
 * Header fields found by label and layout: invoice number, payment terms and purchase order (the dates
 * and the money fields are chosen jointly, see date-fields.ts and amounts.ts). Every function returns a scored pick with its page and box, or undefined.
 */

export interface Pick<T> {
  value: T;
  raw: string;
  score: number;
  page: number;
  box: Box;
  source: 'layout' | 'pattern' | 'derived';
}

function toPick<T>(c: Candidate<T> | undefined): Pick<T> | undefined {
  return c && { value: c.value, raw: c.raw, score: c.score, page: c.page, box: c.box, source: 'layout' };
}

export function extractInvoiceId(layouts: readonly PageLayout[]): { pick?: Pick<string>; candidate?: Candidate<string> } {
  const cands = searchLabelled(layouts, 'invoice_id', parseInvoiceId, {
    pick: 'first',
    rejectBefore: /(?:customer|kunden|client|order|bestell|auftrags?|account|tax|vat|steuer|lieferschein|klant|ursprungs)[\s-]*$/i,
    maxInlineGap: 12,
  });
  const top = best(cands, 'earliest');
  const pick = toPick(top);
  return { ...(pick ? { pick } : {}), ...(top ? { candidate: top } : {}) };
}

/** ISO date of a pick under the document's date order, or undefined when it is not a real date. */
export function isoOf(pick: Pick<DateMatch> | undefined, order: DateOrder): { iso: string; orderSensitive: boolean } | undefined {
  if (!pick) return undefined;
  const iso = toIsoDate(pick.value, order) ?? toIsoDate(pick.value, order === 'MDY' ? 'DMY' : 'MDY');
  return iso ? { iso, orderSensitive: isOrderSensitive(pick.value) } : undefined;
}

export function extractPaymentTerms(layouts: readonly PageLayout[]): Pick<string> | undefined {
  return toPick(best(searchLabelled(layouts, 'payment_terms', parseText, { pick: 'first' })));
}

export function extractPurchaseOrder(layouts: readonly PageLayout[]): Pick<string> | undefined {
  return toPick(best(searchLabelled(layouts, 'purchase_order', parseReference, { pick: 'first', maxInlineGap: 12 })));
}

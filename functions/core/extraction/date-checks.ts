import type { DateOrder } from '../invoice/invoice.js';
import { toIsoDate, type DateMatch } from './dates.js';

/**
 * Cross-checks that settle the day/month order from the page itself: an issue and a due date that only make
 * sense one way round (due 0-180 days after issue), or whose distance equals the printed payment term.
 */

const DAY = 86_400_000;
const TERM_DAYS = /(?<!\d)(\d{1,3})\s*(?:days?|tage?n?|jours|dagen)(?![\p{L}])/iu;

/** The number of days of a payment term ("Net 30 days", "30 Tage", "à 45 jours"), if printed. */
export function termDays(terms: string | undefined): number | undefined {
  const m = terms ? TERM_DAYS.exec(terms) : null;
  return m ? Number(m[1]) : undefined;
}

function span(issue: DateMatch, due: DateMatch, order: DateOrder): number | null {
  const a = toIsoDate(issue, order), b = toIsoDate(due, order);
  return a && b ? Math.round((Date.parse(b) - Date.parse(a)) / DAY) : null;
}

const plausible = (days: number | null) => days !== null && days >= 0 && days <= 180;

/**
 * True when the issue/due pair reads plausibly under `order` and not under the other order, or when only
 * `order` gives the printed payment term. False when either date is missing or the check cannot tell.
 */
export function orderConfirmed(issue: DateMatch | undefined, due: DateMatch | undefined, order: DateOrder, terms?: number): boolean {
  if (!issue || !due) return false;
  const chosen = span(issue, due, order);
  const other = span(issue, due, order === 'MDY' ? 'DMY' : 'MDY');
  if (!plausible(chosen)) return false;
  if (!plausible(other)) return true;
  return terms !== undefined && chosen === terms && other !== terms;
}

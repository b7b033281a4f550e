import type { Invoice } from '../invoice/invoice.js';
import { outcome, skipped } from './check.js';
import { ValidationCodes as C } from './codes.js';
import type { ValidationConfig } from './config.js';
import { parsePaymentTerms } from './payment-terms.js';
import type { ValidationResult } from './result.js';

const DAY_MS = 86_400_000;

/** Milliseconds of an ISO date at 00:00 UTC; NaN when it is not a real calendar date. */
export function isoDayMs(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  // Date.parse rolls 2024-02-30 over to March: reject dates that do not round-trip.
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date ? Number.NaN : ms;
}

/**
 * Date checks: invoice date not in the future (with grace), due date not before invoice date, invoice date
 * in a plausible range (warning), due date consistent with payment terms (warning).
 */
export function checkDates(invoice: Invoice, now: Date, cfg: ValidationConfig['dates']): ValidationResult[] {
  const results: ValidationResult[] = [];
  const invoiceDate = invoice.fields.invoice_date?.value;
  const dueDate = invoice.fields.due_date?.value;
  const inv = invoiceDate === undefined ? Number.NaN : isoDayMs(invoiceDate);
  const due = dueDate === undefined ? Number.NaN : isoDayMs(dueDate);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());

  if (Number.isNaN(inv)) {
    const reason = invoiceDate === undefined ? 'invoice_date missing' : 'invoice_date is not a calendar date';
    results.push(skipped(C.dateNotFuture, reason, ['invoice_date']), skipped(C.datePlausible, reason, ['invoice_date']));
  } else {
    const daysAhead = Math.round((inv - today) / DAY_MS);
    const future = daysAhead > cfg.futureGraceDays;
    results.push(
      outcome(C.dateNotFuture, 'error', !future,
        future ? `invoice_date is ${daysAhead} days in the future` : 'invoice_date not in the future',
        ['invoice_date'], { daysAhead, graceDays: cfg.futureGraceDays }),
    );
    const earliest = isoDayMs(cfg.earliest);
    const oldest = Date.UTC(now.getUTCFullYear() - cfg.maxAgeYears, now.getUTCMonth(), now.getUTCDate());
    const ageDays = Math.round((today - inv) / DAY_MS);
    const tooEarly = inv < earliest;
    const tooOld = inv < oldest;
    results.push(
      outcome(C.datePlausible, 'warning', !tooEarly && !tooOld,
        tooEarly ? 'invoice_date before the plausible range' : tooOld ? `invoice_date older than ${cfg.maxAgeYears} years` : 'invoice_date in the plausible range',
        ['invoice_date'], { ageDays, maxAgeYears: cfg.maxAgeYears }),
    );
  }

  if (Number.isNaN(inv) || Number.isNaN(due)) {
    const reason = Number.isNaN(inv) ? 'invoice_date missing or invalid' : 'due_date missing or invalid';
    results.push(skipped(C.dueAfterInvoice, reason, ['invoice_date', 'due_date']));
  } else {
    const gapDays = Math.round((due - inv) / DAY_MS);
    results.push(
      outcome(C.dueAfterInvoice, 'error', gapDays >= 0,
        gapDays >= 0 ? 'due_date on or after invoice_date' : `due_date is ${-gapDays} days before invoice_date`,
        ['invoice_date', 'due_date'], { gapDays }),
    );
  }

  const termsText = invoice.fields.payment_terms?.value;
  const terms = termsText === undefined ? undefined : parsePaymentTerms(termsText);
  if (Number.isNaN(inv) || Number.isNaN(due) || terms === undefined) {
    const reason = termsText === undefined ? 'payment_terms missing' : terms === undefined ? 'payment_terms not understood' : 'invoice_date or due_date missing';
    results.push(skipped(C.paymentTerms, reason, ['payment_terms', 'invoice_date', 'due_date']));
  } else {
    let expected = inv + terms.days * DAY_MS;
    if (terms.endOfMonth) {
      const d = new Date(expected);
      expected = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0);
    }
    const offDays = Math.round((due - expected) / DAY_MS);
    const ok = Math.abs(offDays) <= cfg.paymentTermsToleranceDays;
    results.push(
      outcome(C.paymentTerms, 'warning', ok,
        ok ? 'due_date matches payment_terms' : `due_date is ${offDays} days off the payment_terms`,
        ['payment_terms', 'invoice_date', 'due_date'], { termDays: terms.days, endOfMonth: terms.endOfMonth, offDays, toleranceDays: cfg.paymentTermsToleranceDays }),
    );
  }
  return results;
}

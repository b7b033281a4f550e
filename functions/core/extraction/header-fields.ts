import type { Box } from '../geometry.js';
import type { DateOrder } from '../invoice/invoice.js';
import { best, searchLabelled, type Candidate } from './candidates.js';
import { findDates, toIsoDate, isOrderSensitive, type DateMatch } from './dates.js';
import type { PageLayout, Segment } from './layout.js';
import { subBox } from './layout.js';
import { findAmounts, type DecimalSeparator } from './numbers.js';
import { moneyParser, parseDate, parseInvoiceId, parseReference, parseText, type MoneyValue } from './value-parsers.js';

/**
 * Header fields found by label and layout: invoice number, dates, amounts, payment terms and purchase
 * order. Every function returns a scored pick with its page and box, or undefined.
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

const NOT_INVOICE_DATE = /(?:due|order|delivery|ship\w*|check[- ]?(?:in|out)|payment|bestell|liefer\w*|leistungs|fälligkeits?|auftrag\w*|échéance|limite|livraison|commande|verval|period|service|start|end|birth|ursprungs\w*)[\s.:-]*$/i;

export interface DatePicks {
  invoiceDate?: Pick<DateMatch>;
  dueDate?: Pick<DateMatch>;
}

/** Invoice and due dates as raw matches; the caller converts them once the date order is decided. */
export function extractDates(layouts: readonly PageLayout[], idCandidate: Candidate<string> | undefined): DatePicks {
  const cands = searchLabelled(layouts, 'invoice_date', parseDate, { pick: 'first', rejectBefore: NOT_INVOICE_DATE, maxInlineGap: 30 });
  // "Invoice No. 123 of/vom/du 05.03.2018": the date printed right after the number on its own line.
  if (idCandidate) {
    const seg = idCandidate.segment;
    const at = seg.text.indexOf(idCandidate.raw);
    const rest = at >= 0 ? seg.text.slice(at + idCandidate.raw.length) : '';
    const m = /^\s*(?:vom|du|of|dated|from|le|van)\s+/i.exec(rest);
    if (m) {
      const d = findDates(rest.slice(m[0].length))[0];
      if (d && d.index === 0) {
        const offset = at + idCandidate.raw.length + m[0].length;
        cands.push({ ...idCandidate, value: d, raw: d.raw, score: 0.95, relation: 'inline', box: subBox(seg, offset, offset + d.length) } as Candidate<DateMatch>);
      }
    }
  }
  let invoiceDate = toPick(best(cands, 'earliest'));
  if (!invoiceDate) invoiceDate = firstDateFallback(layouts);
  const dueCands = searchLabelled(layouts, 'due_date', parseDate, { pick: 'first', maxInlineGap: 30 });
  const dueDate = toPick(best(dueCands, 'earliest'));
  return { ...(invoiceDate ? { invoiceDate } : {}), ...(dueDate ? { dueDate } : {}) };
}

/** No labelled date: the first date in the upper half of page 1 that no other label claims. */
function firstDateFallback(layouts: readonly PageLayout[]): Pick<DateMatch> | undefined {
  const page = layouts[0];
  if (!page) return undefined;
  for (const seg of page.segments) {
    if (seg.box.y > 0.5) break;
    for (const d of findDates(seg.text)) {
      if (NOT_INVOICE_DATE.test(seg.text.slice(Math.max(0, d.index - 24), d.index))) continue;
      return { value: d, raw: d.raw, score: 0.35, page: page.page, box: subBox(seg, d.index, d.index + d.length), source: 'pattern' };
    }
  }
  return undefined;
}

/** ISO date of a pick under the document's date order, or undefined when it is not a real date. */
export function isoOf(pick: Pick<DateMatch> | undefined, order: DateOrder): { iso: string; orderSensitive: boolean } | undefined {
  if (!pick) return undefined;
  const iso = toIsoDate(pick.value, order) ?? toIsoDate(pick.value, order === 'MDY' ? 'DMY' : 'MDY');
  return iso ? { iso, orderSensitive: isOrderSensitive(pick.value) } : undefined;
}

export interface AmountPicks {
  total?: Pick<MoneyValue>;
  net?: Pick<MoneyValue>;
  tax?: Pick<MoneyValue>;
  due?: Pick<MoneyValue>;
}

const NOT_GROSS_AFTER = /^\s*[:.]?\s*(?:h\.?t\.?(?![\p{L}])|hors|net(?:to)?(?![\p{L}])|excl|exkl|ohne|exclusief|before|vat(?![\p{L}])|tax(?![\p{L}])|taxes|tva|mwst|ust|btw|gst|qty|quantity|menge)/iu;
const NOT_TAX_AFTER = /^\s*[-.:]?\s*(?:id|nr|nummer|number|no(?![\p{L}])|reg|identifi|intra|code|exempt|free|%\s*$)/iu;
const NOT_TAX_BEFORE = /(?:incl\.?|inkl\.?|including|excl\.?|exkl\.?|ohne|uw|your|ihre|votre|prijs|price|prices|preise|prix)\s*$/i;
const cents = (a: number, b: number) => Math.abs(a - b) < 0.011;

/** Total, net, tax and amount due, cross-checked: a total that equals net + tax wins over one that does not. */
export function extractAmounts(layouts: readonly PageLayout[], hint: DecimalSeparator | undefined): AmountPicks {
  const money = moneyParser(hint);
  const totals = searchLabelled(layouts, 'total_amount', money, {
    pick: 'last', rejectBefore: /(?:sub|zwischen|sous)[\s-]*$/i, rejectAfter: NOT_GROSS_AFTER, columnLast: true,
  });
  const nets = searchLabelled(layouts, 'net_amount', money, { pick: 'last', columnLast: true });
  const taxes = searchLabelled(layouts, 'total_tax_amount', money, { pick: 'last', rejectAfter: NOT_TAX_AFTER, rejectBefore: NOT_TAX_BEFORE });
  const dues = searchLabelled(layouts, 'amount_due', money, { pick: 'last', rejectBefore: /(?:sub)[\s-]*$/i });

  const taxValues = [...new Set(taxes.map((t) => t.value.amount))];
  const taxSum = taxValues.reduce((s, v) => s + v, 0);
  const netValues = [...new Set(nets.map((n) => n.value.amount))];
  for (const t of totals) {
    const total = t.value.amount;
    const consistent = netValues.some((n) => n !== total && (taxValues.some((x) => x !== 0 && cents(n + x, total)) || (taxValues.length > 1 && cents(n + taxSum, total))));
    if (consistent) t.score += 0.3;
    // A zero or negative total is possible (credit notes) but rarer than a mislabelled line.
    if (total === 0) t.score -= 0.2;
  }
  let total = toPick(best(totals, 'latest'));
  const net = toPick(best(nets, 'latest'));
  const tax = toPick(best(taxes, 'latest'));
  let due = toPick(best(dues, 'latest'));
  if (!total) total = largestAmountFallback(layouts, hint);
  if (!total && net && tax) {
    total = { value: { amount: round2(net.value.amount + tax.value.amount) }, raw: '', score: Math.min(net.score, tax.score) * 0.7, page: net.page, box: net.box, source: 'derived' };
  }
  // Without a separate "amount due" line the total is what is owed, unless a prepayment is printed.
  if (!due && total && total.source === 'layout' && !hasPrepayment(layouts)) {
    due = { ...total, score: total.score * 0.8, source: 'derived' };
  }
  return { ...(total ? { total } : {}), ...(net ? { net } : {}), ...(tax ? { tax } : {}), ...(due ? { due } : {}) };
}

const PREPAID = /(?<![\p{L}])(?:paid|prepaid|prepayment|deposit|amount\s+paid|anzahlung|bereits\s+(?:bezahlt|gezahlt)|vorauszahlung|acompte|déjà\s+(?:payé|réglé)|aanbetaling|betaald)(?![\p{L}])/iu;

function hasPrepayment(layouts: readonly PageLayout[]): boolean {
  return layouts.some((p) => p.segments.some((s) => PREPAID.test(s.text)));
}

/** No total label at all: the largest money amount of the document, weakly. */
function largestAmountFallback(layouts: readonly PageLayout[], hint: DecimalSeparator | undefined): Pick<MoneyValue> | undefined {
  let top: { seg: Segment; a: ReturnType<typeof findAmounts>[number] } | undefined;
  for (const page of layouts) {
    for (const seg of page.segments) {
      for (const a of findAmounts(seg.text, hint)) {
        if (!a.hasDecimals) continue;
        if (!top || a.value > top.a.value) top = { seg, a };
      }
    }
  }
  if (!top) return undefined;
  return { value: { amount: top.a.value }, raw: top.a.raw, score: 0.3, page: top.seg.page, box: subBox(top.seg, top.a.index, top.a.index + top.a.length), source: 'pattern' };
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export function extractPaymentTerms(layouts: readonly PageLayout[]): Pick<string> | undefined {
  return toPick(best(searchLabelled(layouts, 'payment_terms', parseText, { pick: 'first' })));
}

export function extractPurchaseOrder(layouts: readonly PageLayout[]): Pick<string> | undefined {
  return toPick(best(searchLabelled(layouts, 'purchase_order', parseReference, { pick: 'first', maxInlineGap: 12 })));
}

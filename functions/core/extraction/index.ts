import type { AmountField, DateField, HeaderFields, Invoice, TextField } from '../invoice/invoice.js';
import type { OcrDocument } from '../ocr-document.js';
import { amountCandidates, chooseAmounts, hasRoundingLine, type AmountCandidate, type JointAmounts } from './amounts.js';
import { calibrateFields, pageMedia } from './calibration.js';
import { combine, competition, readFactor, weighByReading } from './confidence.js';
import { orderConfirmed, termDays } from './date-checks.js';
import { chooseDates, dateCandidates, type DateCandidate } from './date-fields.js';
import { findDates, resolveDateOrder, toIsoDate, type DateMatch } from './dates.js';
import { currencyOfCountry, currencyOfMark, detectCurrency } from './currency.js';
import { classifyDocument } from './document-type.js';
import { headerFromEntities, tablesFromEntities } from './entities.js';
import { extractInvoiceId, extractPaymentTerms, extractPurchaseOrder, isoOf, type Pick } from './header-fields.js';
import { detectLanguage } from './labels.js';
import { buildLayout } from './layout.js';
import { extractLineItems, extractVatLines } from './line-items.js';
import { dominantDecimalSeparator } from './numbers.js';
import { extractIban, extractTaxIds } from './identifiers.js';
import { extractReceiver, extractSupplier } from './parties.js';

export { parseAmount, findAmounts, dominantDecimalSeparator } from './numbers.js';
export { findDates, resolveDateOrder, toIsoDate } from './dates.js';
export { detectCurrency, currencyOfMark } from './currency.js';
export { findLabels, detectLanguage } from './labels.js';
export { normalizeVatId } from './identifiers.js';

export interface ExtractOptions {
  /** "Today" for plausibility checks of dates; defaults to none (no check). */
  referenceDate?: Date;
  /**
   * Keep the raw evidence scores instead of the calibrated confidences (calibration.ts): only for fitting
   * the calibration (test/eval/fit-calibration.ts).
   */
  rawConfidences?: boolean;
}

/**
 * Marks of countries that print the day before the month: the names of their taxes, and the legal forms of
 * Malaysia, Singapore, Australia and India ("Sdn Bhd", "Pte Ltd", "Pty Ltd", "Pvt Ltd"), which a receipt still
 * prints where the OCR misread its tax line ("XGST").
 */
const DAY_FIRST_MARKS = /(?<![\p{L}])(?:vat|gst|sst|tva|mwst|ust|btw|iva|sdn\.?\s*bhd|bhd|berhad|pte\.?\s*ltd|pty\.?\s*ltd|pvt\.?\s*ltd)(?![\p{L}])/iu;

const clamp = (v: number) => Math.max(0.01, Math.min(0.99, Number(v.toFixed(3))));

function textOf(p: Pick<string> | undefined): TextField | undefined {
  return p && { value: p.value, confidence: clamp(p.score), source: p.source, raw: p.raw, pageNumber: p.page, box: p.box };
}

/**
 * Sign convention for credit notes: amounts keep the sign the document gives its total (as the e-invoice path
 * keeps the sign of the XML), and the document type, not the sign, says that it is a credit note. Within one
 * document the signs agree: a credit note printing "Total -119,00" over positive net and VAT lines is read as
 * -119.00 / -100.00 / -19.00; one printing positive amounts under an "Avoir" title stays positive. Validation
 * compares a credit note's arithmetic on magnitudes (validation/arithmetic.ts).
 */
function signed(value: number, negative: boolean): number {
  return negative ? -Math.abs(value) : value;
}

function amountField(c: AmountCandidate | undefined, confidence: number, negative: boolean, derived = false): AmountField | undefined {
  if (!c) return undefined;
  return {
    value: signed(c.value, negative), confidence: clamp(confidence), source: derived ? 'derived' : 'layout',
    ...(c.raw ? { raw: c.raw } : {}), pageNumber: c.page, box: c.box,
  };
}

const AGREEMENT_WEIGHT: Record<string, number> = {
  'net+tax': 0.85, 'tendered-change': 0.85, parts: 0.6, 'net+vat-lines': 0.75, rounding: 0.6, lines: 0.6, repeated: 0.5, tendered: 0.4, 'vat-lines': 0.3, derived: 0,
};

/** Confidence of the chosen total: its label, the agreements found, the nearest competitor, the OCR read, a part larger than it. */
function totalConfidence(a: JointAmounts): number {
  const t = a.total;
  if (!t) return 0;
  const labelled = t.strength === 'none' ? 0.2 : t.strength === 'strong' ? 0.9 : 0.7;
  const p = combine(labelled * Math.max(t.weights.total ?? 0, t.strength === 'none' ? 1 : 0), ...a.evidence.agreements.map((g) => AGREEMENT_WEIGHT[g] ?? 0));
  return p * competition(a.evidence.score - a.evidence.runnerUp) * readFactor(t.read) * (a.evidence.partExceeds ? 0.7 : 1);
}

/** Confidence of a net or tax amount: its own label, raised when it takes part in net + tax = total. */
function partConfidence(c: AmountCandidate, role: 'net' | 'tax', consistent: boolean): number {
  const own = (c.weights[role] ?? 0) * (c.strength === 'strong' ? 0.7 : 0.5);
  return combine(own, consistent ? 0.85 : 0) * readFactor(c.read);
}

/** Confidence of the invoice date: the label's meaning, agreement with the due date or a repeat, competitors. */
function dateConfidence(c: DateCandidate & { score: number }, choice: { runnerUp: number; repeats: number }, orderOk: boolean): number {
  const label = c.role === 'invoice' ? 0.95 : c.role === 'generic' ? 0.9 : c.withTime ? 0.85 : 0.5;
  // A date printed with a time of day is the moment of the sale or of issue, not a delivery or due date.
  const p = combine(label, c.withTime ? 0.6 : 0, choice.repeats > 0 ? 0.4 : 0, orderOk ? 0.3 : 0);
  return p * competition(c.score - choice.runnerUp) * readFactor(c.read);
}

/**
 * Extracts an {@link Invoice} from an OCR document. OCR entities (Document AI) are taken first; every field
 * they leave empty is filled from the page layout: the document type from its title and structure; the
 * money fields chosen jointly so that they agree (total = net + tax, VAT lines, rounding, cash - change); the
 * dates by what their labels mean (a delivery or service date is never the invoice date); the number after
 * its label; parties, IBAN and VAT ids by position and pattern; tables for line items. Confidences come from
 * the evidence (see confidence.ts). Pure and deterministic; never throws on odd input (missing fields stay
 * empty). Warnings name what was uncertain, never the invoice's content.
 */
export function extractFromOcr(doc: OcrDocument, options: ExtractOptions = {}): Invoice {
  const warnings: string[] = [];
  const layouts = buildLayout(doc);
  const text = doc.text || layouts.map((l) => l.segments.map((s) => s.text).join('\n')).join('\f');
  const language = detectLanguage(text);
  const decimal = dominantDecimalSeparator(text);
  const media = pageMedia(doc);
  const currencyDetected = detectCurrency(text, { scanned: media.mostlyOcr });
  const kind = classifyDocument(layouts);
  const creditNote = kind.type === 'credit_note';
  const receipt = kind.type === 'receipt';

  const fromEntities = headerFromEntities(doc.entities);
  const entityTables = tablesFromEntities(doc.entities);
  const lineItems = entityTables.lineItems.length > 0 ? entityTables.lineItems : extractLineItems(layouts, decimal);
  const vat = entityTables.vat.length > 0 ? entityTables.vat : extractVatLines(layouts, decimal);
  const sumOf = (xs: Array<number | undefined>) => (xs.length > 0 && xs.every((x) => x !== undefined) ? Math.round(xs.reduce((s: number, x) => s + x!, 0) * 100) / 100 : undefined);

  const fields: HeaderFields = {};
  const id = extractInvoiceId(layouts);
  const amounts = chooseAmounts(amountCandidates(layouts, decimal), {
    lineSum: sumOf(lineItems.map((l) => l.amount?.value)), vatSum: sumOf(vat.map((v) => v.tax_amount?.value)), roundingLine: hasRoundingLine(layouts),
  });
  const receiver = receipt ? { block: new Set<never>() } : extractReceiver(layouts);
  const taxIds = extractTaxIds(layouts, receiver.block);
  const supplier = extractSupplier(layouts, { receiverBlock: receiver.block, receiverName: receiver.receiver?.value, taxIdSegment: taxIds.supplierSegment, receipt });

  const iban = extractIban(layouts);
  // A euro sign PP-OCR cannot write, and no code or label beside it: the supplier's bank or VAT country hints.
  const currencyCode = fromEntities.currency?.value ?? currencyDetected?.code
    ?? (amounts.total?.currencyMark ? currencyOfMark(amounts.total.currencyMark) : undefined)
    ?? currencyOfCountry((iban?.value ?? taxIds.supplier?.value)?.slice(0, 2));
  const order = resolveDateOrder(findDates(text), { language, currency: currencyCode, dayFirstLocale: DAY_FIRST_MARKS.test(text) });
  const iso = (d: DateMatch) => toIsoDate(d, order.order) ?? toIsoDate(d, order.order === 'MDY' ? 'DMY' : 'MDY');
  // A date that is no calendar date either way ("30/63/2018", an OCR misread) is not a candidate.
  const dates = dateCandidates(layouts).filter((d) => iso(d.value) !== null);
  // "Invoice No. 123 of/vom/du 05.03.2018": the date printed right after the number names the invoice date.
  if (id.candidate) {
    const seg = id.candidate.segment;
    const at = seg.text.indexOf(id.candidate.raw);
    for (const d of dates) {
      if (d.segment !== seg || at < 0) continue;
      if (/^\s*(?:vom|du|of|dated|from|le|van)\s+$/i.test(seg.text.slice(at + id.candidate.raw.length, d.value.index))) d.role = 'invoice';
    }
  }
  const choice = chooseDates(dates, (a, b) => iso(a) === iso(b), (a, b) => (iso(a) ?? '') > (iso(b) ?? ''), receipt);
  const terms = extractPaymentTerms(layouts);
  const confirmed = orderConfirmed(choice.invoice?.value, choice.due?.value, order.order, termDays(terms?.value));

  fields.invoice_id = textOf(id.pick);
  // Risks the development corpora cannot measure (the day/month order guessed from the locale, a date far in
  // the future) multiply the confidence after calibration: P(right) = P(right date chosen) x P(order right).
  const risk: Partial<Record<'invoice_date' | 'due_date', number>> = {};
  const dateField = (c: DateCandidate | undefined, confidence: number, name: 'invoice_date' | 'due_date'): DateField | undefined => {
    const r = c && isoOf({ value: c.value, raw: c.raw, score: 0, page: c.page, box: c.box, source: 'layout' }, order.order);
    if (!c || !r) return undefined;
    let factor = 1;
    if (r.orderSensitive && confirmed) {
      // The issue/due pair (or the payment term) proves the order: no locale guess involved.
    } else if (r.orderSensitive && order.evidence === 'ambiguous') {
      factor *= 0.6;
      warnings.push(`${name}: day/month order is ambiguous; read as ${order.order}`);
    } else if (r.orderSensitive && order.evidence === 'locale') {
      factor *= 0.95;
    }
    if (options.referenceDate && Date.parse(r.iso) > options.referenceDate.getTime() + 366 * 86_400_000) {
      factor *= 0.5;
      warnings.push(`${name}: more than a year after the reference date`);
    }
    if (factor !== 1) risk[name] = factor;
    return { value: r.iso, confidence: clamp(confidence), source: 'layout', raw: c.raw, pageNumber: c.page, box: c.box };
  };
  if (choice.invoice) fields.invoice_date = dateField(choice.invoice, dateConfidence(choice.invoice, choice, confirmed), 'invoice_date');
  if (choice.due) fields.due_date = dateField(choice.due, combine(0.8, confirmed ? 0.5 : 0) * readFactor(choice.due.read), 'due_date');

  const total = amounts.total;
  const negative = creditNote && total !== undefined && total.value < 0;
  if (total) fields.total_amount = amountField(total, totalConfidence(amounts), negative, total.derived);
  if (total?.repaired) warnings.push('total amount: one digit the OCR read differently, corrected by the page\'s arithmetic');
  if (amounts.net) fields.net_amount = amountField(amounts.net, partConfidence(amounts.net, 'net', amounts.consistent), negative);
  if (amounts.tax) fields.total_tax_amount = amountField(amounts.tax, partConfidence(amounts.tax, 'tax', amounts.consistent), negative);
  if (amounts.due) {
    fields.amount_due = amountField(amounts.due, combine(0.75, total && Math.abs(Math.abs(amounts.due.value) - Math.abs(total.value)) < 0.011 ? 0.5 : 0) * readFactor(amounts.due.read), negative);
  } else if (fields.total_amount && !total?.derived && !amounts.prepaid) {
    // Without a separate "amount due" line the total is what is owed, unless a prepayment is printed.
    fields.amount_due = { ...fields.total_amount, confidence: clamp(fields.total_amount.confidence * 0.8), source: 'derived' };
  }
  fields.supplier_name = textOf(supplier);
  fields.receiver_name = textOf(receiver.receiver);
  fields.supplier_tax_id = textOf(taxIds.supplier);
  fields.receiver_tax_id = textOf(taxIds.receiver);
  fields.supplier_iban = textOf(iban);
  fields.payment_terms = textOf(terms);
  fields.purchase_order = textOf(extractPurchaseOrder(layouts));
  if (currencyDetected) {
    fields.currency = { value: currencyDetected.code, confidence: clamp(currencyDetected.confidence), source: 'pattern', raw: currencyDetected.raw };
  } else if (currencyCode) {
    fields.currency = { value: currencyCode, confidence: 0.4, source: 'derived' };
  }
  weighByReading(fields, layouts, new Set(['invoice_date', 'due_date', 'total_amount', 'net_amount', 'total_tax_amount', 'amount_due']));
  if (!options.rawConfidences) calibrateFields(fields, media.mediumOf);
  for (const [name, factor] of Object.entries(risk)) {
    const f = fields[name as 'invoice_date' | 'due_date'];
    if (f) f.confidence = clamp(f.confidence * factor);
  }

  // Entities first: a field an entity filled is kept; layout only fills the gaps.
  const merged: HeaderFields = {};
  for (const key of Object.keys({ ...fields, ...fromEntities }) as Array<keyof HeaderFields>) {
    const v = (fromEntities[key] ?? fields[key]) as never;
    if (v !== undefined) (merged as Record<string, unknown>)[key] = v;
  }

  if (!merged.invoice_id && !receipt) warnings.push('invoice number not found');
  if (!merged.invoice_date) warnings.push('invoice date not found');
  if (!merged.total_amount) warnings.push('total amount not found');
  else if (merged.total_amount.source === 'pattern' || merged.total_amount.source === 'derived' || total?.strength === 'none') warnings.push('total amount found without a total label');
  if (!merged.currency) warnings.push('currency not found');
  const n = merged.net_amount?.value, t = merged.total_tax_amount?.value, g = merged.total_amount?.value;
  if (n !== undefined && t !== undefined && g !== undefined && Math.abs(n + t - g) > 0.011) warnings.push('net + tax does not equal total');

  return {
    documentType: kind.type === 'unknown' && g !== undefined && g < 0 ? 'credit_note' : kind.type,
    fields: merged,
    line_items: lineItems,
    vat,
    extraction: {
      method: 'ocr',
      format: doc.engine.name,
      ...(language ? { language } : {}),
      dateOrder: order.order,
      dateOrderEvidence: order.evidence,
      ...(decimal ? { decimalSeparator: decimal } : {}),
      warnings,
    },
  };
}


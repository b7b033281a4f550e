import type { AmountField, DateField, HeaderFields, Invoice, TextField } from '../invoice/invoice.js';
import type { OcrDocument } from '../ocr-document.js';
import { crossCheckAmounts, weighByReading } from './confidence.js';
import { orderConfirmed, termDays } from './date-checks.js';
import { findDates, resolveDateOrder } from './dates.js';
import { detectCurrency, currencyOfMark } from './currency.js';
import { headerFromEntities, tablesFromEntities } from './entities.js';
import {
  extractAmounts, extractDates, extractInvoiceId, extractPaymentTerms, extractPurchaseOrder, isoOf, type Pick,
} from './header-fields.js';
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
}

const clamp = (v: number) => Math.max(0.01, Math.min(0.99, Number(v.toFixed(3))));

function textOf(p: Pick<string> | undefined): TextField | undefined {
  return p && { value: p.value, confidence: clamp(p.score), source: p.source, raw: p.raw, pageNumber: p.page, box: p.box };
}

function amountOf(p: Pick<{ amount: number }> | undefined): AmountField | undefined {
  return p && { value: p.value.amount, confidence: clamp(p.score), source: p.source, ...(p.raw ? { raw: p.raw } : {}), pageNumber: p.page, box: p.box };
}

/**
 * Extracts an {@link Invoice} from an OCR document. OCR entities (Document AI) are taken first; every field
 * they leave empty is filled from the page layout: values right of or below their labels in English,
 * German, French or Dutch, amounts cross-checked (total = net + tax), free-text patterns for IBAN and VAT
 * ids, tables for line items. Pure and deterministic; never throws on odd input (missing fields stay empty).
 * Warnings name what was uncertain, never the invoice's content.
 */
export function extractFromOcr(doc: OcrDocument, options: ExtractOptions = {}): Invoice {
  const warnings: string[] = [];
  const layouts = buildLayout(doc);
  const text = doc.text || layouts.map((l) => l.segments.map((s) => s.text).join('\n')).join('\f');
  const language = detectLanguage(text);
  const decimal = dominantDecimalSeparator(text);
  const currencyDetected = detectCurrency(text);

  const fromEntities = headerFromEntities(doc.entities);
  const fields: HeaderFields = {};

  const id = extractInvoiceId(layouts);
  const dates = extractDates(layouts, id.candidate);
  const amounts = extractAmounts(layouts, decimal);
  const receiver = extractReceiver(layouts);
  const taxIds = extractTaxIds(layouts, receiver.block);
  const supplier = extractSupplier(layouts, { receiverBlock: receiver.block, receiverName: receiver.receiver?.value, taxIdSegment: taxIds.supplierSegment });

  const currencyCode = fromEntities.currency?.value ?? currencyDetected?.code
    ?? (amounts.total?.value.currencyMark ? currencyOfMark(amounts.total.value.currencyMark) : undefined);
  const order = resolveDateOrder(findDates(text), { language, currency: currencyCode });

  fields.invoice_id = textOf(id.pick);
  const terms = extractPaymentTerms(layouts);
  const confirmed = orderConfirmed(dates.invoiceDate?.value, dates.dueDate?.value, order.order, termDays(terms?.value));
  const dateField = (p: typeof dates.invoiceDate, name: string): DateField | undefined => {
    const r = isoOf(p, order.order);
    if (!p || !r) return undefined;
    let confidence = p.score;
    if (r.orderSensitive && confirmed) {
      // The issue/due pair (or the payment term) proves the order: no locale guess involved.
    } else if (r.orderSensitive && order.evidence === 'ambiguous') {
      confidence *= 0.6;
      warnings.push(`${name}: day/month order is ambiguous; read as ${order.order}`);
    } else if (r.orderSensitive && order.evidence === 'locale') {
      confidence *= 0.85;
    }
    if (options.referenceDate && Date.parse(r.iso) > options.referenceDate.getTime() + 366 * 86_400_000) {
      confidence *= 0.5;
      warnings.push(`${name}: more than a year after the reference date`);
    }
    return { value: r.iso, confidence: clamp(confidence), source: p.source, raw: p.raw, pageNumber: p.page, box: p.box };
  };
  fields.invoice_date = dateField(dates.invoiceDate, 'invoice_date');
  fields.due_date = dateField(dates.dueDate, 'due_date');
  fields.total_amount = amountOf(amounts.total);
  fields.net_amount = amountOf(amounts.net);
  fields.total_tax_amount = amountOf(amounts.tax);
  fields.amount_due = amountOf(amounts.due);
  fields.supplier_name = textOf(supplier);
  fields.receiver_name = textOf(receiver.receiver);
  fields.supplier_tax_id = textOf(taxIds.supplier);
  fields.receiver_tax_id = textOf(taxIds.receiver);
  fields.supplier_iban = textOf(extractIban(layouts));
  fields.payment_terms = textOf(terms);
  fields.purchase_order = textOf(extractPurchaseOrder(layouts));
  if (currencyDetected) {
    fields.currency = { value: currencyDetected.code, confidence: clamp(currencyDetected.confidence), source: 'pattern', raw: currencyDetected.raw };
  } else if (currencyCode) {
    fields.currency = { value: currencyCode, confidence: 0.4, source: 'derived' };
  }

  crossCheckAmounts(fields);
  weighByReading(fields, layouts);

  // Entities first: a field an entity filled is kept; layout only fills the gaps.
  const merged: HeaderFields = {};
  for (const key of Object.keys({ ...fields, ...fromEntities }) as Array<keyof HeaderFields>) {
    const v = (fromEntities[key] ?? fields[key]) as never;
    if (v !== undefined) (merged as Record<string, unknown>)[key] = v;
  }

  const entityTables = tablesFromEntities(doc.entities);
  const lineItems = entityTables.lineItems.length > 0 ? entityTables.lineItems : extractLineItems(layouts, decimal);
  const vat = entityTables.vat.length > 0 ? entityTables.vat : extractVatLines(layouts, decimal);

  if (!merged.invoice_id) warnings.push('invoice number not found');
  if (!merged.invoice_date) warnings.push('invoice date not found');
  if (!merged.total_amount) warnings.push('total amount not found');
  else if (merged.total_amount.source === 'pattern' || merged.total_amount.source === 'derived') warnings.push('total amount found without a total label');
  if (!merged.currency) warnings.push('currency not found');
  const net = merged.net_amount?.value, tax = merged.total_tax_amount?.value, total = merged.total_amount?.value;
  if (net !== undefined && tax !== undefined && total !== undefined && Math.abs(net + tax - total) > 0.011) {
    warnings.push('net + tax does not equal total');
  }

  const creditWords = /(?<![\p{L}])(?:credit\s*note|gutschrift|rechnungskorrektur|avoir|creditnota|note\s+de\s+crédit)(?![\p{L}])/iu;
  const documentType = creditWords.test(text) || (total !== undefined && total < 0) ? 'credit_note'
    : /(?<![\p{L}])(?:invoice|rechnung|facture|factuur|receipt|bill)/iu.test(text) ? 'invoice' : 'unknown';

  return {
    documentType,
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

import type { Entity } from '../ocr-document.js';
import type { AmountField, DateField, HeaderFields, LineItem, TextField, VatLine } from '../invoice/invoice.js';
import { currencyOfMark } from './currency.js';
import { parseAmount } from './numbers.js';
import { parseInvoiceId } from './value-parsers.js';

/**
 * Maps OCR-engine entities (Document AI Invoice Parser types) onto invoice fields. An entity whose value
 * cannot be normalized is skipped, so the layout rules can still fill the field.
 */

const TEXT_FIELDS = ['invoice_id', 'supplier_name', 'supplier_tax_id', 'supplier_iban', 'receiver_name', 'receiver_tax_id', 'payment_terms', 'purchase_order'] as const;
const DATE_FIELDS = ['invoice_date', 'due_date'] as const;
const AMOUNT_FIELDS = ['net_amount', 'total_tax_amount', 'total_amount'] as const;
// Expense Parser names the receipt's date `receipt_date`; a payment already made is not the amount due.
const ALIASES: Record<string, string> = { receipt_date: 'invoice_date', amount_paid_since_last_invoice: '' };

function base(e: Entity) {
  return {
    confidence: Math.min(1, Math.max(0, e.confidence)),
    source: 'ocr-entity' as const,
    raw: e.mentionText,
    ...(e.pageNumber ? { pageNumber: e.pageNumber } : {}),
    ...(e.box ? { box: e.box } : {}),
  };
}

function amountOf(e: Entity): number | undefined {
  const money = e.normalizedValue?.money?.amount;
  if (money !== undefined && Number.isFinite(money)) return money;
  const fromText = e.normalizedValue?.text ? parseAmount(e.normalizedValue.text) : null;
  if (fromText) return fromText.value;
  return parseAmount(e.mentionText.replace(/[^\d.,\-()'\s]/g, '').trim())?.value;
}

export function textField(e: Entity): TextField | undefined {
  const value = (e.normalizedValue?.text ?? e.mentionText).replace(/\s+/g, ' ').trim();
  return value ? { value, ...base(e) } : undefined;
}

export function dateField(e: Entity): DateField | undefined {
  const iso = e.normalizedValue?.date;
  return iso ? { value: iso, ...base(e) } : undefined;
}

export function amountField(e: Entity): AmountField | undefined {
  const v = amountOf(e);
  return v === undefined ? undefined : { value: v, ...base(e) };
}

/** Header fields from entities: for each type, the most confident entity that normalizes. */
export function headerFromEntities(entities: readonly Entity[]): HeaderFields {
  const out: HeaderFields = {};
  const byType = new Map<string, Entity[]>();
  for (const e of entities) {
    const type = ALIASES[e.type] ?? e.type;
    if (!type) continue;
    byType.set(type, [...(byType.get(type) ?? []), e]);
  }
  const ranked = (type: string) => (byType.get(type) ?? []).slice().sort((a, b) => b.confidence - a.confidence);
  for (const f of TEXT_FIELDS) for (const e of ranked(f)) { const v = textField(e); if (v) { out[f] = v; break; } }
  // An id mention can include its label ("NO. 001"): keep the number itself when one can be read.
  if (out.invoice_id) {
    const id = parseInvoiceId(out.invoice_id.value)[0];
    if (id) out.invoice_id = { ...out.invoice_id, value: id.value };
  }
  for (const f of DATE_FIELDS) for (const e of ranked(f)) { const v = dateField(e); if (v) { out[f] = v; break; } }
  for (const f of [...AMOUNT_FIELDS, 'amount_due'] as const) for (const e of ranked(f)) { const v = amountField(e); if (v) { out[f] = v; break; } }
  for (const e of [...ranked('currency'), ...ranked('total_amount'), ...ranked('net_amount')]) {
    const code = e.type === 'currency'
      ? (e.normalizedValue?.text && /^[A-Z]{3}$/.test(e.normalizedValue.text) ? e.normalizedValue.text : currencyOfMark(e.mentionText))
      : e.normalizedValue?.money?.currencyCode;
    if (code && /^[A-Z]{3}$/.test(code)) { out.currency = { value: code, ...base(e) }; break; }
  }
  return out;
}

/** Line items and VAT lines from nested entities (`line_item/amount`, `vat/tax_amount`...). */
export function tablesFromEntities(entities: readonly Entity[]): { lineItems: LineItem[]; vat: VatLine[] } {
  const lineItems: LineItem[] = [];
  const vat: VatLine[] = [];
  for (const e of entities) {
    if (e.type === 'line_item') {
      const item: LineItem = {};
      for (const p of e.properties) {
        const key = p.type.replace(/^line_item\//, '');
        if (key === 'description' || key === 'product_code') { const v = textField(p); if (v) item[key] = v; }
        else if (key === 'quantity' || key === 'unit_price' || key === 'amount') { const v = amountField(p); if (v) item[key] = v; }
      }
      if (Object.keys(item).length > 0) lineItems.push(item);
    } else if (e.type === 'vat') {
      const line: VatLine = {};
      for (const p of e.properties) {
        const key = p.type.replace(/^vat\//, '');
        if (key === 'tax_rate' || key === 'tax_amount' || key === 'amount') { const v = amountField(p); if (v) line[key] = v; }
        else if (key === 'category_code') { const v = textField(p); if (v) line.category_code = v; }
      }
      if (Object.keys(line).length > 0) vat.push(line);
    }
  }
  return { lineItems, vat };
}

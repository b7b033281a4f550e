import { z } from 'zod';
import { BoxSchema } from '../geometry.js';

/**
 * The extracted invoice. Header field names follow the Document AI Invoice Parser entity types so that
 * Document AI entities map onto it directly. Every field carries its value, a confidence, where the value
 * came from and where on the page it was found.
 */
export const FieldSourceSchema = z.enum([
  'einvoice', // parsed from CII / UBL XML (exact)
  'ocr-entity', // an entity returned by the OCR engine (Document AI)
  'layout', // a value right of or below its label
  'table', // a line-item table
  'pattern', // a free-text pattern (IBAN, VAT id anywhere on the page)
  'derived', // computed from other fields (e.g. net = total - tax)
]);
export type FieldSource = z.infer<typeof FieldSourceSchema>;

function fieldOf<T extends z.ZodTypeAny>(value: T) {
  return z.object({
    value,
    confidence: z.number().min(0).max(1),
    source: FieldSourceSchema,
    /** Text as printed, before normalization (never logged). */
    raw: z.string().optional(),
    pageNumber: z.number().int().positive().optional(),
    box: BoxSchema.optional(),
  });
}

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
export const TextField = fieldOf(z.string());
export const DateField = fieldOf(IsoDate);
export const AmountField = fieldOf(z.number().finite());
export const CurrencyField = fieldOf(z.string().regex(/^[A-Z]{3}$/, 'expected ISO 4217 code'));
export type TextField = z.infer<typeof TextField>;
export type DateField = z.infer<typeof DateField>;
export type AmountField = z.infer<typeof AmountField>;
export type Field = TextField | DateField | AmountField;

export const LineItemSchema = z.object({
  description: TextField.optional(),
  quantity: AmountField.optional(),
  unit_price: AmountField.optional(),
  amount: AmountField.optional(),
  product_code: TextField.optional(),
});
export type LineItem = z.infer<typeof LineItemSchema>;

export const VatLineSchema = z.object({
  /** Percent, e.g. 19 for 19 %. */
  tax_rate: AmountField.optional(),
  tax_amount: AmountField.optional(),
  /** Taxable base of this rate. */
  amount: AmountField.optional(),
  category_code: TextField.optional(),
});
export type VatLine = z.infer<typeof VatLineSchema>;

export const HeaderFieldsSchema = z.object({
  invoice_id: TextField.optional(),
  invoice_date: DateField.optional(),
  due_date: DateField.optional(),
  supplier_name: TextField.optional(),
  supplier_tax_id: TextField.optional(),
  supplier_iban: TextField.optional(),
  receiver_name: TextField.optional(),
  receiver_tax_id: TextField.optional(),
  currency: CurrencyField.optional(),
  net_amount: AmountField.optional(),
  total_tax_amount: AmountField.optional(),
  total_amount: AmountField.optional(),
  amount_due: AmountField.optional(),
  payment_terms: TextField.optional(),
  purchase_order: TextField.optional(),
});
export type HeaderFields = z.infer<typeof HeaderFieldsSchema>;
export type HeaderFieldName = keyof HeaderFields;
export const HEADER_FIELD_NAMES = Object.keys(HeaderFieldsSchema.shape) as HeaderFieldName[];

export const DateOrderSchema = z.enum(['DMY', 'MDY', 'YMD']);
export type DateOrder = z.infer<typeof DateOrderSchema>;

/**
 * What the document is: an invoice; a credit note (it reverses an invoice; its amounts keep the sign the
 * document gives its total, on the page as in the XML, and the type, not the sign, says it is a credit); a receipt (a till receipt or simplified
 * tax invoice, paid on the spot: no invoice number, due date or buyer is expected); unknown when the page
 * names none of them.
 */
export const DocumentTypeSchema = z.enum(['invoice', 'credit_note', 'receipt', 'unknown']);
export type DocumentType = z.infer<typeof DocumentTypeSchema>;

export const InvoiceSchema = z.object({
  documentType: DocumentTypeSchema,
  fields: HeaderFieldsSchema,
  line_items: z.array(LineItemSchema),
  vat: z.array(VatLineSchema),
  extraction: z.object({
    method: z.enum(['einvoice', 'ocr']),
    /** e.g. 'CII', 'UBL', 'ZUGFeRD 1.0' for e-invoices; engine name for OCR. */
    format: z.string().optional(),
    /** Dominant language of the labels found (en, de, fr...). */
    language: z.string().optional(),
    /** How numeric dates were read, and whether that was decided from evidence or ambiguous. */
    dateOrder: DateOrderSchema.optional(),
    dateOrderEvidence: z.enum(['unambiguous-date', 'locale', 'month-name', 'iso', 'ambiguous', 'none']).optional(),
    /** Decimal separator seen in amounts. */
    decimalSeparator: z.enum([',', '.']).optional(),
    /** Things a reviewer should know about how fields were read (no invoice content). */
    warnings: z.array(z.string()),
  }),
});
export type Invoice = z.infer<typeof InvoiceSchema>;

export function emptyInvoice(method: 'einvoice' | 'ocr'): Invoice {
  return {
    documentType: 'unknown',
    fields: {},
    line_items: [],
    vat: [],
    extraction: { method, warnings: [] },
  };
}

import { countryName } from './parties.js';
import { formatDate, formatMoney, formatNumber, formatQuantity, formatRate } from './locale.js';
import { amountDueCents, printedTotalCents, units, type InvoiceModel } from './invoice-model.js';
import { printIban } from './tax-ids.js';
import type { Truth } from './schemas.js';

/** The strings printed for one invoice. Renderers print exactly these, and the truth records them. */
export interface PrintedInvoice {
  invoiceId?: string;
  issueDate?: string;
  dueDate: string;
  purchaseOrder?: string;
  customerNo: string;
  supplierTaxId: string;
  iban?: string;
  bic?: string;
  receiverTaxId: string;
  supplierAddress: string[];
  receiverAddress: string[];
  lines: { pos: string; code: string; description: string; quantity: string; unitPrice: string; rate: string; amount: string }[];
  net: string;
  vat: { rate: string; base: string; tax: string }[];
  totalTax: string;
  total?: string;
  prepaid?: string;
  amountDue?: string;
  paymentTerms: string;
}

export function printInvoice(model: InvoiceModel): PrintedInvoice {
  const s = model.supplier;
  const num = (c: number) => formatNumber(units(c), s.numberFormat);
  const money = (c: number) => formatMoney(units(c), s.currency, s.numberFormat, s.moneyStyle);
  const date = (iso: string) => formatDate(iso, s.dateStyle, s.language);
  const omitTotal = model.omit.has('total_amount');
  const receiverAddress =
    model.receiver.country !== s.country
      ? [...model.receiver.addressLines, countryName(model.receiver.country, s.language)]
      : model.receiver.addressLines;
  return {
    invoiceId: model.omit.has('invoice_id') ? undefined : model.invoiceId,
    issueDate: model.omit.has('invoice_date') ? undefined : date(model.issueDate),
    dueDate: date(model.dueDate),
    purchaseOrder: model.purchaseOrder,
    customerNo: model.customerNo,
    supplierTaxId: model.supplierTaxId,
    iban: model.iban ? printIban(model.iban) : undefined,
    bic: s.bic,
    receiverTaxId: model.receiver.taxId,
    supplierAddress: s.addressLines,
    receiverAddress,
    lines: model.lines.map((l, i) => ({
      pos: String(i + 1),
      code: l.product_code ?? '',
      description: l.description,
      quantity: formatQuantity(l.quantity, s.numberFormat),
      unitPrice: num(l.unitCents),
      rate: formatRate(l.taxRate, s.numberFormat, s.language),
      amount: num(l.amountCents),
    })),
    net: money(model.netCents),
    vat: model.vat.map((v) => ({ rate: formatRate(v.taxRate, s.numberFormat, s.language), base: money(v.baseCents), tax: money(v.taxCents) })),
    totalTax: money(model.taxCents),
    total: omitTotal ? undefined : money(printedTotalCents(model)),
    prepaid: model.prepaidCents > 0 ? money(model.prepaidCents) : undefined,
    amountDue: omitTotal ? undefined : money(amountDueCents(model)),
    paymentTerms: model.paymentTerms,
  };
}

/** Ground truth of an invoice: what a perfect reader of the document would extract. */
export function truthOf(model: InvoiceModel, printed: PrintedInvoice): Truth {
  const s = model.supplier;
  const omitTotal = model.omit.has('total_amount');
  const printedMap: Record<string, string> = {};
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) printedMap[key] = value;
  };
  put('invoice_id', printed.invoiceId);
  put('invoice_date', printed.issueDate);
  put('due_date', printed.dueDate);
  put('supplier_tax_id', printed.supplierTaxId);
  put('supplier_iban', printed.iban);
  put('receiver_tax_id', printed.receiverTaxId);
  put('net_amount', printed.net);
  put('total_tax_amount', printed.totalTax);
  put('total_amount', printed.total);
  put('amount_due', printed.amountDue);
  put('purchase_order', printed.purchaseOrder);
  put('payment_terms', printed.paymentTerms);
  return {
    documentType: 'invoice',
    fields: {
      invoice_id: printed.invoiceId,
      invoice_date: model.omit.has('invoice_date') ? undefined : model.issueDate,
      due_date: model.dueDate,
      supplier_name: s.name,
      supplier_tax_id: model.supplierTaxId,
      supplier_iban: model.iban,
      receiver_name: model.receiver.name,
      receiver_tax_id: model.receiver.taxId,
      currency: s.currency,
      net_amount: units(model.netCents),
      total_tax_amount: units(model.taxCents),
      total_amount: omitTotal ? undefined : units(printedTotalCents(model)),
      amount_due: omitTotal ? undefined : units(amountDueCents(model)),
      payment_terms: model.paymentTerms,
      purchase_order: model.purchaseOrder,
    },
    amount_paid: model.prepaidCents > 0 ? units(model.prepaidCents) : undefined,
    supplier_address: printed.supplierAddress,
    receiver_address: printed.receiverAddress,
    line_items: model.lines.map((l) => ({
      description: l.description,
      quantity: l.quantity,
      unit_price: units(l.unitCents),
      amount: units(l.amountCents),
      product_code: l.product_code,
      tax_rate: l.taxRate,
    })),
    vat: model.vat.map((v) => ({
      tax_rate: v.taxRate,
      tax_amount: units(v.taxCents),
      amount: units(v.baseCents),
      category_code: v.taxRate > 0 ? 'S' : 'Z',
    })),
    printed: printedMap,
  };
}

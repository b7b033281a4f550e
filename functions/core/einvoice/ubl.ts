import type { HeaderFields, Invoice, LineItem, TextField, VatLine } from '../invoice/invoice.js';
import { inCurrency } from './cii.js';
import { compact, FieldReader, hasAny } from './fields.js';
import { documentTypeOf, type EInvoiceSyntax } from './formats.js';
import { all, child, first, textOf, type XmlElement } from './xml-tree.js';

/** Maps an OASIS UBL 2.1 Invoice or CreditNote (e.g. XRechnung UBL, Peppol BIS) onto the Invoice model. */
export function mapUbl(root: XmlElement, syntax: EInvoiceSyntax): Invoice {
  const read = new FieldReader();
  const creditNote = syntax === 'UBL-CreditNote';
  const supplier = first(root, 'AccountingSupplierParty', 'Party');
  const customer = first(root, 'AccountingCustomerParty', 'Party');
  const currency = read.currency(child(root, 'DocumentCurrencyCode'));
  const totals = child(root, 'LegalMonetaryTotal');
  // BT-110 sits in the TaxTotal whose TaxAmount is in the document currency; a second TaxTotal may carry BT-111.
  const taxAmounts = all(root, 'TaxTotal', 'TaxAmount');
  const taxAmount = inCurrency(taxAmounts, currency?.value);
  const taxTotal = all(root, 'TaxTotal').find((t) => child(t, 'TaxAmount') === taxAmount);
  const paymentMeans = all(root, 'PaymentMeans');

  const fields: HeaderFields = compact({
    invoice_id: read.text(child(root, 'ID')),
    invoice_date: read.date(child(root, 'IssueDate'), 'invoice_date'),
    due_date:
      read.date(child(root, 'DueDate'), 'due_date') ??
      paymentMeans.map((p) => read.date(child(p, 'PaymentDueDate'), 'due_date')).find((d) => d !== undefined),
    supplier_name: partyName(supplier, read),
    supplier_tax_id: partyTaxId(supplier, read),
    supplier_iban: read.text(paymentMeans.flatMap((p) => all(p, 'PayeeFinancialAccount', 'ID')).find((e) => textOf(e) !== undefined)),
    receiver_name: partyName(customer, read),
    receiver_tax_id: partyTaxId(customer, read),
    currency,
    net_amount: read.amount(child(totals, 'TaxExclusiveAmount'), 'net_amount'),
    total_tax_amount: read.amount(taxAmount, 'total_tax_amount'),
    total_amount: read.amount(child(totals, 'TaxInclusiveAmount'), 'total_amount'),
    amount_due: read.amount(child(totals, 'PayableAmount'), 'amount_due'),
    payment_terms: read.joinedText(all(root, 'PaymentTerms', 'Note')),
    purchase_order: read.text(first(root, 'OrderReference', 'ID')),
  });

  const lineItems = all(root, creditNote ? 'CreditNoteLine' : 'InvoiceLine')
    .map((line, index) => lineItem(line, index, read))
    .filter(hasAny);
  const vat = all(taxTotal, 'TaxSubtotal')
    .map((sub): VatLine =>
      compact({
        tax_rate: read.amount(first(sub, 'TaxCategory', 'Percent'), 'vat.tax_rate'),
        tax_amount: read.amount(child(sub, 'TaxAmount'), 'vat.tax_amount'),
        amount: read.amount(child(sub, 'TaxableAmount'), 'vat.amount'),
        category_code: read.text(first(sub, 'TaxCategory', 'ID')),
      }),
    )
    .filter(hasAny);

  const typeCode = textOf(child(root, creditNote ? 'CreditNoteTypeCode' : 'InvoiceTypeCode'));
  return {
    documentType: documentTypeOf(typeCode, syntax),
    fields,
    line_items: lineItems,
    vat,
    extraction: { method: 'einvoice', format: 'UBL', warnings: read.warnings },
  };
}

function lineItem(line: XmlElement, index: number, read: FieldReader): LineItem {
  const item = child(line, 'Item');
  const price = child(line, 'Price');
  const basis = textOf(child(price, 'BaseQuantity'));
  if (basis !== undefined && Number(basis) !== 1) {
    read.warnings.push(`line_items[${index}].unit_price: price is per a basis quantity other than 1`);
  }
  return compact({
    description: read.text(child(item, 'Name')) ?? read.text(child(item, 'Description')),
    quantity: read.amount(child(line, 'InvoicedQuantity', 'CreditedQuantity'), `line_items[${index}].quantity`),
    unit_price: read.amount(child(price, 'PriceAmount'), `line_items[${index}].unit_price`),
    amount: read.amount(child(line, 'LineExtensionAmount'), `line_items[${index}].amount`),
    product_code:
      read.text(first(item, 'SellersItemIdentification', 'ID')) ??
      read.text(first(item, 'StandardItemIdentification', 'ID')) ??
      read.text(first(item, 'BuyersItemIdentification', 'ID')),
  });
}

/** BT-27 (legal registration name) first, then the trading name. */
function partyName(party: XmlElement | undefined, read: FieldReader): TextField | undefined {
  return read.text(first(party, 'PartyLegalEntity', 'RegistrationName')) ?? read.text(first(party, 'PartyName', 'Name'));
}

/** The VAT id (TaxScheme VAT); else another tax registration, flagged. */
function partyTaxId(party: XmlElement | undefined, read: FieldReader): TextField | undefined {
  const schemes = all(party, 'PartyTaxScheme').filter((s) => textOf(child(s, 'CompanyID')) !== undefined);
  const vat = schemes.find((s) => textOf(first(s, 'TaxScheme', 'ID'))?.toUpperCase() === 'VAT');
  if (vat) return read.text(child(vat, 'CompanyID'));
  if (schemes[0]) read.warnings.push('tax id: no VAT id, other tax registration used');
  return read.text(child(schemes[0], 'CompanyID'));
}

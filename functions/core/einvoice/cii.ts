import type { HeaderFields, Invoice, LineItem, TextField, VatLine } from '../invoice/invoice.js';
import { compact, FieldReader, hasAny } from './fields.js';
import { documentTypeOf, type EInvoiceSyntax } from './formats.js';
import { all, child, first, textOf, type XmlElement } from './xml-tree.js';

// Each step lists the CII D16B name first, then the ZUGFeRD 1.0 / CBFBUY spelling of the same element.
const DOC = ['ExchangedDocument', 'HeaderExchangedDocument'];
const TRANSACTION = ['SupplyChainTradeTransaction', 'SpecifiedSupplyChainTradeTransaction'];
const AGREEMENT = ['ApplicableHeaderTradeAgreement', 'ApplicableSupplyChainTradeAgreement'];
const SETTLEMENT = ['ApplicableHeaderTradeSettlement', 'ApplicableSupplyChainTradeSettlement'];
const SUMMATION = ['SpecifiedTradeSettlementHeaderMonetarySummation', 'SpecifiedTradeSettlementMonetarySummation'];
const LINE_AGREEMENT = ['SpecifiedLineTradeAgreement', 'SpecifiedSupplyChainTradeAgreement'];
const LINE_DELIVERY = ['SpecifiedLineTradeDelivery', 'SpecifiedSupplyChainTradeDelivery'];
const LINE_SETTLEMENT = ['SpecifiedLineTradeSettlement', 'SpecifiedSupplyChainTradeSettlement'];
const LINE_SUMMATION = ['SpecifiedTradeSettlementLineMonetarySummation', 'SpecifiedTradeSettlementMonetarySummation'];
const RATE = ['RateApplicablePercent', 'ApplicablePercent'];

/** Maps a UN/CEFACT CII invoice (D16B, ZUGFeRD 1.0 or the pre-1.0 CBFBUY dialect) onto the Invoice model. */
export function mapCii(root: XmlElement, syntax: EInvoiceSyntax): Invoice {
  const read = new FieldReader();
  const doc = first(root, DOC);
  const tx = first(root, TRANSACTION);
  const agreement = first(tx, AGREEMENT);
  const settlement = first(tx, SETTLEMENT);
  const summation = first(settlement, SUMMATION);
  const seller = child(agreement, 'SellerTradeParty');
  const buyer = child(agreement, 'BuyerTradeParty');
  const currency = read.currency(child(settlement, 'InvoiceCurrencyCode'));
  const terms = all(settlement, 'SpecifiedTradePaymentTerms');

  const fields: HeaderFields = compact({
    invoice_id: read.text(child(doc, 'ID')),
    invoice_date: read.date(child(doc, 'IssueDateTime'), 'invoice_date'),
    due_date: terms.map((t) => read.date(child(t, 'DueDateDateTime'), 'due_date')).find((d) => d !== undefined),
    supplier_name: read.text(child(seller, 'Name')),
    supplier_tax_id: taxId(seller, read, 'supplier_tax_id'),
    supplier_iban: read.text(
      all(settlement, 'SpecifiedTradeSettlementPaymentMeans', 'PayeePartyCreditorFinancialAccount', 'IBANID').find(
        (e) => textOf(e) !== undefined,
      ),
    ),
    receiver_name: read.text(child(buyer, 'Name')),
    receiver_tax_id: taxId(buyer, read, 'receiver_tax_id'),
    currency,
    net_amount: read.amount(child(summation, 'TaxBasisTotalAmount'), 'net_amount'),
    total_tax_amount: read.amount(inCurrency(all(summation, 'TaxTotalAmount'), currency?.value), 'total_tax_amount'),
    total_amount: read.amount(child(summation, 'GrandTotalAmount'), 'total_amount'),
    amount_due: read.amount(child(summation, 'DuePayableAmount'), 'amount_due'),
    payment_terms: read.joinedText(terms.flatMap((t) => all(t, 'Description'))),
    purchase_order: read.text(
      first(agreement, 'BuyerOrderReferencedDocument', 'IssuerAssignedID') ?? first(agreement, 'BuyerOrderReferencedDocument', 'ID'),
    ),
  });

  const lineItems = all(tx, 'IncludedSupplyChainTradeLineItem')
    .map((line, index) => lineItem(line, index, read))
    .filter(hasAny);
  const vat = all(settlement, 'ApplicableTradeTax')
    .map((tax): VatLine =>
      compact({
        tax_rate: read.amount(child(tax, ...RATE), 'vat.tax_rate'),
        tax_amount: read.amount(child(tax, 'CalculatedAmount'), 'vat.tax_amount'),
        amount: read.amount(child(tax, 'BasisAmount'), 'vat.amount'),
        category_code: read.text(child(tax, 'CategoryCode')),
      }),
    )
    .filter(hasAny);

  if (syntax === 'CBFBUY') read.warnings.push('pre-1.0 ZUGFeRD draft (CBFBUY) read as ZUGFeRD 1.0');
  return {
    documentType: documentTypeOf(textOf(child(doc, 'TypeCode')), syntax),
    fields,
    line_items: lineItems,
    vat,
    extraction: { method: 'einvoice', format: syntax === 'CII' ? 'CII' : 'ZUGFeRD 1.0', warnings: read.warnings },
  };
}

function lineItem(line: XmlElement, index: number, read: FieldReader): LineItem {
  const product = child(line, 'SpecifiedTradeProduct');
  const agreement = first(line, LINE_AGREEMENT);
  const price = child(agreement, 'NetPriceProductTradePrice') ?? child(agreement, 'GrossPriceProductTradePrice');
  const basis = textOf(child(price, 'BasisQuantity'));
  if (basis !== undefined && Number(basis) !== 1) {
    read.warnings.push(`line_items[${index}].unit_price: price is per a basis quantity other than 1`);
  }
  return compact({
    description: read.text(child(product, 'Name')) ?? read.text(child(product, 'Description')),
    quantity: read.amount(first(line, LINE_DELIVERY, 'BilledQuantity'), `line_items[${index}].quantity`),
    unit_price: read.amount(child(price, 'ChargeAmount'), `line_items[${index}].unit_price`),
    amount: read.amount(first(line, LINE_SETTLEMENT, LINE_SUMMATION, 'LineTotalAmount'), `line_items[${index}].amount`),
    product_code:
      read.text(child(product, 'SellerAssignedID')) ??
      read.text(child(product, 'GlobalID')) ??
      read.text(child(product, 'BuyerAssignedID')),
  });
}

/** BT-31/BT-48: the VAT id (scheme VA); else the local tax number (FC), flagged; else any registration. */
function taxId(party: XmlElement | undefined, read: FieldReader, name: string): TextField | undefined {
  const ids = all(party, 'SpecifiedTaxRegistration', 'ID').filter((e) => textOf(e) !== undefined);
  const vat = ids.find((e) => e.attrs['schemeID'] === 'VA');
  if (vat) return read.text(vat);
  const other = ids.find((e) => e.attrs['schemeID'] === 'FC') ?? ids[0];
  if (other) read.warnings.push(`${name}: no VAT id, tax number used`);
  return read.text(other);
}

/** BT-110 is the tax total in the invoice currency; BT-111 (tax accounting currency) may sit beside it. */
export function inCurrency(amounts: readonly XmlElement[], currency: string | undefined): XmlElement | undefined {
  return (
    amounts.find((a) => currency !== undefined && a.attrs['currencyID'] === currency) ??
    amounts.find((a) => a.attrs['currencyID'] === undefined) ??
    amounts[0]
  );
}

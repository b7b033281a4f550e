import { XMLBuilder } from 'fast-xml-parser';
import type { Party } from '../parties.js';
import { amountDueCents, printedTotalCents, units, type InvoiceModel } from '../invoice-model.js';

export const CII_PROFILE = 'EN 16931';
const GUIDELINE = 'urn:cen.eu:en16931:2017';

const amount = (c: number) => units(c).toFixed(2);
const date102 = (iso: string) => ({ 'udt:DateTimeString': { '@_format': '102', '#text': iso.replaceAll('-', '') } });

function party(p: Party, taxId: string) {
  return {
    'ram:Name': p.name,
    'ram:PostalTradeAddress': {
      'ram:PostcodeCode': p.postcode,
      'ram:LineOne': p.street,
      'ram:CityName': p.city,
      'ram:CountryID': p.country,
    },
    'ram:SpecifiedTaxRegistration': { 'ram:ID': { '@_schemeID': p.taxIdKind === 'vat' ? 'VA' : 'FC', '#text': taxId } },
  };
}

/**
 * The invoice as an EN 16931 CII document (rsm:CrossIndustryInvoice, the syntax inside Factur-X / ZUGFeRD
 * and XRechnung-CII). Values are those printed on the PDF twin, so injected problems (wrong totals,
 * invalid ids) are carried into the XML too. Element order follows the CII D16B schema.
 */
export function buildCiiXml(model: InvoiceModel): string {
  const s = model.supplier;
  const unitCode = (q: number) => (Number.isInteger(q) ? 'C62' : 'HUR');
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    'rsm:CrossIndustryInvoice': {
      '@_xmlns:rsm': 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
      '@_xmlns:ram': 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
      '@_xmlns:qdt': 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100',
      '@_xmlns:udt': 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
      'rsm:ExchangedDocumentContext': {
        'ram:GuidelineSpecifiedDocumentContextParameter': { 'ram:ID': GUIDELINE },
      },
      'rsm:ExchangedDocument': {
        'ram:ID': model.omit.has('invoice_id') ? undefined : model.invoiceId,
        'ram:TypeCode': '380',
        'ram:IssueDateTime': model.omit.has('invoice_date') ? undefined : date102(model.issueDate),
      },
      'rsm:SupplyChainTradeTransaction': {
        'ram:IncludedSupplyChainTradeLineItem': model.lines.map((l, i) => ({
          'ram:AssociatedDocumentLineDocument': { 'ram:LineID': String(i + 1) },
          'ram:SpecifiedTradeProduct': { 'ram:SellerAssignedID': l.product_code, 'ram:Name': l.description },
          'ram:SpecifiedLineTradeAgreement': {
            'ram:NetPriceProductTradePrice': { 'ram:ChargeAmount': amount(l.unitCents) },
          },
          'ram:SpecifiedLineTradeDelivery': {
            'ram:BilledQuantity': { '@_unitCode': unitCode(l.quantity), '#text': String(l.quantity) },
          },
          'ram:SpecifiedLineTradeSettlement': {
            'ram:ApplicableTradeTax': {
              'ram:TypeCode': 'VAT',
              'ram:CategoryCode': l.taxRate > 0 ? 'S' : 'Z',
              'ram:RateApplicablePercent': String(l.taxRate),
            },
            'ram:SpecifiedTradeSettlementLineMonetarySummation': { 'ram:LineTotalAmount': amount(l.amountCents) },
          },
        })),
        'ram:ApplicableHeaderTradeAgreement': {
          'ram:BuyerReference': model.customerNo,
          'ram:SellerTradeParty': party(s, model.supplierTaxId),
          'ram:BuyerTradeParty': party(model.receiver, model.receiver.taxId),
          'ram:BuyerOrderReferencedDocument': model.purchaseOrder ? { 'ram:IssuerAssignedID': model.purchaseOrder } : undefined,
        },
        'ram:ApplicableHeaderTradeDelivery': {
          'ram:ActualDeliverySupplyChainEvent': { 'ram:OccurrenceDateTime': date102(model.issueDate) },
        },
        'ram:ApplicableHeaderTradeSettlement': {
          'ram:PaymentReference': model.omit.has('invoice_id') ? undefined : model.invoiceId,
          'ram:InvoiceCurrencyCode': s.currency,
          'ram:SpecifiedTradeSettlementPaymentMeans': model.iban
            ? { 'ram:TypeCode': '58', 'ram:PayeePartyCreditorFinancialAccount': { 'ram:IBANID': model.iban } }
            : { 'ram:TypeCode': '30' },
          'ram:ApplicableTradeTax': model.vat.map((v) => ({
            'ram:CalculatedAmount': amount(v.taxCents),
            'ram:TypeCode': 'VAT',
            'ram:BasisAmount': amount(v.baseCents),
            'ram:CategoryCode': v.taxRate > 0 ? 'S' : 'Z',
            'ram:RateApplicablePercent': String(v.taxRate),
          })),
          'ram:SpecifiedTradePaymentTerms': {
            'ram:Description': model.paymentTerms,
            'ram:DueDateDateTime': date102(model.dueDate),
          },
          'ram:SpecifiedTradeSettlementHeaderMonetarySummation': {
            'ram:LineTotalAmount': amount(model.netCents),
            'ram:TaxBasisTotalAmount': amount(model.netCents),
            'ram:TaxTotalAmount': { '@_currencyID': s.currency, '#text': amount(model.taxCents) },
            'ram:GrandTotalAmount': model.omit.has('total_amount') ? undefined : amount(printedTotalCents(model)),
            'ram:TotalPrepaidAmount': model.prepaidCents > 0 ? amount(model.prepaidCents) : undefined,
            'ram:DuePayableAmount': model.omit.has('total_amount') ? undefined : amount(amountDueCents(model)),
          },
        },
      },
    },
  };
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: true });
  return builder.build(doc) as string;
}

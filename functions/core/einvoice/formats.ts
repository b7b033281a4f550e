import type { XmlElement } from './xml-tree.js';

/** The e-invoice syntaxes this module reads. */
export type EInvoiceSyntax = 'CII' | 'ZUGFeRD 1.0' | 'CBFBUY' | 'UBL-Invoice' | 'UBL-CreditNote';

export const NAMESPACES = {
  cii: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  zugferd1: 'urn:ferd:CrossIndustryDocument:invoice:1p0',
  // Pre-1.0 drafts (early Mustang samples) used the UN/CEFACT "CBFBUY" invoice schema with a CII-like body.
  cbfbuy: 'urn:un:unece:uncefact:data:standard:CBFBUY:5',
  ublInvoice: 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2',
  ublCreditNote: 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2',
} as const;

/**
 * Classifies a root element by local name and namespace. `childNames` breaks the tie for an `Invoice` root
 * without a known namespace (both UBL and the CBFBUY dialect call their root `Invoice`).
 */
export function classifyRoot(local: string, ns: string, childNames: readonly string[] = []): EInvoiceSyntax | null {
  switch (local) {
    case 'CrossIndustryInvoice':
      return 'CII';
    case 'CrossIndustryDocument':
      return 'ZUGFeRD 1.0';
    case 'CreditNote':
      return ns === NAMESPACES.ublCreditNote || childNames.includes('CreditNoteTypeCode') ? 'UBL-CreditNote' : null;
    case 'Invoice':
      if (ns === NAMESPACES.ublInvoice) return 'UBL-Invoice';
      if (ns === NAMESPACES.cbfbuy) return 'CBFBUY';
      if (childNames.includes('HeaderExchangedDocument')) return 'CBFBUY';
      if (childNames.includes('IssueDate') && childNames.includes('AccountingSupplierParty')) return 'UBL-Invoice';
      return null;
    default:
      return null;
  }
}

export function classifyTree(root: XmlElement): EInvoiceSyntax | null {
  return classifyRoot(root.local, root.ns, root.children.map((c) => c.local));
}

/**
 * Finds the root element of an XML text without parsing it (cheap enough to run on every attachment).
 * Returns null when the text does not look like XML.
 */
export function sniffRoot(xml: string): { local: string; ns: string } | null {
  const head = xml.slice(0, 65_536);
  let at = head.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (at < head.length && /\s/.test(head[at]!)) at++;
    if (head.startsWith('<?', at)) at = skipPast(head, '?>', at);
    else if (head.startsWith('<!--', at)) at = skipPast(head, '-->', at);
    else if (head.startsWith('<!', at)) at = skipDeclaration(head, at);
    else break;
    if (at === -1) return null;
  }
  const tag = /^<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)([^>]*)>/.exec(head.slice(at));
  if (!tag) return null;
  const qname = tag[1]!;
  const colon = qname.indexOf(':');
  const prefix = colon === -1 ? '' : qname.slice(0, colon);
  const local = colon === -1 ? qname : qname.slice(colon + 1);
  const attr = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
  const decl = new RegExp(`\\s${attr.replace('.', '\\.')}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag[2] ?? '');
  return { local, ns: decl ? (decl[1] ?? decl[2] ?? '') : '' };
}

function skipPast(text: string, terminator: string, from: number): number {
  const end = text.indexOf(terminator, from);
  return end === -1 ? -1 : end + terminator.length;
}

/** Skips a DOCTYPE, including an internal subset in brackets. */
function skipDeclaration(text: string, from: number): number {
  const bracket = text.indexOf('[', from);
  const close = text.indexOf('>', from);
  if (bracket !== -1 && close !== -1 && bracket < close) {
    const subsetEnd = text.indexOf(']', bracket);
    return subsetEnd === -1 ? -1 : skipPast(text, '>', subsetEnd);
  }
  return close === -1 ? -1 : close + 1;
}

/**
 * UNTDID 1001 document type codes that mean a credit note (381 commercial credit note, 261/262 self-billed
 * and consolidated, 296/308/532 credit notes of other kinds, 396 factored, 420/458 optical/factored variants,
 * 81/83 credit notes for goods/services and financial adjustments).
 */
const CREDIT_NOTE_CODES = new Set(['81', '83', '261', '262', '296', '308', '381', '396', '420', '458', '532']);

export function documentTypeOf(typeCode: string | undefined, syntax: EInvoiceSyntax): 'invoice' | 'credit_note' {
  if (syntax === 'UBL-CreditNote') return 'credit_note';
  return typeCode !== undefined && CREDIT_NOTE_CODES.has(typeCode) ? 'credit_note' : 'invoice';
}

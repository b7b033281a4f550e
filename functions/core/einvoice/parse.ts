import { PermanentError, RejectReason } from '../errors.js';
import { InvoiceSchema, type Invoice } from '../invoice/invoice.js';
import { mapCii } from './cii.js';
import { classifyTree } from './formats.js';
import { mapUbl } from './ubl.js';
import { DEFAULT_MAX_XML_CHARS } from './xml-safety.js';
import { parseXmlTree } from './xml-tree.js';

export interface ParseEInvoiceOptions {
  /** Refuse longer texts unparsed (default 20 million characters). */
  maxChars?: number;
}

/**
 * Parses a CII (ZUGFeRD 2.x / Factur-X / XRechnung CII), ZUGFeRD 1.0 or UBL 2.1 Invoice/CreditNote XML into an
 * {@link Invoice}: every field exact (`source: 'einvoice'`, confidence 1), amounts as written, dates ISO.
 * Pure and deterministic; safe on untrusted input (no DTD, no entity expansion, bounded size and depth).
 *
 * @throws PermanentError `XML_HOSTILE` for any DOCTYPE/ENTITY declaration (refused before parsing);
 *   `XML_INVALID` for empty, oversized, too deeply nested or malformed XML; `XML_UNSUPPORTED` for well-formed
 *   XML that is not a CII or UBL invoice.
 */
export function parseEInvoice(xml: string, options: ParseEInvoiceOptions = {}): Invoice {
  const root = parseXmlTree(xml, { maxChars: options.maxChars ?? DEFAULT_MAX_XML_CHARS, maxDepth: 64 });
  const syntax = classifyTree(root);
  if (syntax === null) {
    throw new PermanentError(RejectReason.XML_UNSUPPORTED, 'XML is not a CII or UBL invoice', { root: root.local });
  }
  const invoice = syntax === 'UBL-Invoice' || syntax === 'UBL-CreditNote' ? mapUbl(root, syntax) : mapCii(root, syntax);
  // The mappers only emit schema-shaped values; parsing here turns a mapper bug into a loud failure.
  return InvoiceSchema.parse(invoice);
}

/** E-invoice support: find the CII/UBL XML of a document and parse it into the Invoice model. */
export { findEInvoiceXml } from './find.js';
export { parseEInvoice, type ParseEInvoiceOptions } from './parse.js';
export { classifyRoot, sniffRoot, type EInvoiceSyntax } from './formats.js';
export { DEFAULT_MAX_XML_CHARS } from './xml-safety.js';

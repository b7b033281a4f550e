import type { EmbeddedFile } from '../ocr-document.js';
import { classifyRoot, sniffRoot } from './formats.js';

/** Attachment names fixed by the standards (Factur-X / ZUGFeRD 2.x, ZUGFeRD 1.0, XRechnung), in preference order. */
const KNOWN_NAMES = ['factur-x.xml', 'zugferd-invoice.xml', 'xrechnung.xml'];

function baseName(name: string): string {
  return (name.split(/[\\/]/).pop() ?? name).toLowerCase();
}

function looksLikeXml(file: EmbeddedFile): boolean {
  return /xml/i.test(file.mimeType) || /\.xml$/i.test(file.name) || file.content.trimStart().startsWith('<');
}

/**
 * Picks the e-invoice XML among a document's embedded files: first by the standard attachment names
 * (factur-x.xml, ZUGFeRD-invoice.xml / zugferd-invoice.xml, xrechnung.xml, any case), else the first XML
 * whose root element is a CII or UBL invoice (found by reading the root tag only, without parsing).
 * Returns null when there is none. Never throws; the chosen file may still be refused by parseEInvoice.
 */
export function findEInvoiceXml(files: readonly EmbeddedFile[]): EmbeddedFile | null {
  for (const known of KNOWN_NAMES) {
    const hit = files.find((f) => baseName(f.name) === known);
    if (hit) return hit;
  }
  for (const file of files) {
    if (!looksLikeXml(file)) continue;
    const root = sniffRoot(file.content);
    if (root && classifyRoot(root.local, root.ns) !== null) return file;
  }
  return null;
}

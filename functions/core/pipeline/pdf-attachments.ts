/**
 * The XML attachments of a PDF (Factur-X / ZUGFeRD / XRechnung), read with pdf-lib for OCR engines that do not
 * return them (Document AI). Its own module so that pdf-lib is loaded only when such an engine reads a PDF.
 */
import {
  decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRawStream, PDFString, type PDFObject,
} from 'pdf-lib';
import { decodeXml, MAX_EMBEDDED_XML_BYTES } from '../einvoice/xml-bytes.js';
import { detectFileType, mimeTypeOf } from '../invoice/file-type.js';
import type { EmbeddedFile } from '../ocr-document.js';

/** Name trees are walked to this depth at most (a hostile PDF may nest or loop them). */
const MAX_NAME_TREE_DEPTH = 16;

function textOf(value: PDFObject | undefined): string | undefined {
  return value instanceof PDFString || value instanceof PDFHexString ? value.decodeText() : undefined;
}

/** The file specifications of the `EmbeddedFiles` name tree (values at every leaf, `Kids` followed). */
function nameTreeValues(node: PDFDict | undefined, depth: number, seen: Set<PDFDict>, out: PDFDict[]): void {
  if (!node || depth > MAX_NAME_TREE_DEPTH || seen.has(node)) return;
  seen.add(node);
  const names = node.lookupMaybe(PDFName.of('Names'), PDFArray);
  if (names) {
    // [key1 value1 key2 value2 ...]
    for (let i = 1; i < names.size(); i += 2) {
      const spec = names.lookup(i);
      if (spec instanceof PDFDict) out.push(spec);
    }
  }
  const kids = node.lookupMaybe(PDFName.of('Kids'), PDFArray);
  for (let i = 0; kids && i < kids.size(); i++) {
    const kid = kids.lookup(i);
    if (kid instanceof PDFDict) nameTreeValues(kid, depth + 1, seen, out);
  }
}

/** The XML file of one file specification, or null when it has none or it is not XML or too large. */
function xmlOfFileSpec(spec: PDFDict, maxBytes: number): EmbeddedFile | null {
  const ef = spec.lookupMaybe(PDFName.of('EF'), PDFDict);
  const stream = ef?.lookup(PDFName.of('UF')) ?? ef?.lookup(PDFName.of('F'));
  if (!(stream instanceof PDFRawStream)) return null;
  const name = textOf(spec.lookup(PDFName.of('UF'))) ?? textOf(spec.lookup(PDFName.of('F'))) ?? 'attachment';
  // The declared size first, so that a bomb is not inflated to find out.
  const declared = stream.dict.lookupMaybe(PDFName.of('Params'), PDFDict)?.lookup(PDFName.of('Size'));
  if (declared !== undefined && Number(declared.toString()) > maxBytes) return null;
  const content = decodePDFRawStream(stream).decode();
  if (content.byteLength === 0 || content.byteLength > maxBytes) return null;
  if (!/\.xml$/i.test(name) && detectFileType(content) !== 'xml') return null;
  return { name, mimeType: mimeTypeOf('xml'), content: decodeXml(content) };
}

/**
 * The XML attachments of a PDF: the file specifications of the `EmbeddedFiles` name tree and of the
 * catalog's associated files (`AF`, PDF/A-3), each once. Attachments that are not XML or larger than
 * `maxBytes` are skipped. Never throws: a PDF whose attachments cannot be read has none (its pages are
 * still what the OCR engine read).
 */
export async function pdfXmlAttachments(bytes: Uint8Array, maxBytes = MAX_EMBEDDED_XML_BYTES): Promise<EmbeddedFile[]> {
  try {
    const doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
    if (doc.isEncrypted) return [];
    const catalog = doc.catalog;
    const specs: PDFDict[] = [];
    const tree = catalog.lookupMaybe(PDFName.of('Names'), PDFDict)?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict);
    nameTreeValues(tree, 0, new Set(), specs);
    const associated = catalog.lookupMaybe(PDFName.of('AF'), PDFArray);
    for (let i = 0; associated && i < associated.size(); i++) {
      const spec = associated.lookup(i);
      if (spec instanceof PDFDict) specs.push(spec);
    }
    const files: EmbeddedFile[] = [];
    for (const spec of new Set(specs)) {
      try {
        const file = xmlOfFileSpec(spec, maxBytes);
        if (file) files.push(file);
      } catch {
        // One broken attachment (unknown filter, corrupt stream) does not hide the others.
      }
    }
    return files;
  } catch {
    // An unparsable PDF has no attachments we can read; the engine has already judged its pages.
    return [];
  }
}


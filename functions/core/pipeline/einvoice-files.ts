/**
 * The e-invoice half of reading an upload, done by the OCR stage itself so that it does not depend on the OCR
 * engine: Document AI returns no PDF attachments and does not read XML at all.
 *
 * - A standalone XML file never reaches the engine: it becomes a document without pages whose only content is
 *   the XML as an embedded file (the features stage parses it, or refuses it as XML_*).
 * - A PDF is read by the engine; unless the engine returns the PDF's attachments itself
 *   ({@link OcrEngine.readsAttachments}), its XML attachments (Factur-X / ZUGFeRD / XRechnung) are read here
 *   with pdf-lib and added to the document. The features stage takes that XML before anything the engine read.
 */
import {
  decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRawStream, PDFString, type PDFObject,
} from 'pdf-lib';
import { PermanentError, RejectReason } from '../errors.js';
import { detectFileType, mimeTypeOf } from '../invoice/file-type.js';
import {
  OCR_DOCUMENT_SCHEMA_VERSION, type EmbeddedFile, type OcrDocument,
} from '../ocr-document.js';
import type { OcrEngine, OcrInput, OcrLimits, SerializedOcrDocument } from '../ports.js';

/** Largest XML attachment kept (the local engine's default too); larger ones are skipped. */
export const MAX_EMBEDDED_XML_BYTES = 5 * 1024 * 1024;
/** Name trees are walked to this depth at most (a hostile PDF may nest or loop them). */
const MAX_NAME_TREE_DEPTH = 16;
/** The engine name recorded on documents made from a standalone XML upload. */
export const EINVOICE_XML_ENGINE = { name: 'einvoice-xml', version: '1' } as const;

/** UTF-8 (or UTF-16 with a BOM) text of an XML file, without a BOM (parsers expect `<` first). */
export function decodeXml(bytes: Uint8Array): string {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  return new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
}

/**
 * The document of a standalone XML upload: no pages, the XML as its only embedded file.
 * @throws PermanentError FILE_TOO_LARGE beyond `maxBytes` (the engine's size check is bypassed with the engine).
 */
export function standaloneXmlDocument(input: OcrInput, maxBytes: number): OcrDocument {
  if (input.bytes.byteLength > maxBytes) {
    throw new PermanentError(RejectReason.FILE_TOO_LARGE, 'file exceeds the size limit', { size: input.bytes.byteLength, maxBytes });
  }
  const started = performance.now();
  return {
    schemaVersion: OCR_DOCUMENT_SCHEMA_VERSION,
    mimeType: mimeTypeOf('xml'),
    text: '',
    pages: [],
    entities: [],
    embeddedFiles: [{ name: input.fileName, mimeType: mimeTypeOf('xml'), content: decodeXml(input.bytes) }],
    engine: { ...EINVOICE_XML_ENGINE },
    elapsedMs: performance.now() - started,
  };
}

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

function serialize(doc: OcrDocument): SerializedOcrDocument {
  return { json: JSON.stringify(doc), pageCount: doc.pages.length, mimeType: doc.mimeType, engineName: doc.engine.name };
}

/**
 * Reads an upload into a serialized OCR document: a standalone XML file without the engine, anything else
 * with it (its serialized form when it offers one), plus the PDF's XML attachments when the engine does not
 * read them itself. Throws what the engine throws (PermanentError with a RejectReason, RetryableError), and
 * PermanentError FILE_TOO_LARGE for an XML file beyond `limits.maxBytes`.
 */
export async function recognizeUpload(engine: OcrEngine, input: OcrInput, limits: OcrLimits): Promise<SerializedOcrDocument> {
  const type = detectFileType(input.bytes);
  if (type === 'xml') return serialize(standaloneXmlDocument(input, limits.maxBytes));
  if (type !== 'pdf' || engine.readsAttachments) {
    return engine.recognizeSerialized ? engine.recognizeSerialized(input, limits) : serialize(await engine.recognize(input, limits));
  }
  if (!engine.recognizeSerialized) {
    const [doc, attachments] = await Promise.all([engine.recognize(input, limits), pdfXmlAttachments(input.bytes)]);
    return serialize(doc.embeddedFiles.length > 0 || attachments.length === 0 ? doc : { ...doc, embeddedFiles: attachments });
  }
  const [serialized, attachments] = await Promise.all([engine.recognizeSerialized(input, limits), pdfXmlAttachments(input.bytes)]);
  if (attachments.length === 0) return serialized;
  const doc = JSON.parse(serialized.json) as OcrDocument;
  return doc.embeddedFiles.length > 0 ? serialized : { ...serialized, json: JSON.stringify({ ...doc, embeddedFiles: attachments }) };
}

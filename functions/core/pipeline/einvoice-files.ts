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
import { decodeXml } from '../einvoice/xml-bytes.js';
import { PermanentError, RejectReason } from '../errors.js';
import { detectFileType, mimeTypeOf } from '../invoice/file-type.js';
import {
  OCR_DOCUMENT_SCHEMA_VERSION, type EmbeddedFile, type OcrDocument,
} from '../ocr-document.js';
import type { OcrEngine, OcrInput, OcrLimits, SerializedOcrDocument } from '../ports.js';

/** The engine name recorded on documents made from a standalone XML upload. */
export const EINVOICE_XML_ENGINE = { name: 'einvoice-xml', version: '1' } as const;

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

/** pdf-lib is loaded on the first PDF whose attachments the engine does not read (Document AI), not at every start. */
async function xmlAttachmentsOf(bytes: Uint8Array): Promise<EmbeddedFile[]> {
  return (await import('./pdf-attachments.js')).pdfXmlAttachments(bytes);
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
    const [doc, attachments] = await Promise.all([engine.recognize(input, limits), xmlAttachmentsOf(input.bytes)]);
    return serialize(doc.embeddedFiles.length > 0 || attachments.length === 0 ? doc : { ...doc, embeddedFiles: attachments });
  }
  const [serialized, attachments] = await Promise.all([engine.recognizeSerialized(input, limits), xmlAttachmentsOf(input.bytes)]);
  if (attachments.length === 0) return serialized;
  const doc = JSON.parse(serialized.json) as OcrDocument;
  return doc.embeddedFiles.length > 0 ? serialized : { ...serialized, json: JSON.stringify({ ...doc, embeddedFiles: attachments }) };
}

/**
 * What the Document AI engine must know about a file before sending it: its real type (from magic bytes,
 * never the uploader's claim) and its page count (to route between online and batch processing).
 */
import { PDFDocument } from 'pdf-lib';
import { PermanentError, RejectReason } from '../../core/errors.js';

/** MIME types Document AI's Invoice Parser accepts. */
export type DocumentAiMimeType = 'application/pdf' | 'image/png' | 'image/jpeg' | 'image/tiff' | 'image/gif' | 'image/bmp' | 'image/webp';

const startsWith = (bytes: Uint8Array, ...sig: number[]) => sig.every((b, i) => bytes[i] === b);

/** Sniffs the type from the first bytes; undefined when it is none Document AI reads. */
export function sniffMimeType(bytes: Uint8Array): DocumentAiMimeType | undefined {
  // '%PDF' may follow a few bytes of junk; readers accept it within the first KiB.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  if (head.includes('%PDF-')) return 'application/pdf';
  if (startsWith(bytes, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (startsWith(bytes, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (startsWith(bytes, 0x49, 0x49, 0x2a, 0x00) || startsWith(bytes, 0x4d, 0x4d, 0x00, 0x2a)) return 'image/tiff';
  if (startsWith(bytes, 0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (startsWith(bytes, 0x42, 0x4d)) return 'image/bmp';
  if (startsWith(bytes, 0x52, 0x49, 0x46, 0x46) && head.slice(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** Pages of a TIFF: the IFD chain (each IFD is one page). Bounded so that a looping chain cannot hang. */
function tiffPageCount(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49;
  const u16 = (o: number) => view.getUint16(o, little);
  const u32 = (o: number) => view.getUint32(o, little);
  try {
    let offset = u32(4);
    let pages = 0;
    const seen = new Set<number>();
    while (offset !== 0 && !seen.has(offset) && pages < 10_000) {
      seen.add(offset);
      pages += 1;
      offset = u32(offset + 2 + u16(offset) * 12);
    }
    return Math.max(pages, 1);
  } catch {
    throw new PermanentError(RejectReason.IMAGE_CORRUPT, 'the TIFF directory chain is broken');
  }
}

/**
 * Page count of a supported file: PDF pages via pdf-lib, TIFF directories, 1 for the other image types.
 * @throws PermanentError PDF_ENCRYPTED / PDF_CORRUPT / IMAGE_CORRUPT when the file cannot be read.
 */
export async function countPages(bytes: Uint8Array, mimeType: DocumentAiMimeType): Promise<number> {
  if (mimeType === 'image/tiff') return tiffPageCount(bytes);
  if (mimeType !== 'application/pdf') return 1;
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  } catch {
    throw new PermanentError(RejectReason.PDF_CORRUPT, 'the PDF cannot be parsed');
  }
  // Document AI refuses encrypted PDFs (even ones without a user password) with INVALID_ARGUMENT.
  if (doc.isEncrypted) throw new PermanentError(RejectReason.PDF_ENCRYPTED, 'the PDF is encrypted');
  let pages: number;
  try {
    pages = doc.getPageCount();
  } catch {
    // pdf-lib parses leniently and only fails when it walks a page tree that is not there.
    throw new PermanentError(RejectReason.PDF_CORRUPT, 'the PDF page tree is broken');
  }
  if (pages === 0) throw new PermanentError(RejectReason.PDF_CORRUPT, 'the PDF has no pages');
  return pages;
}

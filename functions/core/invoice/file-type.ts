/**
 * File type detection from magic bytes. The uploader's declared content type is only a hint: a renamed
 * `.exe` must not reach a parser that trusts it, and a PDF uploaded as `application/octet-stream` is still a PDF.
 */

export type FileType = 'pdf' | 'png' | 'jpeg' | 'tiff' | 'webp' | 'xml' | 'unknown';

export const MIME_BY_FILE_TYPE: Readonly<Record<FileType, string>> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  tiff: 'image/tiff',
  webp: 'image/webp',
  xml: 'application/xml',
  unknown: 'application/octet-stream',
};

/** How far into the file a PDF header may start: Acrobat tolerates junk before `%PDF-` within the first KiB. */
const PDF_HEADER_WINDOW = 1024;
/** Whitespace, comments and BOMs are allowed before `<?xml` / the root element; bounded so the scan stays cheap. */
const XML_PREFIX_WINDOW = 4096;

function startsWith(bytes: Uint8Array, sig: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[offset + i] !== sig[i]) return false;
  return true;
}

function indexOfAscii(bytes: Uint8Array, needle: string, limit: number): number {
  const end = Math.min(bytes.length, limit) - needle.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

/** UTF-16 XML is decoded to a string first; returns the text prefix, or null when the bytes are not text-like. */
function textPrefix(bytes: Uint8Array): string | null {
  const head = bytes.subarray(0, XML_PREFIX_WINDOW);
  if (startsWith(head, [0xfe, 0xff])) return new TextDecoder('utf-16be').decode(head.subarray(2));
  if (startsWith(head, [0xff, 0xfe])) return new TextDecoder('utf-16le').decode(head.subarray(2));
  const body = startsWith(head, [0xef, 0xbb, 0xbf]) ? head.subarray(3) : head;
  return new TextDecoder('utf-8', { fatal: false }).decode(body);
}

function looksLikeXml(bytes: Uint8Array): boolean {
  const text = textPrefix(bytes);
  if (text === null) return false;
  // Skip leading whitespace, then any number of comments / processing instructions / doctype before the root.
  const trimmed = text.replace(/^\s+/, '');
  if (trimmed.startsWith('<?xml')) return true;
  let rest = trimmed;
  for (;;) {
    if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end < 0) return false;
      rest = rest.slice(end + 3).replace(/^\s+/, '');
    } else if (rest.startsWith('<?')) {
      const end = rest.indexOf('?>');
      if (end < 0) return false;
      rest = rest.slice(end + 2).replace(/^\s+/, '');
    } else {
      break;
    }
  }
  // A root element name: letters, optional namespace prefix (e.g. `<rsm:CrossIndustryInvoice`, `<Invoice`).
  return /^<[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?[\s>/]/.test(rest);
}

/**
 * Detects the type of a file from its leading bytes. Pure and total: never throws; returns 'unknown' for
 * empty or unrecognised input (including HTML, which starts with `<!DOCTYPE html` or `<html`).
 */
export function detectFileType(bytes: Uint8Array): FileType {
  if (bytes.length === 0) return 'unknown';
  if (indexOfAscii(bytes, '%PDF-', PDF_HEADER_WINDOW) >= 0) return 'pdf';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  // BigTIFF (version 43) is read by libvips too.
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  if (looksLikeXml(bytes) && !isHtml(bytes)) return 'xml';
  return 'unknown';
}

function isHtml(bytes: Uint8Array): boolean {
  const text = (textPrefix(bytes) ?? '').replace(/^\s+/, '').slice(0, 64).toLowerCase();
  return text.startsWith('<html') || text.startsWith('<!doctype html');
}

/** The MIME type for a detected file type. */
export function mimeTypeOf(type: FileType): string {
  return MIME_BY_FILE_TYPE[type];
}

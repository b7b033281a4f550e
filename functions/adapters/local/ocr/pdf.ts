/**
 * pdfjs-dist access for the offline OCR engine: opening a PDF with its failures mapped to reject reasons,
 * reading the text layer of a page, and the embedded e-invoice XML attachments.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { PDFDocumentLoadingTask, PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist';
import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { PermanentError, RejectReason } from '../../../core/errors.js';
import { detectFileType } from '../../../core/invoice/file-type.js';
import type { EmbeddedFile, Line } from '../../../core/ocr-document.js';
import { layoutRuns, type TextRun } from './layout.js';

type PdfJs = typeof PdfJsModule;

let pdfjsPromise: Promise<PdfJs> | undefined;

/**
 * Loaded once per thread: the modules are large (hundreds of ms to import) and stateless. The worker half is
 * loaded here too and handed to pdfjs through `globalThis.pdfjsWorker`, which pdfjs uses instead of importing
 * it on the first document; so calling this early (ocr-worker.ts does, when its thread starts) takes the whole
 * cost off the first document's path.
 */
export function loadPdfJs(): Promise<PdfJs> {
  pdfjsPromise ??= Promise.all([import('pdfjs-dist/legacy/build/pdf.mjs'), import('pdfjs-dist/legacy/build/pdf.worker.mjs')]).then(
    ([pdfjs, worker]) => {
      (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
      return pdfjs;
    },
  );
  return pdfjsPromise;
}

const require = createRequire(import.meta.url);
/** Folder of the installed pdfjs-dist package; its cmaps/fonts/wasm are read from disk, never fetched. */
const PDFJS_ROOT = path.dirname(require.resolve('pdfjs-dist/package.json'));
const asDir = (name: string): string => path.join(PDFJS_ROOT, name) + path.sep;

/** A PDF without `%%EOF` near its end was cut off (a failed upload): pdfjs would "repair" it and lose pages. */
const EOF_WINDOW = 1024;

function hasEofMarker(bytes: Uint8Array): boolean {
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(-EOF_WINDOW);
  return tail.includes('%%EOF');
}

function mentionsEncrypt(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('/Encrypt');
}

/** An open PDF; `close()` must always be called (pdfjs keeps parsed objects until destroyed). */
export interface OpenPdf {
  doc: PDFDocumentProxy;
  close(): Promise<void>;
}

/**
 * Opens a PDF from memory with eval and font faces disabled (untrusted input, no DOM).
 * Throws PermanentError PDF_CORRUPT (truncated, not a PDF, unreadable structure), PDF_PASSWORD_PROTECTED
 * (a user password is needed) or PDF_ENCRYPTED (encrypted with a security handler pdfjs cannot open).
 * A PDF with only an owner password opens normally.
 */
export async function openPdf(bytes: Uint8Array): Promise<OpenPdf> {
  if (!hasEofMarker(bytes)) {
    throw new PermanentError(RejectReason.PDF_CORRUPT, 'PDF is truncated (no %%EOF marker at its end)', {
      size: bytes.byteLength,
    });
  }
  const pdfjs = await loadPdfJs();
  // pdfjs transfers (detaches) the buffer it is given: pass a copy so the caller's bytes stay usable.
  const task: PDFDocumentLoadingTask = pdfjs.getDocument({
    data: bytes.slice(),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
    cMapUrl: asDir('cmaps'),
    cMapPacked: true,
    // No standardFontDataUrl: text extraction needs only the built-in metrics of the standard 14 fonts, and
    // loading + sanitizing their font programs for every document doubled the time per page (8 ms vs 17 ms,
    // identical text and positions on 200 generated invoices). Pages rendered for OCR have (almost) no text.
    wasmUrl: asDir('wasm'),
  });
  // No onPassword callback: pdfjs then rejects with a PasswordException instead of waiting for user input.
  try {
    const doc = await task.promise;
    return { doc, close: () => task.destroy() };
  } catch (err) {
    await task.destroy().catch(() => undefined);
    throw mapOpenError(err, bytes);
  }
}

function mapOpenError(err: unknown, bytes: Uint8Array): PermanentError {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'PasswordException') {
    return new PermanentError(RejectReason.PDF_PASSWORD_PROTECTED, 'PDF needs a user password to open');
  }
  if (mentionsEncrypt(bytes)) {
    return new PermanentError(RejectReason.PDF_ENCRYPTED, 'PDF is encrypted with an unsupported security handler', {
      cause: name ?? 'unknown',
    });
  }
  return new PermanentError(RejectReason.PDF_CORRUPT, 'PDF structure cannot be read', { cause: name ?? 'unknown' });
}

export interface TextLayerPage {
  width: number;
  height: number;
  lines: Line[];
  /** Non-whitespace characters on the page: decides whether the page needs OCR. */
  charCount: number;
}

function isTextItem(item: unknown): item is TextItem {
  return typeof (item as TextItem).str === 'string' && Array.isArray((item as TextItem).transform);
}

/** Reads the text layer of one page into lines (points, origin top-left, rotation applied). */
export async function readTextLayer(page: PDFPageProxy): Promise<TextLayerPage> {
  const pdfjs = await loadPdfJs();
  const viewport = page.getViewport({ scale: 1 });
  const content = await page.getTextContent();
  const runs: TextRun[] = [];
  let charCount = 0;
  for (const item of content.items) {
    if (!isTextItem(item) || item.str.length === 0) continue;
    // Text space -> viewport space (top-left origin, page rotation applied).
    const m = pdfjs.Util.transform(viewport.transform, item.transform as number[]) as number[];
    const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = m;
    const fontSize = Math.hypot(c, d);
    // item.width is along the text direction in user space; scale it like the x axis of the viewport.
    const xScale = Math.hypot(a, b) / Math.max(Math.hypot(item.transform[0] as number, item.transform[1] as number), 1e-9);
    const width = item.width * (Number.isFinite(xScale) && xScale > 0 ? xScale : 1);
    runs.push({ str: item.str, x: e, baseline: f, width, fontSize });
    for (const ch of item.str) if (!/\s/.test(ch)) charCount++;
  }
  return { width: viewport.width, height: viewport.height, lines: layoutRuns(runs, viewport.width, viewport.height), charCount };
}

/** Attachment names of e-invoice standards; any other XML-like attachment is kept as well. */
const XML_NAME = /\.xml$/i;

/**
 * XML-like attachments of the document (ZUGFeRD / Factur-X / XRechnung carry the invoice as CII/UBL XML)
 * decoded as UTF-8; others (images, spreadsheets) and those over `maxBytes` are skipped.
 */
export async function readXmlAttachments(doc: PDFDocumentProxy, maxBytes: number): Promise<EmbeddedFile[]> {
  let attachments: Record<string, { filename?: string; rawFilename?: string; content?: Uint8Array }> | null;
  try {
    attachments = (await doc.getAttachments()) as typeof attachments;
  } catch {
    // A broken attachment tree must not cost us the printed invoice.
    return [];
  }
  if (!attachments) return [];
  const files: EmbeddedFile[] = [];
  for (const [key, att] of Object.entries(attachments)) {
    const content = att.content;
    if (!(content instanceof Uint8Array) || content.byteLength === 0 || content.byteLength > maxBytes) continue;
    const name = att.filename ?? att.rawFilename ?? key;
    if (!XML_NAME.test(name) && detectFileType(content) !== 'xml') continue;
    files.push({ name, mimeType: 'application/xml', content: decodeXmlText(content) });
  }
  return files;
}

/** UTF-8 decode with a BOM removed (parsers downstream expect the document to start with `<`). */
export function decodeXmlText(bytes: Uint8Array): string {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  return new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
}

/**
 * pdfjs-dist access for the offline OCR engine: opening a PDF with its failures mapped to reject reasons,
 * reading the text layer of a page, and the embedded e-invoice XML attachments.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import type { PDFDocumentLoadingTask, PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist';
import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { decodeXml } from '../../../core/einvoice/xml-bytes.js';
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
  installSyncInflate();
  pdfjsPromise ??= (() => {
    const natives = nativeBuiltIns();
    return Promise.all([import('pdfjs-dist/legacy/build/pdf.mjs'), import('pdfjs-dist/legacy/build/pdf.worker.mjs')]).then(
      ([pdfjs, worker]) => {
        restoreBuiltIns(natives);
        (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
        return pdfjs;
      },
    );
  })();
  return pdfjsPromise;
}

/**
 * The legacy build of pdfjs (the one that runs on Node 20) carries core-js polyfills that replace three native
 * built-ins of the whole thread with JavaScript versions, for spec corners no caller here needs (JSON.rawJSON,
 * array lengths beyond 2^32): `JSON.stringify` (22x slower on an OCR document: ~9 ms per invoice spent turning it
 * into JSON), `JSON.parse` (slow with a reviver) and `Array.prototype.push` (every push in pdfjs and in this
 * thread went through a function call). They are put back once pdfjs has loaded; pdfjs only uses them plainly.
 */
interface NativeBuiltIns {
  stringify: typeof JSON.stringify;
  parse: typeof JSON.parse;
  push: typeof Array.prototype.push;
}
const nativeBuiltIns = (): NativeBuiltIns => ({ stringify: JSON.stringify, parse: JSON.parse, push: Array.prototype.push });
function restoreBuiltIns(natives: NativeBuiltIns): void {
  const restore = (target: object, key: string, value: unknown) => {
    const desc = Object.getOwnPropertyDescriptor(target, key);
    if (desc && desc.value !== value) Object.defineProperty(target, key, { ...desc, value });
  };
  restore(JSON, 'stringify', natives.stringify);
  restore(JSON, 'parse', natives.parse);
  restore(Array.prototype, 'push', natives.push);
}

/**
 * pdfjs inflates every Flate stream it reads (content streams, embedded fonts) through the web
 * `DecompressionStream`, which Node implements as a zlib stream run in the libuv thread pool behind web-stream
 * and Node-stream adapters. For the many small streams of an invoice that machinery costs more than the
 * inflating: zlib's one-shot `inflateSync` on the same bytes cut the text-layer time of the 48 zugferd-dev PDFs
 * by about a fifth, with identical text. This replaces the global for the "deflate" format only (PDF's
 * FlateDecode), with the members pdfjs uses; a corrupt stream still fails the read, and pdfjs then falls back to
 * its own lenient decoder as before. Other formats go to Node's implementation.
 */
function installSyncInflate(): void {
  const Original = globalThis.DecompressionStream as (new (format: string) => object) & { ledgerxSyncInflate?: true };
  if (typeof Original !== 'function' || Original.ledgerxSyncInflate) return;
  class SyncInflateStream {
    static readonly ledgerxSyncInflate = true;
    readonly readable!: AsyncIterable<Uint8Array>;
    readonly writable!: { getWriter(): unknown };
    constructor(format: string) {
      if (format !== 'deflate') return new Original(format) as SyncInflateStream;
      const parts: Uint8Array[] = [];
      let closed!: () => void;
      const ended = new Promise<void>((resolve) => (closed = resolve));
      const writer = {
        ready: Promise.resolve(),
        closed: ended,
        desiredSize: 1,
        write: (chunk: Uint8Array) => {
          parts.push(chunk);
          return Promise.resolve();
        },
        close: () => {
          closed();
          return Promise.resolve();
        },
        abort: () => {
          closed();
          return Promise.resolve();
        },
        releaseLock: () => undefined,
      };
      this.writable = { getWriter: () => writer };
      this.readable = {
        async *[Symbol.asyncIterator]() {
          await ended;
          yield inflateSync(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
        },
      };
    }
  }
  (globalThis as { DecompressionStream: unknown }).DecompressionStream = SyncInflateStream;
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
  /**
   * Readable characters on the page (not whitespace, not U+FFFD or private-use code points, which fonts without
   * a Unicode mapping produce): decides whether the page may need OCR.
   */
  charCount: number;
}

/** Characters that carry no readable text: whitespace, the replacement character, private-use code points. */
const UNREADABLE = /[\s\uFFFD\uE000-\uF8FF]/u;

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
    for (const ch of item.str) if (!UNREADABLE.test(ch)) charCount++;
  }
  return { width: viewport.width, height: viewport.height, lines: layoutRuns(runs, viewport.width, viewport.height), charCount };
}

export interface PageCoverage {
  /** Share of the page area covered by painted images (0..1; overlapping images may add up to 1). */
  imageShare: number;
  /** Vector paths drawn (text converted to outlines draws one or more per glyph). */
  paths: number;
}

/**
 * What a page paints besides text, from its operator list: the area of its images (each image fills the unit
 * square of the current transform) and the number of vector paths. Called only for pages with (almost) no text
 * layer, where it tells a scan or outlined text (worth OCR) from a blank, separator or logo-only page (not
 * worth rendering); it parses the content stream again and decodes the page's images.
 */
export async function readPageCoverage(page: PDFPageProxy): Promise<PageCoverage> {
  const { OPS, Util } = await loadPdfJs();
  const { fnArray, argsArray } = await page.getOperatorList();
  const viewport = page.getViewport({ scale: 1 });
  const pageArea = Math.max(1, viewport.width * viewport.height);
  type Matrix = [number, number, number, number, number, number];
  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  const stack: Matrix[] = [];
  let imageArea = 0;
  let paths = 0;
  for (let i = 0; i < fnArray.length; i++) {
    const args = argsArray[i] as unknown[] | null;
    switch (fnArray[i]) {
      case OPS.save:
        stack.push(ctm);
        break;
      case OPS.restore:
        ctm = stack.pop() ?? ctm;
        break;
      case OPS.transform:
        ctm = Util.transform(ctm, args as Matrix) as Matrix;
        break;
      case OPS.paintFormXObjectBegin:
        stack.push(ctm);
        if (Array.isArray(args?.[0])) ctm = Util.transform(ctm, args[0] as Matrix) as Matrix;
        break;
      case OPS.paintFormXObjectEnd:
        ctm = stack.pop() ?? ctm;
        break;
      case OPS.paintImageXObject:
      case OPS.paintInlineImageXObject:
      case OPS.paintImageMaskXObject:
        imageArea += Math.abs(ctm[0] * ctm[3] - ctm[1] * ctm[2]);
        break;
      case OPS.constructPath:
        paths++;
        break;
    }
  }
  return { imageShare: Math.min(1, imageArea / pageArea), paths };
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
    files.push({ name, mimeType: 'application/xml', content: decodeXml(content) });
  }
  return files;
}


/**
 * The offline OCR engine: the local adapter of the OcrEngine port.
 *
 * - Born-digital PDFs: the text layer via pdfjs (fast path, confidence 1), plus embedded e-invoice XML.
 * - Scans (images, and PDF pages without a text layer whose images cover a good part of the page, or drawn as
 *   outlines): deskew + tesseract.js with language data from npm. A PDF page with no text and no such content
 *   (blank, a logo and a page number) is not rendered.
 * - Standalone XML: no pages, the XML as an embedded file for the e-invoice parser.
 * Nothing is fetched from the network.
 */
import { createRequire } from 'node:module';
import { z } from 'zod';
import { decodeXml, MAX_EMBEDDED_XML_BYTES } from '../../../core/einvoice/xml-bytes.js';
import { PermanentError, RejectReason } from '../../../core/errors.js';
import { detectFileType, mimeTypeOf, type FileType } from '../../../core/invoice/file-type.js';
import type { EmbeddedFile, OcrDocument, Page } from '../../../core/ocr-document.js';
import { OCR_DOCUMENT_SCHEMA_VERSION } from '../../../core/ocr-document.js';
import type { OcrEngine, OcrInput, OcrLimits } from '../../../core/ports.js';
import { Deadline } from './deadline.js';
import { decodeImagePage, effectiveDpi, inspectImage, trustedDensity, type ImageLimits } from './images.js';
import { openPdf, readPageCoverage, readTextLayer, readXmlAttachments } from './pdf.js';
import { PaddleOcr, PPOCR_VERSION } from './paddle.js';
import { recognizeRaster, type ScanEngines } from './raster.js';
import { renderPage } from './render.js';
import { firstPassModels, INSTALLED_LANGUAGES } from './language.js';
import { defaultScanEngine, SCAN_ENGINES, type ScanEngine } from './scan-engine.js';
import { printedChars, TesseractPool } from './tesseract-pool.js';

export interface LocalOcrEngineOptions {
  /**
   * A PDF page with at least this many readable characters in its text layer is read from it, never rendered.
   * Default 10.
   */
  minTextLayerChars?: number;
  /**
   * A page with fewer characters is rendered and OCRed when images cover at least this share of it (a scan)...
   * Default 0.25.
   */
  minImageShare?: number;
  /** ...or when it draws at least this many vector paths (text converted to outlines). Default 300. */
  minOutlinePaths?: number;
  /** Render resolution of PDF pages sent to OCR. Default 300. */
  renderDpi?: number;
  /** Largest pixel count of one image page or rendered page. Default 80 M (A4 at 600 dpi is 35 M). */
  maxImagePixels?: number;
  /** Largest side of an image in pixels. Default 20,000. */
  maxImageSide?: number;
  /** Largest embedded XML attachment kept, in bytes. Default 5 MiB. */
  maxEmbeddedFileBytes?: number;
  /** OCR scans and text-less PDF pages (tesseract). Default true; false leaves such pages with no lines. */
  ocr?: boolean;
  /** Tesseract workers kept alive (one per language model: eng, deu, fra). Default 3. */
  maxWorkers?: number;
  /** Folder where links to the npm-packaged language files are gathered. Default: a folder in the OS temp dir. */
  tessdataDir?: string;
  /**
   * What reads a scan first: `ppocr` (PP-OCRv4 on onnxruntime, see paddle.ts; pages in German or French are
   * read again by tesseract either way) or `tesseract` (eng+deu+fra). Default: the LEDGERX_SCAN_ENGINE
   * environment variable, else `ppocr`.
   */
  scanEngine?: ScanEngine;
  /**
   * onnxruntime threads per PP-OCR network. Default 1: the pooled engine reads one page per core. A command
   * that reads a single scan gives it every core (one receipt: 2.51 -> 1.86 s on 2 cores; with two pages read at
   * once, two threads each made a folder 50 % slower).
   */
  ppocrThreads?: number;
}

export { defaultScanEngine, SCAN_ENGINES, type ScanEngine } from './scan-engine.js';

export interface LocalOcrEngine extends OcrEngine {
  /**
   * Starts what reads a scan first in the background (the English tesseract worker, or the PP-OCR models), so
   * that the first scan does not wait about a second for it. Costs ~70 MB (tesseract) or ~150 MB (PP-OCR) while
   * the engine lives: call it when scans are expected. A failure to start is reported by the first scan.
   */
  warmUpScans(): void;
  /** Terminates the tesseract workers (if any were started). */
  close(): Promise<void>;
}

const OptionsSchema = z.object({
  minTextLayerChars: z.number().int().nonnegative().default(10),
  minImageShare: z.number().min(0).max(1).default(0.25),
  minOutlinePaths: z.number().int().nonnegative().default(300),
  renderDpi: z.number().positive().max(1200).default(300),
  maxImagePixels: z.number().int().positive().default(80_000_000),
  maxImageSide: z.number().int().positive().default(20_000),
  maxEmbeddedFileBytes: z.number().int().positive().default(MAX_EMBEDDED_XML_BYTES),
  ocr: z.boolean().default(true),
  maxWorkers: z.number().int().positive().default(3),
  tessdataDir: z.string().min(1).optional(),
  scanEngine: z.enum(SCAN_ENGINES).optional(),
  ppocrThreads: z.number().int().min(1).max(64).default(1),
});

const LimitsSchema = z.object({
  maxPages: z.number().int().positive(),
  maxBytes: z.number().int().positive(),
  timeoutMs: z.number().positive(),
  languages: z.array(z.string().regex(/^[a-z_]{3,12}$/)),
});

const require = createRequire(import.meta.url);
/** Versions of the libraries behind this engine's output: a cache of OCR documents must key on it. */
export const LOCAL_OCR_ENGINE_VERSION = [
  `pdfjs-dist@${(require('pdfjs-dist/package.json') as { version: string }).version}`,
  `tesseract.js@${(require('tesseract.js/package.json') as { version: string }).version}`,
  PPOCR_VERSION,
].join('+');

type Options = z.infer<typeof OptionsSchema>;

const DEFAULT_OCR_DPI = 300;

interface RecognizedContent {
  pages: Page[];
  embeddedFiles: EmbeddedFile[];
}

/**
 * Creates the offline engine. Tesseract workers are created on first OCR and reused; call `close()` at
 * shutdown. `recognize` throws PermanentError with a RejectReason code (FILE_EMPTY, FILE_TOO_LARGE,
 * UNSUPPORTED_TYPE, PDF_CORRUPT, PDF_PASSWORD_PROTECTED, PDF_ENCRYPTED, TOO_MANY_PAGES, IMAGE_CORRUPT,
 * IMAGE_TOO_LARGE, OCR_TIMEOUT, NO_TEXT_FOUND) and RetryableError when the OCR engine fails transiently.
 */
export function createLocalOcrEngine(options: LocalOcrEngineOptions = {}): LocalOcrEngine {
  const opts = OptionsSchema.parse(options);
  const tesseract = new TesseractPool(opts.maxWorkers, opts.tessdataDir);
  let paddle: Promise<PaddleOcr> | undefined;
  const ppocr = () => {
    // Loaded on first use: onnxruntime and the models stay out of the threads of a tesseract or born-digital batch.
    paddle ??= PaddleOcr.load(opts.ppocrThreads);
    // A failed load is retried by the next scan rather than remembered.
    paddle.catch(() => { paddle = undefined; });
    return paddle;
  };
  const engines: ScanEngines = { tesseract, ...((opts.scanEngine ?? defaultScanEngine()) === 'ppocr' ? { ppocr } : {}) };
  return {
    name: 'local',
    // pdfjs returns the attachments while it reads the text layer (readXmlAttachments).
    readsAttachments: true,
    recognize: (input, limits) => recognize(input, LimitsSchema.parse(limits), opts, engines),
    warmUpScans: () => {
      if (!opts.ocr) return;
      if (engines.ppocr) engines.ppocr().catch(() => undefined);
      else tesseract.warmUp(firstPassModels(INSTALLED_LANGUAGES)).catch(() => undefined);
    },
    close: async () => {
      const loaded = paddle;
      paddle = undefined;
      await Promise.all([tesseract.close(), loaded?.then((p) => p.close(), () => undefined)]);
    },
  };
}

async function recognize(input: OcrInput, limits: OcrLimits, opts: Options, engines: ScanEngines): Promise<OcrDocument> {
  const started = performance.now();
  const { bytes } = input;
  if (bytes.byteLength === 0) throw new PermanentError(RejectReason.FILE_EMPTY, 'file is empty');
  if (bytes.byteLength > limits.maxBytes) {
    throw new PermanentError(RejectReason.FILE_TOO_LARGE, 'file exceeds the size limit', {
      size: bytes.byteLength,
      maxBytes: limits.maxBytes,
    });
  }
  const type = detectFileType(bytes);
  const deadline = new Deadline(limits.timeoutMs);
  const content = await recognizeByType(type, input, limits, opts, engines, deadline);
  const hasText = content.pages.some((p) => p.lines.length > 0);
  if (!hasText && content.embeddedFiles.length === 0) {
    throw new PermanentError(RejectReason.NO_TEXT_FOUND, 'no readable text in the document', {
      pages: content.pages.length,
    });
  }
  return {
    schemaVersion: OCR_DOCUMENT_SCHEMA_VERSION,
    mimeType: mimeTypeOf(type),
    text: content.pages.map((p) => p.lines.map((l) => l.text).join('\n')).join('\f'),
    pages: content.pages,
    entities: [],
    embeddedFiles: content.embeddedFiles,
    engine: { name: 'local', version: LOCAL_OCR_ENGINE_VERSION },
    elapsedMs: performance.now() - started,
  };
}

function recognizeByType(
  type: FileType,
  input: OcrInput,
  limits: OcrLimits,
  opts: Options,
  engines: ScanEngines,
  deadline: Deadline,
): Promise<RecognizedContent> {
  switch (type) {
    case 'pdf':
      return recognizePdf(input.bytes, limits, opts, engines, deadline);
    case 'png':
    case 'jpeg':
    case 'tiff':
    case 'webp':
      return recognizeImage(input.bytes, limits, opts, engines, deadline);
    case 'xml':
      return Promise.resolve({
        pages: [],
        embeddedFiles: [{ name: input.fileName, mimeType: mimeTypeOf('xml'), content: decodeXml(input.bytes) }],
      });
    case 'unknown':
      throw new PermanentError(RejectReason.UNSUPPORTED_TYPE, 'file type is not supported', {
        declaredContentType: input.declaredContentType ?? null,
      });
  }
}

async function recognizePdf(
  bytes: Uint8Array,
  limits: OcrLimits,
  opts: Options,
  engines: ScanEngines,
  deadline: Deadline,
): Promise<RecognizedContent> {
  const pdf = await openPdf(bytes);
  try {
    const { doc } = pdf;
    if (doc.numPages > limits.maxPages) {
      throw new PermanentError(RejectReason.TOO_MANY_PAGES, 'document has too many pages', {
        pages: doc.numPages,
        maxPages: limits.maxPages,
      });
    }
    const embeddedFiles = await readXmlAttachments(doc, opts.maxEmbeddedFileBytes);
    const pages: Page[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      deadline.check();
      const page = await doc.getPage(n).catch((err: unknown) => {
        throw new PermanentError(RejectReason.PDF_CORRUPT, 'PDF page cannot be read', {
          page: n,
          cause: (err as { name?: string })?.name ?? 'unknown',
        });
      });
      try {
        const layer = await readTextLayer(page).catch((err: unknown) => {
          throw new PermanentError(RejectReason.PDF_CORRUPT, 'PDF page content cannot be read', {
            page: n,
            cause: (err as { name?: string })?.name ?? 'unknown',
          });
        });
        const textPage: Page = {
          pageNumber: n,
          width: layer.width,
          height: layer.height,
          textSource: layer.lines.length > 0 ? 'text-layer' : 'none',
          lines: layer.lines,
          quality: null,
          languages: [],
        };
        if (layer.charCount >= opts.minTextLayerChars || !opts.ocr) {
          pages.push(textPage);
          continue;
        }
        // (Almost) no text layer: OCR only what looks like a scan or outlined text, not a blank page, a separator
        // or a page with a logo and a page number.
        const coverage = await readPageCoverage(page).catch(() => ({ imageShare: 1, paths: 0 }));
        if (coverage.imageShare < opts.minImageShare && coverage.paths < opts.minOutlinePaths) {
          pages.push(textPage);
          continue;
        }
        deadline.check();
        const rendered = await renderPage(page, opts.renderDpi, opts.maxImagePixels);
        deadline.check();
        const ocr = await recognizeRaster(rendered.image, rendered.dpi, limits.languages, engines, deadline);
        const ocrChars = printedChars(ocr.lines);
        // A sparse but real text layer beats OCR of the same page when OCR finds no more.
        pages.push(
          ocrChars > layer.charCount
            ? { ...textPage, ...turnedSize(textPage, ocr.quarterTurns), textSource: 'ocr', lines: ocr.lines, quality: ocr.quality, languages: [ocr.language] }
            : { ...textPage, quality: ocr.quality },
        );
      } finally {
        page.cleanup();
      }
    }
    return { pages, embeddedFiles };
  } finally {
    await pdf.close();
  }
}

async function recognizeImage(
  bytes: Uint8Array,
  limits: OcrLimits,
  opts: Options,
  engines: ScanEngines,
  deadline: Deadline,
): Promise<RecognizedContent> {
  const imageLimits: ImageLimits = { maxPixels: opts.maxImagePixels, maxSide: opts.maxImageSide };
  const info = await inspectImage(bytes, imageLimits);
  if (info.pages > limits.maxPages) {
    throw new PermanentError(RejectReason.TOO_MANY_PAGES, 'image has too many pages', {
      pages: info.pages,
      maxPages: limits.maxPages,
    });
  }
  const pages: Page[] = [];
  for (let i = 0; i < info.pages; i++) {
    deadline.check();
    const grey = await decodeImagePage(bytes, i, imageLimits);
    const dpi = effectiveDpi(grey.width, grey.height, info.density);
    const base = {
      pageNumber: i + 1,
      width: (grey.width / dpi) * 72,
      height: (grey.height / dpi) * 72,
    };
    if (!opts.ocr) {
      pages.push({ ...base, textSource: 'none', lines: [], quality: null, languages: [] });
      continue;
    }
    // Tesseract is told the file's density, or 300 dpi (what its models are trained on) when it has none.
    const density = trustedDensity(info.density);
    const ocr = await recognizeRaster(grey, dpi, limits.languages, engines, deadline, density ?? DEFAULT_OCR_DPI, density);
    pages.push({
      ...base,
      ...turnedSize(base, ocr.quarterTurns),
      textSource: ocr.lines.length > 0 ? 'ocr' : 'none',
      lines: ocr.lines,
      quality: ocr.quality,
      languages: [ocr.language],
    });
  }
  return { pages, embeddedFiles: [] };
}

/** A page's size in the frame its OCR boxes are in: a page read a quarter turned has its sides swapped. */
function turnedSize(page: { width: number; height: number }, quarterTurns: number): { width: number; height: number } {
  return quarterTurns % 2 === 1 ? { width: page.height, height: page.width } : { width: page.width, height: page.height };
}

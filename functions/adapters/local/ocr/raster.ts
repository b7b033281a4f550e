/**
 * OCR of one page raster: quality measures, deskew, resampling to a readable glyph size, tesseract (one language
 * model per pass) or PP-OCR first (paddle.ts), on the page turned upright when it reads like a turned one
 * (orientation.ts, PP-OCR only).
 */
import type { Line, PageQuality } from '../../../core/ocr-document.js';
import type { Deadline } from './deadline.js';
import { estimateSkew } from './deskew.js';
import { pgm, raw, toGrey, type GreyImage } from './grey-image.js';
import { restoreCurrencyMark } from './currency-mark.js';
import { restoreLatinLetters } from './latin-letters.js';
import { measureQuality } from './image-quality.js';
import { readUpright, type QuarterTurns } from './orientation.js';
import { clearDarkMargins } from './margins.js';
import { detectLanguage, firstPassLanguage, firstPassModels, usableLanguages, type OcrLanguage } from './language.js';
import type { PaddleOcr } from './paddle.js';
import type { OcrLines, TesseractPool } from './tesseract-pool.js';
import { measureTextSize } from './text-size.js';

/** Width of the thumbnail the skew is estimated on: enough to resolve text lines, cheap to project. */
const SKEW_SAMPLE_WIDTH = 1000;
/** Below this angle a rotation costs more (resampling blur) than it gains. */
const MIN_DESKEW_DEGREES = 0.15;
/**
 * Resampling from the measured glyph height (median height of glyph-sized ink components, in pixels). Measured
 * on real receipts and renders: receipts with 9-11 px glyphs read the same fields unscaled as enlarged 2x (at
 * twice the time), a 67 dpi invoice render with 7 px glyphs lost 53 % of its characters unscaled and 44 %
 * enlarged to 16-20 px. So only type under 9 px is enlarged, to 18 px (at most 2.5x). Type above 80 px (a
 * phone photo at full resolution) only costs time: tesseract scales text lines to a fixed height for its LSTM
 * anyway, so such pages are reduced to 48 px.
 */
const UPSCALE_BELOW_GLYPH_PX = 9;
/**
 * A scan whose file states a real resolution under 200 dpi is enlarged to 300 dpi, what tesseract's models are
 * trained on, as before the glyph rule (on 20 generated 150-200 dpi scans it made no difference to the key
 * fields, 8 of 20 either way: a candidate to drop for speed once measured on more scans).
 */
const UPSCALE_BELOW_DPI = 200;
const TARGET_DPI = 300;
const UPSCALE_TO_GLYPH_PX = 18;
const MAX_UPSCALE = 2.5;
const DOWNSCALE_ABOVE_GLYPH_PX = 80;
const DOWNSCALE_TO_GLYPH_PX = 48;

/** Factor to resample a page by before OCR, from its measured glyph height (1 when unknown or in range). */
export function resampleFactor(glyphHeight: number): number {
  if (!(glyphHeight > 0)) return 1;
  if (glyphHeight < UPSCALE_BELOW_GLYPH_PX) return Math.min(MAX_UPSCALE, UPSCALE_TO_GLYPH_PX / glyphHeight);
  if (glyphHeight > DOWNSCALE_ABOVE_GLYPH_PX) return DOWNSCALE_TO_GLYPH_PX / glyphHeight;
  return 1;
}

export interface RasterOcrResult {
  lines: Line[];
  quality: PageQuality;
  confidence: number;
  /** The model the returned lines were read with. */
  language: OcrLanguage;
  /** Clockwise quarter turns that made the page upright (orientation.ts); the boxes are in that turned frame. */
  quarterTurns: QuarterTurns;
}

/** Skew of a page, estimated on a thumbnail (positive = counter-clockwise). */
export async function skewOf(img: GreyImage): Promise<number> {
  if (img.width <= SKEW_SAMPLE_WIDTH) return estimateSkew(img);
  const thumb = await toGrey(raw(img).resize({ width: SKEW_SAMPLE_WIDTH, kernel: 'linear' }));
  return estimateSkew(thumb);
}

/** Rotates clockwise by `degrees` on a white background and crops back to the original frame. */
export async function rotateKeepingFrame(img: GreyImage, degrees: number): Promise<GreyImage> {
  const rotated = await toGrey(raw(img).rotate(degrees, { background: { r: 255, g: 255, b: 255, alpha: 1 } }));
  const left = Math.max(0, Math.floor((rotated.width - img.width) / 2));
  const top = Math.max(0, Math.floor((rotated.height - img.height) / 2));
  const width = Math.min(img.width, rotated.width - left);
  const height = Math.min(img.height, rotated.height - top);
  return toGrey(raw(rotated).extract({ left, top, width, height }));
}

/** The recognizers a page may go through: tesseract always (the German and French pass), PP-OCR when chosen. */
export interface ScanEngines {
  tesseract: TesseractPool;
  /** PP-OCRv4 for the first pass instead of tesseract's eng+deu+fra (the local engine's `scanEngine: 'ppocr'`). */
  ppocr?: (() => Promise<PaddleOcr>) | undefined;
}

/**
 * Recognizes one page raster. `dpi` is the effective resolution of `img` (from metadata, or the render scale for
 * PDF pages), reported in the quality measures; `ocrDpi` the resolution tesseract is told (default `dpi`);
 * `knownScanDpi` the resolution the file states, when it is a plausible one. Quality is measured on the page as
 * received; boxes are normalized to the page frame (turned upright when it was read turned: `quarterTurns`). The
 * page is deskewed, resampled (from its stated resolution when the file has a real one, else from its measured
 * glyph height), read with every candidate model (English first) or by PP-OCR, and read again by tesseract with
 * German or French alone when the text clearly is in that language (see language.ts): PP-OCR's alphabet has no
 * ß, ö, ç or €.
 */
export async function recognizeRaster(
  img: GreyImage,
  dpi: number,
  languages: readonly string[],
  engines: ScanEngines,
  deadline: Deadline,
  ocrDpi: number = dpi,
  knownScanDpi?: number,
): Promise<RasterOcrResult> {
  const skew = await skewOf(img);
  const quality = measureQuality(img, skew, dpi);
  deadline.check();
  let page = Math.abs(skew) >= MIN_DESKEW_DEGREES ? await rotateKeepingFrame(img, skew) : img;
  let size = measureTextSize(page);
  if (size.glyphHeight === 0) {
    // No print measurable under the page's global threshold: dark margins may have taken it (margins.ts). Only
    // then are they cleared: on receipts that read already, clearing changed as many fields for the worse as
    // for the better (sroie-dev development: 2 totals won, 2 lost).
    const cleared = clearDarkMargins(page).image;
    const clearedSize = measureTextSize(cleared);
    if (clearedSize.glyphHeight > 0) [page, size] = [cleared, clearedSize];
  }
  const factor = knownScanDpi !== undefined && knownScanDpi < UPSCALE_BELOW_DPI
    ? Math.min(MAX_UPSCALE, TARGET_DPI / knownScanDpi)
    : resampleFactor(size.glyphHeight);
  let upright = page;
  // Tesseract's input, made on first use: PP-OCR sizes the deskewed page for its own networks.
  let prepared: Promise<{ data: Buffer; width: number; height: number }> | undefined;
  const tesseractInput = () => (prepared ??= (async () => {
    const resampled = factor === 1 ? upright
      : await toGrey(raw(upright).resize({ width: Math.max(1, Math.round(upright.width * factor)), kernel: factor > 1 ? 'lanczos3' : 'linear' }));
    return { data: pgm(resampled), width: resampled.width, height: resampled.height };
  })());
  const hintDpi = Math.min(1200, Math.max(70, ocrDpi * factor));
  const read = async (models: readonly OcrLanguage[]) => {
    const input = await tesseractInput();
    deadline.check();
    return engines.tesseract.recognize(input.data, input.width, input.height, models, deadline, hintDpi);
  };
  const candidates = usableLanguages(languages);
  const first = firstPassLanguage(candidates);
  let language = first;
  let result: OcrLines;
  let quarterTurns: QuarterTurns = 0;
  if (engines.ppocr) {
    const ppocr = await engines.ppocr();
    ({ result, page: upright, quarterTurns } = await readUpright(page, (p) => ppocr.recognize(p, deadline), deadline));
  } else {
    result = await read(firstPassModels(candidates));
  }
  if (candidates.length > 1) {
    const detected = detectLanguage(result.lines.map((l) => l.text).join(' '), candidates, first);
    if (detected !== first) {
      deadline.check();
      const own = await read([detected]);
      // PP-OCR's reading stays, with the letters it cannot write taken from tesseract's (latin-letters.ts).
      result = engines.ppocr ? restoreLatinLetters(result, own) : own;
      language = detected;
    }
  }
  if (engines.ppocr) result = await restoreCurrencyMark(result, upright, engines.tesseract, deadline);
  return { lines: result.lines, quality, confidence: result.confidence, language, quarterTurns };
}


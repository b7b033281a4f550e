/**
 * OCR of one page raster: quality measures, deskew, upscaling of low-resolution input, tesseract.
 */
import sharp, { type Sharp } from 'sharp';
import type { Line, PageQuality } from '../../../core/ocr-document.js';
import type { Deadline } from './deadline.js';
import { estimateSkew } from './deskew.js';
import type { GreyImage } from './grey-image.js';
import { measureQuality } from './image-quality.js';
import type { TesseractPool } from './tesseract-pool.js';

/** Width of the thumbnail the skew is estimated on: enough to resolve text lines, cheap to project. */
const SKEW_SAMPLE_WIDTH = 1000;
/** Below this angle a rotation costs more (resampling blur) than it gains. */
const MIN_DESKEW_DEGREES = 0.15;
/** Tesseract's LSTM models are trained on ~300 dpi text; small text below ~200 dpi loses characters. */
const TARGET_DPI = 300;
const UPSCALE_BELOW_DPI = 200;
const MAX_UPSCALE = 3;

export interface RasterOcrResult {
  lines: Line[];
  quality: PageQuality;
  confidence: number;
}

function raw(img: GreyImage) {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } });
}

async function toGrey(pipeline: Sharp): Promise<GreyImage> {
  const { data, info } = await pipeline.greyscale().raw().toBuffer({ resolveWithObject: true });
  // greyscale() may still leave an alpha channel; keep the first channel of each pixel.
  if (info.channels === 1) return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  const out = new Uint8Array(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels]!;
  return { data: out, width: info.width, height: info.height };
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

/**
 * Recognizes one page raster. `dpi` is the effective resolution of `img` (from metadata, or the render
 * scale for PDF pages). Quality is measured on the page as received; boxes are normalized to the page frame.
 */
export async function recognizeRaster(
  img: GreyImage,
  dpi: number,
  languages: readonly string[],
  pool: TesseractPool,
  deadline: Deadline,
): Promise<RasterOcrResult> {
  const skew = await skewOf(img);
  const quality = measureQuality(img, skew, dpi);
  deadline.check();
  let page = Math.abs(skew) >= MIN_DESKEW_DEGREES ? await rotateKeepingFrame(img, skew) : img;
  let pageDpi = dpi;
  if (dpi > 0 && dpi < UPSCALE_BELOW_DPI) {
    const factor = Math.min(MAX_UPSCALE, TARGET_DPI / dpi);
    page = await toGrey(raw(page).resize({ width: Math.round(page.width * factor), kernel: 'lanczos3' }));
    pageDpi = dpi * factor;
  }
  deadline.check();
  // Tesseract sizes its text-height heuristics from the PNG's density; without it it guesses (and warns).
  const png = await raw(page).withDensity(Math.max(70, Math.round(pageDpi))).png({ compressionLevel: 1 }).toBuffer();
  const { lines, confidence } = await pool.recognize(png, page.width, page.height, languages, deadline);
  return { lines, quality, confidence };
}

export { toGrey };

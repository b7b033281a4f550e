/**
 * Decoding of uploaded images (PNG, JPEG, TIFF incl. multi-page, WebP) into grey page rasters with sharp.
 */
import sharp, { type Metadata } from 'sharp';
import { PermanentError, RejectReason } from '../../../core/errors.js';
import type { GreyImage } from './grey-image.js';
import { toGrey } from './grey-image.js';

/** Longest side of an A4 page in inches: the assumed page size when an image carries no usable density. */
const A4_LONG_SIDE_IN = 11.69;
/**
 * Densities below this are tool defaults (72/96 "screen" dpi written by screenshot and export tools), not a
 * scan resolution; the page size then gives the better estimate.
 */
const MIN_TRUSTED_DENSITY = 100;

export interface ImageInfo {
  pages: number;
  width: number;
  height: number;
  /** Dots per inch from the file's metadata, when present. */
  density?: number | undefined;
}

export interface ImageLimits {
  /** Largest pixel count of one page (decompression bombs: a tiny PNG can claim 100k x 100k pixels). */
  maxPixels: number;
  /** Largest side in pixels. */
  maxSide: number;
}

function corrupt(err: unknown): PermanentError {
  return new PermanentError(RejectReason.IMAGE_CORRUPT, 'image cannot be decoded', {
    cause: (err as { message?: string })?.message?.slice(0, 120) ?? 'unknown',
  });
}

/**
 * Reads the header of an image. Throws PermanentError IMAGE_CORRUPT when the header is unreadable and
 * IMAGE_TOO_LARGE when the declared dimensions exceed the limits (checked before any pixel is decoded).
 */
export async function inspectImage(bytes: Uint8Array, limits: ImageLimits): Promise<ImageInfo> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw corrupt(err);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0) throw corrupt(new Error('no dimensions'));
  // For multi-page files `height` may be the whole stack; `pageHeight` is one page.
  const pageHeight = meta.pageHeight ?? height;
  if (width > limits.maxSide || pageHeight > limits.maxSide || width * pageHeight > limits.maxPixels) {
    throw new PermanentError(RejectReason.IMAGE_TOO_LARGE, 'image dimensions exceed the limit', {
      width,
      height: pageHeight,
      maxPixels: limits.maxPixels,
    });
  }
  return { pages: Math.max(1, meta.pages ?? 1), width, height: pageHeight, density: meta.density };
}

/** The file's density when it is a plausible scan resolution, else undefined. */
export function trustedDensity(density: number | undefined): number | undefined {
  return density !== undefined && Number.isFinite(density) && density >= MIN_TRUSTED_DENSITY && density <= 4800 ? density : undefined;
}

/**
 * Effective dpi for the quality measures and the page size: trusted metadata density, else the long side
 * measured against an A4 page. Not used to resample the page for OCR (see raster.ts: the measured glyph
 * height decides), since an A4 guess is wrong for receipts.
 */
export function effectiveDpi(width: number, height: number, density: number | undefined): number {
  return trustedDensity(density) ?? Math.max(width, height) / A4_LONG_SIDE_IN;
}

/**
 * Decodes page `index` (0-based) of an image into grey, honouring EXIF orientation.
 * Throws PermanentError IMAGE_CORRUPT when the pixel data is truncated or invalid.
 */
export async function decodeImagePage(bytes: Uint8Array, index: number, limits: ImageLimits): Promise<GreyImage> {
  try {
    return await toGrey(
      sharp(bytes, { page: index, pages: 1, limitInputPixels: limits.maxPixels, failOn: 'error' })
        .autoOrient()
        // Transparent pixels are background: flatten onto white before dropping colour.
        .flatten({ background: '#ffffff' }),
    );
  } catch (err) {
    throw corrupt(err);
  }
}

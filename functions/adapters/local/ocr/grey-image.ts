import sharp, { type Sharp } from 'sharp';

/** An 8-bit single-channel raster (0 = black, 255 = white), row-major. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** RGBA (canvas) -> grey with the Rec. 601 luma weights that libvips and tesseract also use. */
export function greyFromRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): GreyImage {
  const data = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    const alpha = rgba[j + 3]! / 255;
    // Transparent canvas pixels are page background: blend over white.
    const luma = 0.299 * rgba[j]! + 0.587 * rgba[j + 1]! + 0.114 * rgba[j + 2]!;
    data[i] = Math.round(luma * alpha + 255 * (1 - alpha));
  }
  return { data, width, height };
}

/** A grey raster as a sharp pipeline. */
export function raw(img: GreyImage) {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } });
}

/** The grey raster a sharp pipeline produces: one channel (sharp writes three or an alpha unless told otherwise). */
export async function toGrey(pipeline: Sharp): Promise<GreyImage> {
  const { data, info } = await pipeline.greyscale().raw().toBuffer({ resolveWithObject: true });
  // greyscale() may still leave an alpha channel; keep the first channel of each pixel.
  if (info.channels === 1) return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  const out = new Uint8Array(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels]!;
  return { data: out, width: info.width, height: info.height };
}

/** Uncompressed grey (PGM) for tesseract: nothing to encode here or to decode in the wasm engine (a PNG cost both ways). */
export function pgm(img: GreyImage): Buffer {
  return Buffer.concat([Buffer.from(`P5\n${img.width} ${img.height}\n255\n`, 'latin1'), img.data]);
}

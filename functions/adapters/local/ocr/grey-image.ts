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

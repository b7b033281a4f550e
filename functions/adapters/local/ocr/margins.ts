/**
 * Dark margins of a photographed or scanned page: the table a receipt lies on, the scanner lid around a short
 * slip, the black shadow of a torn edge. They are not ink, but they are dark enough to decide a global threshold:
 * on a thermal receipt with faint grey print, Otsu's threshold then separates the margins from the paper and the
 * print falls on the paper side, so tesseract sees an empty page (a sroie-dev receipt read as no text at all,
 * native tesseract included; with its margins cleared it reads every line).
 */
import { histogramLevel, otsuThreshold } from './deskew.js';
import type { GreyImage } from './grey-image.js';

export interface ClearedMargins {
  image: GreyImage;
  /** Share of the page's pixels that were cleared (0 when nothing dark touches the edge). */
  cleared: number;
}

/**
 * Paints every region darker than the page's Otsu threshold that touches the page's edge (4-connected flood fill
 * from the border) in the paper's grey level (the median of the rest of the page), so that the margins neither
 * decide the threshold nor form a third class of their own. Print inside the page is never connected to the edge
 * through dark pixels, except a glyph that itself touches the edge. Hand-written: sharp and tesseract offer no
 * flood fill. A scanline fill (one seed per run of dark pixels, not one queue entry per pixel) keeps the memory
 * at one byte per pixel besides the output, on pages of up to 80 million pixels. Returns the input itself when
 * nothing dark touches the edge.
 */
export function clearDarkMargins(img: GreyImage): ClearedMargins {
  const { data, width, height } = img;
  const size = width * height;
  if (size === 0) return { image: img, cleared: 0 };
  // Otsu's dark class is the levels up to and including its threshold.
  const threshold = otsuThreshold(img);
  const margin = new Uint8Array(size);
  const open = (i: number) => margin[i] === 0 && data[i]! <= threshold;
  const seeds: number[] = [];
  for (let x = 0; x < width; x++) seeds.push(x, (height - 1) * width + x);
  for (let y = 1; y < height - 1; y++) seeds.push(y * width, y * width + width - 1);
  let cleared = 0;
  // Seeds one row above or below the run [from, to] of row `row`: the first pixel of each open run there.
  const seedRow = (row: number, from: number, to: number) => {
    for (let x = from; x <= to; x++) {
      if (!open(row + x)) continue;
      seeds.push(row + x);
      while (x <= to && open(row + x)) x++;
    }
  };
  while (seeds.length > 0) {
    const i = seeds.pop()!;
    if (!open(i)) continue;
    const row = i - (i % width);
    let left = i - row;
    let right = left;
    while (left > 0 && open(row + left - 1)) left--;
    while (right < width - 1 && open(row + right + 1)) right++;
    margin.fill(1, row + left, row + right + 1);
    cleared += right - left + 1;
    if (row > 0) seedRow(row - width, left, right);
    if (row + width < size) seedRow(row + width, left, right);
  }
  if (cleared === 0) return { image: img, cleared: 0 };
  const hist = new Float64Array(256);
  for (let i = 0; i < size; i++) if (margin[i] === 0) hist[data[i]!]!++;
  const paper = histogramLevel(hist, size - cleared, 0.5);
  const out = new Uint8Array(data);
  for (let i = 0; i < size; i++) if (margin[i] === 1) out[i] = paper;
  return { image: { data: out, width, height }, cleared: cleared / size };
}

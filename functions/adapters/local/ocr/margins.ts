/**
 * Dark margins of a photographed or scanned page: the table a receipt lies on, the scanner lid around a short
 * slip, the black shadow of a torn edge. They are not ink, but they are dark enough to decide a global threshold:
 * on a thermal receipt with faint grey print, Otsu's threshold then separates the margins from the paper and the
 * print falls on the paper side, so tesseract sees an empty page (a sroie-dev receipt read as no text at all,
 * native tesseract included; with its margins cleared it reads every line).
 */
import { otsuThreshold } from './deskew.js';
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
 * flood fill, and a queue over the raster is a few lines. Returns the input itself when nothing dark touches the
 * edge.
 */
export function clearDarkMargins(img: GreyImage): ClearedMargins {
  const { data, width, height } = img;
  const size = width * height;
  if (size === 0) return { image: img, cleared: 0 };
  // Otsu's dark class is the levels up to and including its threshold.
  const threshold = otsuThreshold(img);
  const margin = new Uint8Array(size);
  const queue = new Int32Array(size);
  let head = 0;
  let tail = 0;
  const visit = (i: number) => {
    if (margin[i] === 0 && data[i]! <= threshold) {
      margin[i] = 1;
      queue[tail++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    visit(x);
    visit((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    visit(y * width);
    visit(y * width + width - 1);
  }
  while (head < tail) {
    const i = queue[head++]!;
    const x = i % width;
    if (x > 0) visit(i - 1);
    if (x < width - 1) visit(i + 1);
    if (i >= width) visit(i - width);
    if (i < size - width) visit(i + width);
  }
  if (tail === 0) return { image: img, cleared: 0 };
  const hist = new Float64Array(256);
  for (let i = 0; i < size; i++) if (margin[i] === 0) hist[data[i]!]!++;
  let paper = 255;
  for (let level = 0, seen = 0; level < 256; level++) {
    seen += hist[level]!;
    if (seen > (size - tail) / 2) {
      paper = level;
      break;
    }
  }
  const out = new Uint8Array(data);
  for (let k = 0; k < tail; k++) out[queue[k]!] = paper;
  return { image: { data: out, width, height }, cleared: tail / size };
}

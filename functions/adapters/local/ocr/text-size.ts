/**
 * Size of the printed characters of a page raster, measured on the page itself: the median height of its
 * glyph-sized connected components of ink. Decides whether a page is resampled before OCR. A rule based on the
 * page's dpi cannot: an image without a usable density had its dpi guessed from an assumed A4 page, which made
 * a till receipt (narrow, large type) look like a 100 dpi fax and doubled its sides (4x the pixels, 1.6x the
 * time) for no gain, while a real low-resolution render kept type too small to read.
 */
import { otsuThreshold } from './deskew.js';
import type { GreyImage } from './grey-image.js';

export interface TextSize {
  /** Median height of glyph-sized components in pixels of the measured image; 0 when too few were found. */
  glyphHeight: number;
  /** Glyph-sized components found. */
  glyphs: number;
}

/** Components needed for a usable median (a page with a word or two is left alone). */
const MIN_GLYPHS = 20;
/** Above this many pixels the page is measured at half size (bounded time; glyphs stay measurable). */
const HALF_SIZE_ABOVE_PIXELS = 4_000_000;

/**
 * Connected components of ink (8-connected), found row by row on runs of dark pixels with union-find, so the
 * work is proportional to the number of runs rather than of pixels. Returns each component's height and width.
 */
function componentSizes(img: GreyImage, threshold: number): { heights: Int32Array; widths: Int32Array; pixels: Int32Array; count: number } {
  const { data, width, height } = img;
  const parent: number[] = [];
  const minY: number[] = [];
  const maxY: number[] = [];
  const minX: number[] = [];
  const maxX: number[] = [];
  const area: number[] = [];
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  const union = (a: number, b: number): number => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return ra;
    parent[rb] = ra;
    minY[ra] = Math.min(minY[ra]!, minY[rb]!);
    maxY[ra] = Math.max(maxY[ra]!, maxY[rb]!);
    minX[ra] = Math.min(minX[ra]!, minX[rb]!);
    maxX[ra] = Math.max(maxX[ra]!, maxX[rb]!);
    area[ra] = area[ra]! + area[rb]!;
    return ra;
  };
  // Runs of the previous row: start, end (exclusive), component.
  let prev: number[] = [];
  for (let y = 0; y < height; y++) {
    const cur: number[] = [];
    const row = y * width;
    let p = 0;
    for (let x = 0; x < width; ) {
      if (data[row + x]! >= threshold) {
        x++;
        continue;
      }
      const start = x;
      while (x < width && data[row + x]! < threshold) x++;
      const end = x;
      let label = -1;
      // 8-connectivity: a run touches a run of the row above that overlaps [start - 1, end + 1).
      while (p < prev.length && prev[p + 1]! < start) p += 3;
      for (let q = p; q < prev.length && prev[q]! <= end; q += 3) {
        label = label < 0 ? find(prev[q + 2]!) : union(label, prev[q + 2]!);
      }
      if (label < 0) {
        label = parent.length;
        parent.push(label);
        minY.push(y);
        maxY.push(y);
        minX.push(start);
        maxX.push(end - 1);
        area.push(0);
      } else {
        maxY[label] = Math.max(maxY[label]!, y);
        minX[label] = Math.min(minX[label]!, start);
        maxX[label] = Math.max(maxX[label]!, end - 1);
      }
      area[label] = area[label]! + (end - start);
      cur.push(start, end, label);
    }
    prev = cur;
  }
  const heights: number[] = [];
  const widths: number[] = [];
  const pixels: number[] = [];
  for (let i = 0; i < parent.length; i++) {
    if (parent[i] !== i) continue;
    heights.push(maxY[i]! - minY[i]! + 1);
    widths.push(maxX[i]! - minX[i]! + 1);
    pixels.push(area[i]!);
  }
  return { heights: Int32Array.from(heights), widths: Int32Array.from(widths), pixels: Int32Array.from(pixels), count: heights.length };
}

/** Every second pixel of every second row (a box filter would blur thin strokes away at this size). */
function halfSize(img: GreyImage): GreyImage {
  const width = Math.floor(img.width / 2);
  const height = Math.floor(img.height / 2);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const src = 2 * y * img.width;
    for (let x = 0; x < width; x++) {
      // The darker of two neighbours keeps one-pixel strokes.
      data[y * width + x] = Math.min(img.data[src + 2 * x]!, img.data[src + 2 * x + 1]!);
    }
  }
  return { data, width, height };
}

/**
 * Measures the typical glyph height of a page (deskewed, grey). Components count as glyphs when they are
 * between 4 px and an eighth of the page high, no wider than 3x their height (not a rule or a merged word), and
 * fill between a tenth and nine tenths of their box (not a frame, not a filled block).
 */
export function measureTextSize(img: GreyImage): TextSize {
  const scale = img.width * img.height > HALF_SIZE_ABOVE_PIXELS ? 2 : 1;
  const page = scale === 2 ? halfSize(img) : img;
  if (page.width < 8 || page.height < 8) return { glyphHeight: 0, glyphs: 0 };
  const threshold = otsuThreshold(page);
  const { heights, widths, pixels, count } = componentSizes(page, threshold);
  const minHeight = 4 / scale;
  const maxHeight = page.height / 8;
  const glyphs: number[] = [];
  for (let i = 0; i < count; i++) {
    const h = heights[i]!;
    const w = widths[i]!;
    if (h < minHeight || h > maxHeight || w > 3 * h) continue;
    const fill = pixels[i]! / (w * h);
    if (fill < 0.1 || fill > 0.9) continue;
    glyphs.push(h);
  }
  if (glyphs.length < MIN_GLYPHS) return { glyphHeight: 0, glyphs: glyphs.length };
  glyphs.sort((a, b) => a - b);
  return { glyphHeight: glyphs[Math.floor(glyphs.length / 2)]! * scale, glyphs: glyphs.length };
}

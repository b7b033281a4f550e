/**
 * Image-quality measures of a scanned or rendered page, hand-written because they are a few loops over a
 * grey raster and no maintained npm package computes them without pulling in OpenCV (tens of MB of wasm).
 */
import type { PageQuality } from '../../../core/ocr-document.js';
import type { GreyImage } from './grey-image.js';

/**
 * Variance of the 4-neighbour Laplacian over the image: sharp glyph edges give large second derivatives,
 * blur flattens them (Pech-Pacheco et al., 2000). Scale-dependent: compare pages at similar dpi.
 */
export function laplacianVariance(img: GreyImage): number {
  const { data, width: w, height: h } = img;
  if (w < 3 || h < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    const row = y * w;
    for (let x = 1; x < w - 1; x++) {
      const i = row + x;
      const lap = data[i - 1]! + data[i + 1]! + data[i - w]! + data[i + w]! - 4 * data[i]!;
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  const mean = sum / n;
  return Math.max(0, sumSq / n - mean * mean);
}

/** RMS contrast: standard deviation of intensities scaled to 0..1 (max 0.5 for a half black, half white page). */
export function rmsContrast(img: GreyImage): number {
  const { data } = img;
  if (data.length === 0) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]! / 255;
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / data.length;
  return Math.min(1, Math.sqrt(Math.max(0, sumSq / data.length - mean * mean)));
}

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/**
 * Combines the measures into a 0..1 score as a weighted geometric mean of per-measure scores, so that one
 * bad property (a blurred photo, a 72 dpi fax) pulls the whole score down instead of being averaged away:
 * - sharpness: ln(blur variance) mapped from ln 30 (unreadable) to ln 1000 (crisp at 300 dpi), weight 0.35;
 * - resolution: effective dpi mapped from 100 to 300, weight 0.25;
 * - contrast: RMS contrast mapped from 0 to 0.25 (a printed page on white paper sits at 0.25-0.4), weight 0.25;
 * - skew: 1 at 0 degrees down to 0 at 15 degrees (deskewing is lossy for large angles), weight 0.15.
 */
export function qualityScore(m: Omit<PageQuality, 'score'>): number {
  const sharp = clamp01((Math.log(Math.max(m.blurVariance, 1e-9)) - Math.log(30)) / (Math.log(1000) - Math.log(30)));
  const dpi = clamp01((m.effectiveDpi - 100) / 200);
  const contrast = clamp01(m.contrast / 0.25);
  const skew = clamp01(1 - Math.abs(m.skewDegrees) / 15);
  const parts: Array<[number, number]> = [[sharp, 0.35], [dpi, 0.25], [contrast, 0.25], [skew, 0.15]];
  // A small floor keeps the mean informative (a zero would wipe out every other measure).
  const logScore = parts.reduce((acc, [v, w]) => acc + w * Math.log(Math.max(v, 0.01)), 0);
  return clamp01(Math.exp(logScore));
}

/** All measures of one page plus the combined score. */
export function measureQuality(img: GreyImage, skewDegrees: number, effectiveDpi: number): PageQuality {
  const measures = {
    blurVariance: laplacianVariance(img),
    skewDegrees,
    effectiveDpi,
    contrast: rmsContrast(img),
  };
  return { ...measures, score: qualityScore(measures) };
}

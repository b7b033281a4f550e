import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { estimateSkew, inkThreshold, otsuThreshold } from '../../functions/adapters/local/ocr/deskew.js';
import type { GreyImage } from '../../functions/adapters/local/ocr/grey-image.js';
import { decodeImagePage, effectiveDpi } from '../../functions/adapters/local/ocr/images.js';
import { laplacianVariance, measureQuality, qualityScore, rmsContrast } from '../../functions/adapters/local/ocr/image-quality.js';
import { rotateKeepingFrame, skewOf } from '../../functions/adapters/local/ocr/raster.js';
import { degradeToScan } from '../../functions/generator/render/scan.js';
import { Rng } from '../../functions/generator/rng.js';
import { invoicePage, textPdf } from '../fixtures/ocr/documents.js';

/** A page of "text": rows of word-sized black bars, like a printed page seen from afar. */
async function barsPage(width = 800, height = 1000, barHeight = 10, rows = 25): Promise<Sharp> {
  const bars: OverlayOptions[] = [];
  for (let row = 0; row < rows; row++) {
    let x = 60;
    for (let word = 0; x < width - 120; word++) {
      const w = 30 + ((row * 7 + word * 13) % 60);
      bars.push({ input: { create: { width: w, height: barHeight, channels: 3, background: '#000000' } }, left: x, top: 80 + row * 34 });
      x += w + 14;
    }
  }
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(bars);
}

async function grey(pipeline: Sharp): Promise<GreyImage> {
  const { data, info } = await pipeline.greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

describe('deskew', () => {
  it.each([0, 2.5, -4, 7])('finds a rotation of %s degrees (positive = counter-clockwise)', async (degrees) => {
    const page = await sharp(await (await barsPage()).png().toBuffer())
      // sharp rotates clockwise for positive angles: -degrees tilts the lines counter-clockwise by `degrees`.
      .rotate(-degrees, { background: '#ffffff' });
    const skew = estimateSkew(await grey(page));
    expect(Math.abs(skew - degrees)).toBeLessThan(0.3);
  });

  it('straightens a page with rotateKeepingFrame and keeps its size', async () => {
    const tilted = await grey(sharp(await (await barsPage()).png().toBuffer()).rotate(-3, { background: '#ffffff' }));
    const straight = await rotateKeepingFrame(tilted, estimateSkew(tilted));
    expect(straight.width).toBe(tilted.width);
    expect(straight.height).toBe(tilted.height);
    expect(Math.abs(estimateSkew(straight))).toBeLessThan(0.3);
  });

  it.each([2.7])(
    'finds a rotation of %s degrees on a generated scan (noisy paper, grey border)',
    async (degrees) => {
      const pdf = await textPdf([invoicePage()]);
      const scan = await degradeToScan(new Rng(5), pdf, {
        dpi: 150, rotationDegrees: -degrees, quarterTurns: 0, blurSigma: 0, noiseSigma: 14, stain: false, shadow: false, format: 'png',
      }, new Date('2025-01-01'));
      const page = await decodeImagePage(scan.bytes, 0, { maxPixels: 80_000_000, maxSide: 20_000 });
      expect(Math.abs((await skewOf(page)) - degrees)).toBeLessThan(0.3);
    },
  );

  it('takes ink for ink, not the grey border or the paper noise', () => {
    // 1 % ink, 12 % scanner bed at 216 around a rotated page, paper at 225-254. On real scans (anti-aliased,
    // blurred ink) Otsu split bed from paper there, and the "ink" it found was border and noise without lines
    // (generated scans rotated 1.9-3.3 degrees read ~0): the ink threshold stays between ink and bed.
    const data = new Uint8Array(20_000);
    for (let i = 0; i < data.length; i++) data[i] = i % 100 === 0 ? 35 : i % 100 < 13 ? 216 : 225 + (i % 30);
    const img = { data, width: 200, height: 100 };
    const t = inkThreshold(img);
    expect(t).toBeGreaterThan(35);
    expect(t).toBeLessThan(216);
  });

  it('returns 0 for a blank page', async () => {
    const blank = await grey(sharp({ create: { width: 300, height: 300, channels: 3, background: '#ffffff' } }));
    expect(estimateSkew(blank)).toBe(0);
  });

  it('computes an Otsu threshold between ink and paper', () => {
    const img: GreyImage = { data: new Uint8Array([10, 12, 14, 240, 242, 250, 245, 238]), width: 8, height: 1 };
    const t = otsuThreshold(img);
    expect(t).toBeGreaterThanOrEqual(14);
    expect(t).toBeLessThan(238);
  });
});

describe('image quality', () => {
  it('measures blur: a blurred page has a much lower Laplacian variance', async () => {
    const png = await (await barsPage()).png().toBuffer();
    const sharpVar = laplacianVariance(await grey(sharp(png)));
    const blurredVar = laplacianVariance(await grey(sharp(png).blur(3)));
    expect(sharpVar).toBeGreaterThan(blurredVar * 10);
  });

  it('measures RMS contrast in 0..1', () => {
    const half: GreyImage = { data: new Uint8Array([0, 0, 255, 255]), width: 2, height: 2 };
    const flat: GreyImage = { data: new Uint8Array([128, 128, 128, 128]), width: 2, height: 2 };
    expect(rmsContrast(half)).toBeCloseTo(0.5);
    expect(rmsContrast(flat)).toBe(0);
  });

  it('scores clean pages high and degraded pages low', () => {
    const clean = qualityScore({ blurVariance: 2000, skewDegrees: 0, effectiveDpi: 300, contrast: 0.35 });
    const blurred = qualityScore({ blurVariance: 20, skewDegrees: 0, effectiveDpi: 300, contrast: 0.35 });
    const lowRes = qualityScore({ blurVariance: 2000, skewDegrees: 0, effectiveDpi: 72, contrast: 0.35 });
    const skewed = qualityScore({ blurVariance: 2000, skewDegrees: 8, effectiveDpi: 300, contrast: 0.35 });
    expect(clean).toBeGreaterThan(0.95);
    expect(blurred).toBeLessThan(0.3);
    expect(lowRes).toBeLessThan(0.4);
    expect(skewed).toBeLessThan(clean);
    expect(skewed).toBeGreaterThan(blurred);
  });

  it('reports every measure and a score within bounds', async () => {
    const q = measureQuality(await grey(await barsPage()), 1.5, 300);
    expect(q.skewDegrees).toBe(1.5);
    expect(q.effectiveDpi).toBe(300);
    expect(q.contrast).toBeGreaterThan(0);
    expect(q.score).toBeGreaterThan(0);
    expect(q.score).toBeLessThanOrEqual(1);
  });

  it('takes dpi from trusted metadata, else from the pixel size against an A4 page', () => {
    expect(effectiveDpi(2480, 3508, 300)).toBe(300);
    expect(effectiveDpi(2480, 3508, 72)).toBeCloseTo(3508 / 11.69);
    expect(effectiveDpi(1240, 1754, undefined)).toBeCloseTo(150, 0);
  });
});

import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { GreyImage } from '../../functions/adapters/local/ocr/grey-image.js';
import { resampleFactor } from '../../functions/adapters/local/ocr/raster.js';
import { measureTextSize } from '../../functions/adapters/local/ocr/text-size.js';

/** A page of real glyphs: lines of text drawn with an SVG font at `px` pixels per em. */
async function textPage(px: number, width = 1200, height = 1600): Promise<GreyImage> {
  const lines: string[] = [];
  for (let y = px * 2, i = 0; y < height - px; y += px * 1.6, i++) {
    lines.push(`<text x="${px}" y="${y}" font-family="sans-serif" font-size="${px}">Invoice 4711 total ${i * 13}.50 EUR due on 2024-03-${10 + (i % 20)}</text>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${lines.join('')}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

describe('glyph height of a page', () => {
  it.each([12, 24, 48])('measures type of %s px per em as about two thirds of the em', async (px) => {
    const { glyphHeight, glyphs } = measureTextSize(await textPage(px, px * 50, px * 60));
    expect(glyphs).toBeGreaterThan(100);
    // Median of lower-case, capitals and digits: between the x-height (~0.5 em) and the cap height (~0.75 em).
    expect(glyphHeight).toBeGreaterThanOrEqual(px * 0.45);
    expect(glyphHeight).toBeLessThanOrEqual(px * 0.85);
  });

  it('measures large pages at half size with the same result', async () => {
    const page = await textPage(40, 2400, 2000);
    expect(page.width * page.height).toBeGreaterThan(4_000_000);
    const { glyphHeight } = measureTextSize(page);
    expect(glyphHeight).toBeGreaterThanOrEqual(40 * 0.45);
    expect(glyphHeight).toBeLessThanOrEqual(40 * 0.85);
  });

  it('reports nothing for a blank page or a page with a few marks', () => {
    const blank: GreyImage = { data: new Uint8Array(400 * 300).fill(255), width: 400, height: 300 };
    expect(measureTextSize(blank)).toEqual({ glyphHeight: 0, glyphs: 0 });
    const marks = new Uint8Array(400 * 300).fill(255);
    for (let y = 100; y < 110; y++) for (let x = 100; x < 106; x++) marks[y * 400 + x] = 0;
    expect(measureTextSize({ data: marks, width: 400, height: 300 }).glyphHeight).toBe(0);
  });

  it.each<[number, number]>([
    [0, 1],
    [8, 18 / 8],
    [7, 2.5],
    [5, 2.5],
    [9, 1],
    [34, 1],
    [80, 1],
    [120, 48 / 120],
  ])('resamples glyphs of %s px by %s', (glyph, factor) => {
    expect(resampleFactor(glyph)).toBeCloseTo(factor, 6);
  });
});

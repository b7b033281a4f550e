import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { GreyImage } from '../../functions/adapters/local/ocr/grey-image.js';
import { clearDarkMargins } from '../../functions/adapters/local/ocr/margins.js';
import { measureTextSize } from '../../functions/adapters/local/ocr/text-size.js';
import { FAINT_RECEIPT, receiptOnTable } from '../fixtures/ocr/documents.js';

const { paper: PAPER, print: PRINT, margin: MARGIN } = FAINT_RECEIPT;

async function receiptPage(width = 400, height = 700, band = 60): Promise<GreyImage> {
  const lines = Array.from({ length: 17 }, (_, i) => `ITEM ${i} SUGAR 1KG ${i + 3}.50`);
  const { data, info } = await sharp(await receiptOnTable(lines, width, height, band)).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

describe('dark margins of a photographed page', () => {
  it('hide faint print from a global threshold; cleared, the print is measurable again', async () => {
    const page = await receiptPage();
    expect(measureTextSize(page).glyphHeight).toBe(0);
    const { image, cleared } = clearDarkMargins(page);
    expect(cleared).toBeGreaterThan(0.15);
    expect(cleared).toBeLessThan(0.25);
    const { glyphHeight } = measureTextSize(image);
    expect(glyphHeight).toBeGreaterThanOrEqual(10);
    expect(glyphHeight).toBeLessThanOrEqual(17);
    // Margins are paper now; the print and the paper are untouched; the input is not modified.
    expect(image.data[0]).toBe(PAPER);
    expect(image.data[(image.height - 1) * image.width + 200]).toBe(PAPER);
    expect(Math.min(...image.data.subarray(85 * image.width, 105 * image.width))).toBeLessThanOrEqual(PRINT + 2);
    expect(image.data[70 * image.width + 380]).toBe(PAPER);
    expect(page.data[0]).toBe(MARGIN);
  });

  it('leaves dark print that does not touch the edge, and a page without margins, as they are', async () => {
    const page = await receiptPage(300, 400, 0);
    // No bands: only the 8 px side frame touches the edge; black print inside stays.
    for (let y = 100; y < 114; y++) for (let x = 100; x < 109; x++) page.data[y * page.width + x] = 0;
    const { image } = clearDarkMargins(page);
    expect(image.data[105 * page.width + 104]).toBe(0);
    const clean: GreyImage = { data: new Uint8Array(200 * 100).fill(PAPER), width: 200, height: 100 };
    clean.data[50 * 200 + 100] = 0;
    const result = clearDarkMargins(clean);
    expect(result.cleared).toBe(0);
    expect(result.image).toBe(clean);
  });

  it('paints exactly the dark pixels 4-connected to the edge (checked against a pixel-by-pixel flood fill)', () => {
    let state = 7;
    const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 20; round++) {
      const width = 5 + Math.floor(next() * 40), height = 5 + Math.floor(next() * 30);
      // Blotches of dark on light paper: many regions, some touching the edge, some diagonal-only neighbours.
      const data = Uint8Array.from({ length: width * height }, () => (next() < 0.45 ? 20 : 230));
      const { image } = clearDarkMargins({ data, width, height });
      const threshold = 125;
      const reached = new Uint8Array(width * height);
      const queue: number[] = [];
      const visit = (i: number) => { if (!reached[i] && data[i]! <= threshold) { reached[i] = 1; queue.push(i); } };
      for (let x = 0; x < width; x++) { visit(x); visit((height - 1) * width + x); }
      for (let y = 0; y < height; y++) { visit(y * width); visit(y * width + width - 1); }
      while (queue.length > 0) {
        const i = queue.shift()!, x = i % width;
        if (x > 0) visit(i - 1);
        if (x < width - 1) visit(i + 1);
        if (i >= width) visit(i - width);
        if (i < (height - 1) * width) visit(i + width);
      }
      for (let i = 0; i < data.length; i++) expect(image.data[i]).toBe(reached[i] ? 230 : data[i]);
    }
  });

  it('handles an empty and a one-pixel page', () => {
    expect(clearDarkMargins({ data: new Uint8Array(0), width: 0, height: 0 }).cleared).toBe(0);
    // A page that is all margin has no paper to take the level of: it becomes white.
    expect(clearDarkMargins({ data: new Uint8Array([0]), width: 1, height: 1 }).image.data[0]).toBe(255);
  });
});

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

  it('handles an empty and a one-pixel page', () => {
    expect(clearDarkMargins({ data: new Uint8Array(0), width: 0, height: 0 }).cleared).toBe(0);
    // A page that is all margin has no paper to take the level of: it becomes white.
    expect(clearDarkMargins({ data: new Uint8Array([0]), width: 1, height: 1 }).image.data[0]).toBe(255);
  });
});

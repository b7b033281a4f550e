import { describe, expect, it } from 'vitest';
import { textBoxes } from '../../functions/adapters/local/ocr/paddle.js';
import { defaultScanEngine } from '../../functions/adapters/local/ocr/scan-engine.js';

/**
 * The PP-OCR engine's box finder (connected regions of the detector's text probability, grown by the DB
 * unclip distance) and the choice of scan engine by LEDGERX_SCAN_ENGINE.
 */

function map(width: number, height: number, bars: Array<[x0: number, y0: number, x1: number, y1: number, p?: number]>): Float32Array {
  const out = new Float32Array(width * height);
  for (const [x0, y0, x1, y1, p = 0.9] of bars) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out[y * width + x] = p;
  return out;
}

describe('PP-OCR text boxes', () => {
  it('finds one box per text line, grown around the core the detector marks', () => {
    const boxes = textBoxes(map(200, 100, [[20, 10, 120, 18], [20, 40, 180, 48]]), 200, 100);
    expect(boxes).toHaveLength(2);
    const [first, second] = boxes;
    // A 100 x 8 core grows by 100 * 8 * 1.5 / 216 = 5.6 px on each side.
    expect(first).toEqual({ x0: 14, y0: 4, x1: 126, y1: 24 });
    expect(second!.y0).toBeGreaterThan(first!.y1 - 1);
    expect(second!.x1).toBe(186);
  });

  it('ignores specks and pixels under the threshold, and clips boxes to the page', () => {
    const boxes = textBoxes(map(100, 50, [[10, 10, 12, 12], [30, 20, 90, 28, 0.2], [0, 40, 100, 50]]), 100, 50);
    expect(boxes).toEqual([{ x0: 0, y0: 33, x1: 100, y1: 50 }]);
  });

  it('finds nothing on an empty page', () => {
    expect(textBoxes(new Float32Array(64 * 64), 64, 64)).toEqual([]);
  });
});

describe('LEDGERX_SCAN_ENGINE', () => {
  it('defaults to tesseract and accepts ppocr', () => {
    expect(defaultScanEngine({})).toBe('tesseract');
    expect(defaultScanEngine({ LEDGERX_SCAN_ENGINE: '' })).toBe('tesseract');
    expect(defaultScanEngine({ LEDGERX_SCAN_ENGINE: 'ppocr' })).toBe('ppocr');
  });

  it('refuses anything else with the accepted values', () => {
    expect(() => defaultScanEngine({ LEDGERX_SCAN_ENGINE: 'paddle' })).toThrow(/must be one of tesseract, ppocr, got "paddle"/);
  });
});

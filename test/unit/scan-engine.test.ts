import { describe, expect, it } from 'vitest';
import { markBeside } from '../../functions/adapters/local/ocr/currency-mark.js';
import { ctcDecode, latinClasses, textBoxes, wordTokens } from '../../functions/adapters/local/ocr/paddle.js';
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

describe('PP-OCR CTC decoding', () => {
  // Classes: blank, "a", "b", space (the network's last class).
  const alphabet = ['', 'a', 'b', ' '];
  /** One row of class probabilities per step, from the winning class and the space's share at blank steps. */
  const steps = (spec: Array<string | number>) => {
    const out = new Float32Array(spec.length * 4);
    spec.forEach((s, t) => {
      if (typeof s === 'number') { out[t * 4] = 1 - s; out[t * 4 + 3] = s; return; }
      out[t * 4 + alphabet.indexOf(s)] = 0.9;
      out[t * 4] = 0.1;
    });
    return out;
  };

  it('collapses repeats, drops blanks and gives the mean probability of the characters', () => {
    const read = ctcDecode(steps(['a', 'a', 0, 'b', 0, 'b']), 6, 4, alphabet);
    expect(read?.text).toBe('abb');
    expect(read?.confidence).toBeCloseTo(0.9);
  });

  it('writes a space where the steps between two characters give it weight, though blank won them', () => {
    expect(ctcDecode(steps(['a', 0.02, 0.3, 0.05, 'b']), 5, 4, alphabet)?.text).toBe('a b');
    expect(ctcDecode(steps(['a', 0.02, 0.1, 0.05, 'b']), 5, 4, alphabet)?.text).toBe('ab');
    // A space the network reads itself is not doubled; none is written before the first character.
    expect(ctcDecode(steps([0.4, 'a', 0.3, ' ', 0.3, 'b']), 6, 4, alphabet)?.text).toBe('a b');
  });

  it('writes the space a comma between two letters is followed by, not one between digits', () => {
    const marks = ['', 'a', 'b', ',', '1', ' '];
    const read = (chars: string[]) => {
      const out = new Float32Array(chars.length * marks.length);
      chars.forEach((c, t) => { out[t * marks.length + marks.indexOf(c)] = 1; });
      return ctcDecode(out, chars.length, marks.length, marks)?.text;
    };
    expect(read(['a', ',', 'b'])).toBe('a, b');
    expect(read(['1', ',', '1'])).toBe('1,1');
    expect(read(['a', ',', '1'])).toBe('a,1');
    expect(read(['a', ',', ' ', 'b'])).toBe('a, b');
  });

  it('gives each word the probability of its least sure character, and the line their mean', () => {
    // "ab b": the second word's only character was read at 0.4, the first word's at 0.9 and 0.8.
    const rows: Array<[number, number]> = [[1, 0.9], [2, 0.8], [3, 0.95], [2, 0.4]];
    const out = new Float32Array(rows.length * 4);
    rows.forEach(([c, p], t) => { out[t * 4 + c] = p; out[t * 4] = (1 - p) / 2; });
    const read = ctcDecode(out, rows.length, 4, alphabet)!;
    expect(read.text).toBe('ab b');
    expect(read.charProbs).toHaveLength(4);
    expect(read.confidence).toBeCloseTo((0.9 + 0.8 + 0.95 + 0.4) / 4);
    const tokens = wordTokens(read, { x: 0.1, y: 0.2, w: 0.4, h: 0.02 });
    expect(tokens.map((t) => [t.text, Number(t.confidence.toFixed(2))])).toEqual([['ab', 0.8], ['b', 0.4]]);
    // Each word keeps its slice of the line's box.
    expect(tokens[1]!.box.x).toBeCloseTo(0.1 + 0.4 * (3 / 4));
    // A space written into a gap is no character of a word.
    const gap = ctcDecode(steps(['a', 0.3, 'b']), 3, 4, alphabet)!;
    expect(gap.text).toBe('a b');
    expect(wordTokens(gap, { x: 0, y: 0, w: 1, h: 1 }).map((t) => Number(t.confidence.toFixed(2)))).toEqual([0.9, 0.9]);
  });

  it('reads a glyph the network took for a Han character as its likeliest Latin one, at that one\'s probability', () => {
    const marks = ['', '2', '0', '%', '号', '、', ' '];
    const latin = latinClasses(marks);
    expect([...latin].map((c) => marks[c])).toEqual(['', '2', '0', '%', ' ']);
    // "20%", the "%" read as "号" (0.7) before "%" (0.2).
    const rows = [[1, 0.9], [2, 0.9], [4, 0.7]] as const;
    const out = new Float32Array(rows.length * marks.length);
    rows.forEach(([c, p], t) => { out[t * marks.length + c] = p; out[t * marks.length] = 0.05; });
    out[2 * marks.length + 3] = 0.2;
    expect(ctcDecode(out, rows.length, marks.length, marks)?.text).toBe('20号');
    const read = ctcDecode(out, rows.length, marks.length, marks, latin)!;
    expect(read.text).toBe('20%');
    expect(read.charProbs[2]).toBeCloseTo(0.2);
  });

  it('reads nothing from blanks alone', () => {
    expect(ctcDecode(steps([0, 0.4, 0]), 3, 4, alphabet)).toBeUndefined();
  });
});

describe('currency mark read back for PP-OCR', () => {
  it('finds the € or £ that tesseract reads beside the same digits, before or after them', () => {
    expect(markBeside('Amount Due £396.35', '39635')).toEqual({ mark: '£', before: true });
    expect(markBeside('1.330,24 €', '133024')).toEqual({ mark: '€', before: false });
    expect(markBeside('€ 2,963.60', '296360')).toEqual({ mark: '€', before: true });
  });

  it('takes no mark beside other digits, and no other mark', () => {
    expect(markBeside('£396.36', '39635')).toBeUndefined();
    expect(markBeside('$396.35', '39635')).toBeUndefined();
    expect(markBeside('396.35', '39635')).toBeUndefined();
  });
});

describe('LEDGERX_SCAN_ENGINE', () => {
  it('defaults to ppocr and accepts tesseract', () => {
    expect(defaultScanEngine({})).toBe('ppocr');
    expect(defaultScanEngine({ LEDGERX_SCAN_ENGINE: '' })).toBe('ppocr');
    expect(defaultScanEngine({ LEDGERX_SCAN_ENGINE: 'tesseract' })).toBe('tesseract');
  });

  it('refuses anything else with the accepted values', () => {
    expect(() => defaultScanEngine({ LEDGERX_SCAN_ENGINE: 'paddle' })).toThrow(/must be one of tesseract, ppocr, got "paddle"/);
  });
});

import { describe, expect, it } from 'vitest';
import { layoutRuns, type TextRun } from '../../functions/adapters/local/ocr/layout.js';

const run = (str: string, x: number, baseline: number, fontSize = 10, charWidth = 5): TextRun => ({
  str,
  x,
  baseline,
  width: str.length * charWidth,
  fontSize,
});

describe('layoutRuns', () => {
  it('orders rows top to bottom and segments left to right', () => {
    const lines = layoutRuns([run('second', 50, 200), run('first', 50, 100), run('right', 400, 100.5)], 600, 800);
    expect(lines.map((l) => l.text)).toEqual(['first', 'right', 'second']);
  });

  it('splits a row at a column-sized gap and keeps word spaces inside a segment', () => {
    const lines = layoutRuns([run('Total amount', 50, 100), run('1.234,50', 400, 100)], 600, 800);
    expect(lines.map((l) => l.text)).toEqual(['Total amount', '1.234,50']);
    expect(lines[0]!.tokens.map((t) => t.text)).toEqual(['Total', 'amount']);
  });

  it('joins word fragments the producer split for kerning', () => {
    const lines = layoutRuns([run('Rech', 50, 100), run('nung', 70.5, 100)], 600, 800);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.tokens.map((t) => t.text)).toEqual(['Rechnung']);
  });

  it('keeps separate words separated by a normal space gap', () => {
    const lines = layoutRuns([run('Invoice', 50, 100), run('42', 88, 100)], 600, 800);
    expect(lines[0]!.tokens.map((t) => t.text)).toEqual(['Invoice', '42']);
  });

  it('normalizes boxes to 0..1 with the origin at the top left', () => {
    const [line] = layoutRuns([run('Header', 60, 20, 10, 10)], 600, 800);
    const box = line!.tokens[0]!.box;
    expect(box.x).toBeCloseTo(0.1);
    expect(box.w).toBeCloseTo(0.1);
    expect(box.y).toBeCloseTo((20 - 8) / 800);
    expect(box.h).toBeCloseTo(10 / 800);
    expect(line!.confidence).toBe(1);
  });

  it('skips whitespace-only and zero-size runs', () => {
    expect(layoutRuns([run('   ', 10, 10), { ...run('x', 10, 10), fontSize: 0 }], 100, 100)).toEqual([]);
  });
});

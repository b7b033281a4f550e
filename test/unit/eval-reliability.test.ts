import { describe, expect, it } from 'vitest';
import { reliability } from '../eval/reliability.js';
import { reliabilityTable } from '../eval/report.js';

/** The evaluation's confidence reliability verdict: a share one field short of a target never reads as met. */
describe('the reliability verdict', () => {
  const cases = (right: number, wrong: number, lowRight: number) => [
    ...Array.from({ length: right }, () => ({ fields: { total: { correct: true, confidence: 0.95, predicted: 1 } } })),
    ...Array.from({ length: wrong }, () => ({ fields: { total: { correct: false, confidence: 0.99, predicted: 2 } } })),
    ...Array.from({ length: lowRight }, () => ({ fields: { total: { correct: true, confidence: 0.5, predicted: 3 } } })),
  ];

  it('prints the counts and two decimals, so that 226 of 233 is not shown as 97.0 % met', () => {
    const rel = reliability(cases(226, 7, 40));
    expect(rel.meetsPrecision).toBe(false);
    const text = reliabilityTable(rel);
    expect(text).toContain('right at >= 0.9 NOT met (226/233 = 96.99 %; >= 97.0 %)');
    expect(text).toContain('right ones at >= 0.9 met (226/266 = 84.96 %; >= 80.0 %)');
    expect(text).toContain('| total | 273 | – | 40 / 100.0 % | – | 226 / 100.0 % | 7 / 0.0 % | 96.9 % | 84.9 % |');
  });

  it('meets the precision target at exactly 97 %', () => {
    expect(reliability(cases(97, 3, 0)).meetsPrecision).toBe(true);
  });
});

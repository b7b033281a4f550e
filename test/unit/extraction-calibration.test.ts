import { describe, expect, it } from 'vitest';
import {
  CALIBRATED_FIELDS, CALIBRATION, applyCurve, calibrateFields, curveFor, type CalibrationTable,
} from '../../functions/core/extraction/calibration.js';
import type { HeaderFields } from '../../functions/core/invoice/invoice.js';
import { nameShape } from '../../functions/core/extraction/parties.js';
import { fitCurve, fitTable } from '../eval/fit-calibration.js';

/**
 * The confidence calibration: the shipped table is fitted on the development part only and records its data
 * snapshot; its curves are non-decreasing maps into [0, 1]; raw scores outside the fitted range keep their
 * value; the fit is isotonic and never claims certainty from a few observations.
 */
describe('the shipped calibration table', () => {
  it('was fitted on the development part and records the data it was fitted on', () => {
    expect(CALIBRATION.fittedOn).toMatchObject({ part: 'development', splitSeed: 'ledgerx-eval-split-1' });
    expect(String(CALIBRATION.fittedOn['filesAndLabelsSha256'])).toMatch(/^[0-9a-f]{64}$/);
    expect(CALIBRATION.fittedOn['ocrEngine']).toEqual(expect.any(String));
  });

  it.each(Object.entries(CALIBRATION.curves))('curve %s is non-decreasing within [0, 1]', (_key, curve) => {
    let prev = -1;
    for (let i = 0; i <= 100; i++) {
      const raw = i / 100;
      const c = applyCurve(curve, raw);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(1);
      expect(c).toBeGreaterThanOrEqual(prev - 1e-9);
      prev = c;
    }
  });

  it('has a curve for every calibrated field', () => {
    for (const f of CALIBRATED_FIELDS) expect(curveFor(f, 'text') ?? curveFor(f, 'ocr')).toBeDefined();
  });
});

describe('applying a curve', () => {
  const curve = { n: 40, range: [0.4, 0.9] as [number, number], knots: [[0.5, 0.3], [0.8, 0.95]] as Array<[number, number]> };
  it('interpolates between knots and is flat to the edges of the fitted range', () => {
    expect(applyCurve(curve, 0.65)).toBeCloseTo(0.625);
    expect(applyCurve(curve, 0.45)).toBe(0.3);
    expect(applyCurve(curve, 0.85)).toBe(0.95);
  });
  it('keeps a raw score outside the fitted range (bounded to stay non-decreasing)', () => {
    expect(applyCurve(curve, 0.2)).toBe(0.2);
    expect(applyCurve(curve, 0.35)).toBe(0.3);
    expect(applyCurve(curve, 0.95)).toBe(0.95);
  });
  it('leaves fields read from OCR entities alone', () => {
    const t: CalibrationTable = { version: 1, method: 'isotonic', fittedOn: {}, curves: { total_amount: { ...curve, n: 100 } } };
    const fields: HeaderFields = {
      total_amount: { value: 10, confidence: 0.65, source: 'layout' },
      invoice_id: { value: 'A1', confidence: 0.65, source: 'ocr-entity' },
    };
    calibrateFields(fields, () => 'text', t);
    expect(fields.total_amount!.confidence).toBeCloseTo(0.625);
    expect(fields.invoice_id!.confidence).toBe(0.65);
  });
});

describe('fitting', () => {
  it('is isotonic: a higher raw score never gets a lower confidence', () => {
    const obs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95].flatMap((raw, i) => Array.from({ length: 10 }, (_, k) => ({ raw, correct: k < i + (i % 3 === 0 ? 2 : 0) })));
    const c = fitCurve(obs);
    for (let i = 1; i < c.knots.length; i++) expect(c.knots[i]![1]).toBeGreaterThanOrEqual(c.knots[i - 1]![1]);
    expect(c.range).toEqual([0.1, 0.95]);
  });
  it('does not claim certainty from a few right values', () => {
    const c = fitCurve([{ raw: 0.5, correct: true }, { raw: 0.5, correct: true }, { raw: 0.5, correct: true }]);
    expect(c.knots[0]![1]).toBeCloseTo(0.8); // (3 right + 2 pseudo-observations at 0.5) / 5
  });
  it('fits a curve per medium only where there is enough data', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ field: 'total_amount' as const, medium: 'ocr' as const, raw: i / 30, correct: i > 10, group: `g${i}` }));
    const few = Array.from({ length: 5 }, (_, i) => ({ field: 'total_amount' as const, medium: 'text' as const, raw: 0.9, correct: true, group: `t${i}` }));
    const t = fitTable([...many, ...few], { part: 'development' });
    expect(Object.keys(t.curves).sort()).toEqual(['total_amount', 'total_amount|ocr']);
  });
});

describe('the shape of a supplier name lowers the confidence of fragments and noise', () => {
  it.each([
    ['GARDENIA BAKERIES (KL) SDN BHD', 1], ['Lieferant GmbH', 1], ['PRE', 0.48], ['¥RENEEM VOUCHER BEFORE POINTS EXPIRY!X', 0.6], ['tan woon yann', 0.8],
  ])('%s -> %d', (name, factor) => {
    expect(nameShape(name)).toBeCloseTo(factor);
  });
});

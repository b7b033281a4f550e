import { describe, expect, it } from 'vitest';
import { dominantDecimalSeparator, findAmounts, parseAmount } from '../../functions/core/extraction/numbers.js';

describe('parseAmount', () => {
  it.each([
    ['1.234,56', undefined, 1234.56],
    ['1,234.56', undefined, 1234.56],
    ['1 234,56', undefined, 1234.56],
    ["1'234.56", undefined, 1234.56],
    ['1234.56', undefined, 1234.56],
    ['1234,56', undefined, 1234.56],
    ['-5,00', undefined, -5],
    ['5,00-', undefined, -5],
    ['(12.50)', undefined, -12.5],
    ['€ 2.321,00', undefined, 2321],
    ['9,9000', undefined, 9.9],
    ['3.441.812', undefined, 3441812],
    ['1,234', undefined, 1234],
    ['1,234', ',' as const, 1.234],
    ['1.234', '.' as const, 1.234],
    ['42', undefined, 42],
    // The decimal comma of "2.651,66" read as a dot: three-digit groups, then two digits of cents.
    ['2.651.66', undefined, 2651.66],
    ['1,234,56', undefined, 1234.56],
    ['12.345.678.90', ',' as const, 12345678.9],
  ])('%s (hint %s) -> %d', (text, hint, expected) => {
    expect(parseAmount(text, hint)?.value).toBeCloseTo(expected, 6);
  });

  it.each(['abc', '12a', '1.2.3,4,5', '', '--5'])('rejects %j', (text) => {
    expect(parseAmount(text)).toBeNull();
  });

  it('reports the decimal separator an amount proves', () => {
    expect(parseAmount('1.234,56')?.decimalSeparator).toBe(',');
    expect(parseAmount('12.50')?.decimalSeparator).toBe('.');
    expect(parseAmount('1,234')?.decimalSeparator).toBeUndefined();
    // A separator the OCR misread proves nothing.
    expect(parseAmount('2.651.66')).toEqual({ value: 2651.66, hasDecimals: true });
  });
});

describe('findAmounts', () => {
  it.each([
    ['Total TTC : 56,02 €', [56.02]],
    ['Grand Total Rs 1939', [1939]],
    ['Tax 15% on $ 112.90 $ 16.94', [112.9, 16.94]],
    ['Rechnungsdatum 05.03.2018 Betrag 12,00', [12]],
    ['USt. (19 %) 16,61 €', [16.61]],
    ['Total 1 278.61 40.39 319.00', [1, 278.61, 40.39, 319]],
    ['Montant 1 234,56 €', [1234.56]],
    ['€ -9,32', [-9.32]],
    // Cents printed without their integer digit, after a minus or a currency mark (a rounding line) ...
    ['Rounding Adjustment RM -.02', [-0.02]],
    ['RND ADJ -,05', [-0.05]],
    ['Rounding RM .03', [0.03]],
    // ... and nowhere else: " .50" after a number is its fraction split off by the OCR, not 0.50.
    ['Total 12 .50', [12]],
    ['Qty x .50', []],
    // A currency mark glued to a colon starts an amount (OCR drops the space); digits after a colon do not.
    ['TOTAL:RM111.90', [111.9]],
    ['PAID BY : CC*7186:RM111.90', [111.9]],
    ['Time 11:35:35 RM5.00', [5]],
    ['Total:111.90', []],
  ])('%s', (text, expected) => {
    expect(findAmounts(text).map((a) => a.value)).toEqual(expected);
  });

  it('keeps the currency mark next to a number', () => {
    expect(findAmounts('Total EUR 34,73')[0]?.currencyMark).toBe('EUR');
  });

  it.each([
    ['Netto 87,39 € USt 16,61 € Brutto 104,00 €', ','],
    ['Subtotal $1,112.00 Tax $16.94', '.'],
    ['no amounts here', undefined],
  ])('dominant decimal separator of %j', (text, sep) => {
    expect(dominantDecimalSeparator(text)).toBe(sep);
  });
});

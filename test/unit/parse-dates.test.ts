import { describe, expect, it } from 'vitest';
import { findDates, resolveDateOrder, toIsoDate } from '../../functions/core/extraction/dates.js';

describe('findDates + toIsoDate', () => {
  it.each([
    ['05.03.2018', 'DMY', '2018-03-05'],
    ['20-10-2015', 'DMY', '2015-10-20'],
    ['03/20/2023', 'MDY', '2023-03-20'],
    ['2021-01-01', 'YMD', '2021-01-01'],
    ['21.05.14', 'DMY', '2014-05-21'],
    ['August 3 , 2014', 'DMY', '2014-08-03'],
    ['Jan 31, 2022', 'MDY', '2022-01-31'],
    ['7. Mai 2014', 'DMY', '2014-05-07'],
    ['02 Juillet 2015', 'DMY', '2015-07-02'],
    ['1er janvier 2020', 'DMY', '2020-01-01'],
    ['19 april 2014', 'DMY', '2014-04-19'],
    ['11. März 2014', 'DMY', '2014-03-11'],
    ['March 29th, 2014', 'DMY', '2014-03-29'],
    // A receipt's clock time glued to the year by the OCR (a narrow space dropped).
    ['Date: 22/12/201714:03', 'DMY', '2017-12-22'],
    ['14-03-1821:49SH03 T1', 'DMY', '2018-03-14'],
    ['26/02/1808:281088609', 'DMY', '2018-02-26'],
    ['CB#:395164 28/02/20186:02:25', 'DMY', '2018-02-28'],
    ['Date :04Jan 201701:15pm', 'DMY', '2017-01-04'],
  ] as const)('%s read %s', (text, order, iso) => {
    const d = findDates(text)[0];
    expect(d).toBeDefined();
    expect(toIsoDate(d!, order)).toBe(iso);
  });

  it.each(['31.02.2020', '13/13/2020'])('invalid calendar date %s gives null in both orders', (text) => {
    const d = findDates(text)[0];
    if (!d) return expect(d).toBeUndefined();
    expect(toIsoDate(d, 'DMY') ?? toIsoDate(d, 'MDY')).toBeNull();
  });

  it('does not read amounts or ids as dates', () => {
    expect(findDates('Total 1.234,56 EUR, order 2018-471331')).toEqual([]);
    // Digits after a year that are no clock time keep the date unread rather than cut a number in two.
    expect(findDates('ref 12/05/20181 and 12/05/201812')).toEqual([]);
  });
});

describe('resolveDateOrder', () => {
  const dates = (text: string) => findDates(text);
  it.each([
    ['08-09-2022 and 22-09-2022', {}, 'DMY', 'unambiguous-date'],
    ['03/20/2023 and 04/04/2023', {}, 'MDY', 'unambiguous-date'],
    ['03.04.2023', {}, 'DMY', 'locale'],
    ['03/04/2023', { language: 'de' }, 'DMY', 'locale'],
    ['03/04/2023', { language: 'en', currency: 'USD' }, 'MDY', 'locale'],
    ['03/04/2023', { language: 'en', currency: 'GBP' }, 'DMY', 'locale'],
    ['03/04/2023', { language: 'en' }, 'MDY', 'ambiguous'],
    ['03/04/2023', { language: 'en', dayFirstLocale: true }, 'DMY', 'locale'],
    ['03/04/2023', {}, 'MDY', 'ambiguous'],
    ['March 4, 2023', {}, 'DMY', 'month-name'],
    ['2023-03-04', {}, 'YMD', 'iso'],
    ['no dates', {}, 'DMY', 'none'],
  ] as const)('%s with %j -> %s (%s)', (text, ctx, order, evidence) => {
    expect(resolveDateOrder(dates(text), ctx)).toEqual({ order, evidence });
  });
});

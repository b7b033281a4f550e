import type { Invoice } from '../invoice/invoice.js';
import { outcome, skipped } from './check.js';
import { ValidationCodes as C } from './codes.js';
import { isIsoCurrency } from './iso4217.js';
import type { ValidationResult } from './result.js';

const DOLLARS = ['USD', 'CAD', 'AUD', 'NZD', 'SGD', 'HKD', 'MXN', 'TWD', 'ARS', 'CLP', 'COP', 'JMD', 'BSD', 'BBD', 'FJD', 'XCD'];

/**
 * Currency markers as printed next to amounts, each with the codes it is consistent with. Prefixed dollar
 * signs come first so that "US$" is read as USD, not as any dollar.
 */
const SYMBOLS: ReadonlyArray<[RegExp, readonly string[]]> = [
  [/US\$/, ['USD']],
  [/C\$|CA\$/, ['CAD']],
  [/A\$|AU\$/, ['AUD']],
  [/R\$/, ['BRL']],
  [/\$/, DOLLARS],
  [/€/, ['EUR']],
  [/£/, ['GBP', 'GIP', 'FKP', 'SHP', 'EGP']],
  [/¥|円|元/, ['JPY', 'CNY']],
  [/₹|\bRs\.?/, ['INR', 'PKR', 'LKR', 'NPR']],
  [/₽/, ['RUB']],
  [/₺/, ['TRY']],
  [/₩/, ['KRW']],
  [/zł/i, ['PLN']],
  [/Kč/, ['CZK']],
  [/\bkr\b/i, ['SEK', 'NOK', 'DKK', 'ISK']],
  [/\bFr\.|\bCHF\b|\bSFr\.?/, ['CHF']],
];

/** Currency codes a printed amount points to; undefined when it shows no currency at all. */
export function currenciesInText(raw: string): Set<string> | undefined {
  for (const [pattern, codes] of SYMBOLS) if (pattern.test(raw)) return new Set(codes);
  const codes = [...raw.matchAll(/\b[A-Z]{3}\b/g)].map((m) => m[0]).filter(isIsoCurrency);
  return codes.length > 0 ? new Set(codes) : undefined;
}

/**
 * CURRENCY_CODE: the currency field is an ISO 4217 code (error). CURRENCY_CONSISTENT: the currency markers
 * printed with the amounts (raw text of header amounts, line items and VAT lines) agree with it (warning).
 */
export function checkCurrency(invoice: Invoice): ValidationResult[] {
  const currency = invoice.fields.currency?.value;
  const results: ValidationResult[] = [];
  if (currency === undefined) {
    results.push(skipped(C.currencyCode, 'currency missing', ['currency']), skipped(C.currencyConsistent, 'currency missing', ['currency']));
    return results;
  }
  const valid = isIsoCurrency(currency);
  results.push(outcome(C.currencyCode, 'error', valid, valid ? 'currency is an ISO 4217 code' : 'currency is not an ISO 4217 code', ['currency']));

  const f = invoice.fields;
  const amounts: Array<[string, string | undefined]> = [
    ['net_amount', f.net_amount?.raw],
    ['total_tax_amount', f.total_tax_amount?.raw],
    ['total_amount', f.total_amount?.raw],
    ['amount_due', f.amount_due?.raw],
    ...invoice.line_items.flatMap((l): Array<[string, string | undefined]> => [
      ['line_items.amount', l.amount?.raw],
      ['line_items.unit_price', l.unit_price?.raw],
    ]),
    ...invoice.vat.flatMap((v): Array<[string, string | undefined]> => [
      ['vat.amount', v.amount?.raw],
      ['vat.tax_amount', v.tax_amount?.raw],
    ]),
  ];
  let marked = 0;
  const conflicting = new Set<string>();
  for (const [field, raw] of amounts) {
    const seen = raw === undefined ? undefined : currenciesInText(raw);
    if (seen === undefined) continue;
    marked++;
    if (!seen.has(currency)) conflicting.add(field);
  }
  if (marked === 0) results.push(skipped(C.currencyConsistent, 'no currency printed with the amounts', ['currency']));
  else {
    results.push(
      outcome(C.currencyConsistent, 'warning', conflicting.size === 0,
        conflicting.size === 0 ? 'amounts printed in the invoice currency' : `amounts in ${[...conflicting].join(', ')} show another currency`,
        ['currency', ...conflicting], { markedAmounts: marked, conflictingFields: conflicting.size }),
    );
  }
  return results;
}

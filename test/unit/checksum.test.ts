import { describe, expect, it } from 'vitest';
import { checkIban } from '../../functions/core/validation/iban.js';
import { checkVatId } from '../../functions/core/validation/vat-id.js';

describe('checkVatId (jsvat-next)', () => {
  it.each([
    ['DE136695976', 'DE'],
    ['DE 136 695 976', 'DE'],
    ['de136.695.976', 'DE'],
    ['ATU13585627', 'AT'],
    ['BE0411905847', 'BE'],
    ['FR40303265045', 'FR'],
    ['NL004495445B01', 'NL'],
    ['IT00743110157', 'IT'],
    ['ESA28015865', 'ES'],
    ['EL094259216', 'GR'],
    ['GB980780684', 'GB'],
    ['XI980780684', 'GB'],
    ['CHE-116.281.710 MWST', 'CH'],
    ['CHE116281710', 'CH'],
  ])('accepts %s', (raw, country) => {
    expect(checkVatId(raw)).toEqual({ status: 'valid', country });
  });

  it.each([
    ['DE136695977', 'DE'],
    ['ATU13585628', 'AT'],
    ['BE0411905848', 'BE'],
    ['FR40303265046', 'FR'],
    ['IT00743110158', 'IT'],
    ['GB980780685', 'GB'],
    ['CHE-116.281.711 MWST', 'CH'],
  ])('rejects the check digits of %s', (raw, country) => {
    expect(checkVatId(raw)).toEqual({ status: 'invalid-checksum', country });
  });

  it.each([['DE12345'], ['FR4030326504'], ['GR094259216'], ['ATX13585627']])('rejects the format of %s', (raw) => {
    expect(checkVatId(raw).status).toBe('invalid-format');
  });

  it.each([['US12-3456789'], ['12345678901'], ['123/456/78901'], ['NO974760673MVA'], ['']])(
    'does not guess for %s (no checked country prefix)',
    (raw) => {
      expect(checkVatId(raw)).toEqual({ status: 'unsupported' });
    },
  );
});

describe('checkIban (ibantools)', () => {
  it.each([
    ['DE89370400440532013000', 'DE'],
    ['DE89 3704 0044 0532 0130 00', 'DE'],
    ['GB29NWBK60161331926819', 'GB'],
    ['FR1420041010050500013M02606', 'FR'],
    ['CH9300762011623852957', 'CH'],
    ['NL91ABNA0417164300', 'NL'],
    ['BE68539007547034', 'BE'],
  ])('accepts %s', (raw, country) => {
    expect(checkIban(raw)).toEqual({ status: 'valid', country });
  });

  it.each([
    ['DE89370400440532013001', 'WrongIBANChecksum'],
    ['GB29NWBK6016133192681', 'WrongBBANLength'],
    ['NL91ABNA0417164301', 'WrongIBANChecksum'],
    ['XX89370400440532013000', 'NoIBANCountry'],
  ])('rejects %s with %s', (raw, error) => {
    const result = checkIban(raw);
    expect(result.status).toBe('invalid');
    expect(result.status === 'invalid' && result.errors).toContain(error);
  });
});

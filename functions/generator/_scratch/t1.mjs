import jsvat from 'jsvat-next'; const { checkVAT, germany, france, austria, unitedKingdom, netherlands, italy, spain, belgium, switzerland } = jsvat;
import * as ib from 'ibantools';
import { Faker, de, fr, en, en_GB, de_AT, de_CH, en_US, base, nl, it, es } from '@faker-js/faker';
console.log(checkVAT('DE136695976', [germany]), checkVAT('CHE-123.456.788 MWST',[switzerland]));
console.log(ib.isValidIBAN('DE89370400440532013000'), ib.composeIBAN({countryCode:'DE', bban:'370400440532013000'}));
console.log(Object.keys(ib).join(' '));
const f = new Faker({locale:[de, en, base]}); f.seed(42); console.log(f.company.name(), f.location.streetAddress(), f.location.zipCode(), f.location.city());
console.log(typeof nl, typeof it, typeof es, typeof de_CH);

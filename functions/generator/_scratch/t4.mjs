import * as F from '@faker-js/faker';
console.log(['de','de_AT','de_CH','fr','fr_BE','fr_CH','en_GB','en_US','nl','nl_BE','it','es','en','base'].map(k=>k+':'+typeof F[k]).join(' '));
const f = new F.Faker({locale:[F.en_US, F.en, F.base]}); f.seed(3);
console.log(f.location.state({abbreviated:true}), f.company.name(), f.phone.number(), f.internet.email({provider:'x.com'}), f.location.zipCode(), f.commerce.productName(), f.person.fullName());
const g = new F.Faker({locale:[F.fr, F.en, F.base]}); g.seed(3); console.log(g.company.name(), g.location.streetAddress(), g.location.zipCode(), g.location.city());
const h = new F.Faker({locale:[F.nl, F.en, F.base]}); h.seed(3); console.log(h.company.name(), h.location.streetAddress(), h.location.zipCode(), h.location.city());

import { Rng } from '../rng.js';
import { validVatId, validIban, VAT_COUNTRIES, corruptVatId, corruptIban, isValidVatId } from '../tax-ids.js';
const r = new Rng(7);
const t = performance.now();
for (const c of VAT_COUNTRIES) { const v = validVatId(r, c); const i = validIban(r, c); const bad = corruptVatId(r, v, c); console.log(c, v, i, bad, isValidVatId(bad, c), corruptIban(r, i)); }
console.log(performance.now() - t);

import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { skewOf, toGrey } from './functions/adapters/local/ocr/raster.js';
import { measureQuality } from './functions/adapters/local/ocr/image-quality.js';
import { measureTextSize } from './functions/adapters/local/ocr/text-size.js';
const files = process.argv.slice(2);
let tDec = 0, tSkew = 0, tQ = 0, tTS = 0;
for (const f of files) {
  let t = performance.now();
  const g = await toGrey(sharp(readFileSync(f)));
  tDec += performance.now() - t; t = performance.now();
  const s = await skewOf(g); tSkew += performance.now() - t; t = performance.now();
  measureQuality(g, s, 200); tQ += performance.now() - t; t = performance.now();
  measureTextSize(g); tTS += performance.now() - t;
}
const n = files.length;
console.log({ decode: tDec / n, skew: tSkew / n, quality: tQ / n, textSize: tTS / n });

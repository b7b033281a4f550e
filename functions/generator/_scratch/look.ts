import { readFileSync, writeFileSync } from 'node:fs';
import { rasterizePdf } from '../render/scan.js';
const m = JSON.parse(readFileSync(process.argv[2] + '/manifest.json', 'utf8'));
const seen = new Set();
for (const d of m.documents) {
  if (d.kind !== 'born-digital' || seen.has(d.layout)) continue;
  seen.add(d.layout);
  writeFileSync(`/tmp/look-${d.layout}.png`, await rasterizePdf(readFileSync(process.argv[2] + '/' + d.file), 80));
  console.log(d.layout, d.file, d.language, JSON.stringify(d.truth.printed));
}

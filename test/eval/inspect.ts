import path from 'node:path';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import { buildLayout } from '../../functions/core/extraction/layout.js';
import { sharedDataDir } from '../../functions/training/public-corpora.js';
import { plan, readCase } from './evaluate.js';
import { partOf } from './split.js';

/**
 * `npx tsx test/eval/inspect.ts <file substring> [--einvoice]`: prints the layout segments (page, position,
 * height, text) and the extracted fields with their truth for matching DEVELOPMENT cases of the corpora, read
 * through the evaluation's OCR cache. Held-out cases are refused: they are looked at as aggregates only.
 */
const [needle, ...rest] = process.argv.slice(2);
if (!needle) {
  console.error('usage: inspect.ts <file substring> [--einvoice]');
  process.exit(2);
}
const einvoice = rest.includes('--einvoice');
const dataDir = sharedDataDir();
const cacheDir = path.resolve(import.meta.dirname, '../../reports/eval/ocr-cache');
const cases = [...new Map(plan({ dataDir }).flatMap((r) => r.cases).filter((c) => c.file.includes(needle)).map((c) => [c.absPath, c])).values()];
for (const c of cases) {
  if (partOf(c) !== 'development') {
    console.log(`${c.file}: held-out, not shown`);
    continue;
  }
  const doc = await readCase(c, cacheDir);
  console.log(`=== ${c.corpus} ${c.file} truth=${JSON.stringify(c.truth)}`);
  for (const page of buildLayout(doc)) {
    console.log(`--- page ${page.page} ${page.width.toFixed(0)}x${page.height.toFixed(0)}`);
    for (const s of page.segments) {
      const conf = Math.min(...s.tokens.map((t) => t.confidence));
      console.log(`${s.id.toString().padStart(3)} x=${s.box.x.toFixed(2)} y=${s.box.y.toFixed(3)} h=${s.pt.h.toFixed(1)} c=${conf.toFixed(2)} | ${s.text}`);
    }
  }
  const inv = extractInvoice(doc, { einvoice });
  console.log(`type=${inv.documentType} warnings=${JSON.stringify(inv.extraction.warnings)}`);
  for (const [k, f] of Object.entries(inv.fields)) console.log(`  ${k.padEnd(18)} ${JSON.stringify(f.value)} conf=${f.confidence} src=${f.source}`);
}

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import { OCR_DOCUMENT_SCHEMA_VERSION, OcrDocumentSchema, type OcrDocument } from '../../functions/core/ocr-document.js';
import { sharedDataDir } from '../../functions/training/public-corpora.js';
import { plan } from './evaluate.js';
import { HIGH, reliability } from './reliability.js';
import { fieldCorrect, type Predicted, type ScoredField } from './scoring.js';

/**
 * `npx tsx test/eval/second-reading.ts`: the DEVELOPMENT receipts of sroie-dev read by another engine (native
 * tesseract 5, English, one thread, none of the project's deskew or resampling) and put through the project's
 * extraction. Its misreads are not the ones the rules were developed on, so the rules that break on them, and
 * the confidences that stay high on a misread value, show what unseen documents may do without looking at the
 * held-out part. It prints total / date / company accuracy, the reliability at >= 0.9 and each miss. Needs
 * `tesseract` on the PATH (Debian `tesseract-ocr`); its TSV output is cached in reports/eval/second-reading/.
 */

// One TSV row of `tesseract ... tsv`: level 1 = page, 5 = word; conf -1 for non-word levels.
const TsvRow = z.tuple([
  z.coerce.number().int(), z.coerce.number().int(), z.coerce.number().int(), z.coerce.number().int(), z.coerce.number().int(), z.coerce.number().int(),
  z.coerce.number(), z.coerce.number(), z.coerce.number(), z.coerce.number(), z.coerce.number(), z.string().default(''),
]);

/** Tesseract's TSV (words grouped by block, paragraph and line) as an OCR document of one page. */
export function documentFromTsv(tsv: string, mimeType: string): OcrDocument {
  const rows = tsv.trim().split('\n').slice(1).map((l) => TsvRow.parse(l.split('\t')));
  const page = rows.find((r) => r[0] === 1);
  if (!page) throw new Error('tesseract TSV without a page row');
  const [W, H] = [page[8], page[9]];
  const lines = new Map<string, Array<{ text: string; box: { x: number; y: number; w: number; h: number }; confidence: number }>>();
  for (const [level, , block, par, line, , left, top, width, height, conf, text] of rows) {
    if (level !== 5 || !text.trim()) continue;
    const key = `${block}.${par}.${line}`;
    lines.set(key, [...(lines.get(key) ?? []), { text: text.trim(), box: { x: left / W, y: top / H, w: width / W, h: height / H }, confidence: Math.max(0, conf) / 100 }]);
  }
  const outLines = [...lines.values()].map((tokens) => {
    const x0 = Math.min(...tokens.map((t) => t.box.x)), y0 = Math.min(...tokens.map((t) => t.box.y));
    const x1 = Math.max(...tokens.map((t) => t.box.x + t.box.w)), y1 = Math.max(...tokens.map((t) => t.box.y + t.box.h));
    return { text: tokens.map((t) => t.text).join(' '), box: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, confidence: tokens.reduce((s, t) => s + t.confidence, 0) / tokens.length, tokens };
  });
  // An A4 page height in points, as the project's own OCR reports image pages.
  const scale = 841.68 / H;
  return OcrDocumentSchema.parse({
    schemaVersion: OCR_DOCUMENT_SCHEMA_VERSION, mimeType, text: outLines.map((l) => l.text).join('\n'), entities: [], embeddedFiles: [],
    pages: [{ pageNumber: 1, width: W * scale, height: 841.68, textSource: 'ocr', lines: outLines, quality: null, languages: ['eng'] }],
    engine: { name: 'native-tesseract', version: '5' }, elapsedMs: 0,
  });
}

const FIELDS = { total: 'total_amount', invoice_date: 'invoice_date', supplier: 'supplier_name' } as const;

async function main(): Promise<void> {
  try {
    execFileSync('tesseract', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('tesseract is not on the PATH (Debian: apt-get install tesseract-ocr): nothing to compare');
    process.exit(2);
  }
  const cacheDir = path.resolve(import.meta.dirname, '../../reports/eval/second-reading');
  mkdirSync(cacheDir, { recursive: true });
  const cases = plan({ dataDir: sharedDataDir(), parts: ['development'], runs: ['sroie-dev'] }).flatMap((r) => r.cases);
  const outcomes: Array<{ fields: Partial<Record<ScoredField, { correct: boolean; confidence: number | null; predicted: unknown }>> }> = [];
  const right: Record<string, number> = { total: 0, invoice_date: 0, supplier: 0 };
  const misses: string[] = [];
  for (const [i, c] of cases.entries()) {
    process.stderr.write(`\r${i + 1}/${cases.length}`);
    const bytes = readFileSync(c.absPath);
    const cached = path.join(cacheDir, `${createHash('sha256').update(bytes).digest('hex')}.tsv`);
    if (!existsSync(cached)) {
      writeFileSync(cached, execFileSync('tesseract', [c.absPath, '-', '-l', 'eng', 'tsv'], { env: { ...process.env, OMP_THREAD_LIMIT: '1' }, stdio: ['ignore', 'pipe', 'ignore'] }));
    }
    const inv = extractInvoice(documentFromTsv(readFileSync(cached, 'utf8'), 'image/jpeg'), { einvoice: false, referenceDate: new Date() });
    const predicted: Predicted = { total: inv.fields.total_amount?.value, invoice_date: inv.fields.invoice_date?.value, supplier: inv.fields.supplier_name?.value };
    const fields: (typeof outcomes)[number]['fields'] = {};
    for (const [name, key] of Object.entries(FIELDS) as Array<[keyof typeof FIELDS, (typeof FIELDS)[keyof typeof FIELDS]]>) {
      const f = inv.fields[key];
      const correct = fieldCorrect(name, predicted, c.truth);
      if (correct) right[name]!++;
      else misses.push(`${c.file} ${name}: ${JSON.stringify(c.truth[name])} -> ${JSON.stringify(f?.value ?? null)} at ${f?.confidence ?? '-'}`);
      fields[name] = { correct, confidence: f?.confidence ?? null, predicted: f?.value ?? null };
    }
    outcomes.push({ fields });
  }
  process.stderr.write('\n');
  const r = reliability(outcomes);
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)} %`);
  console.log(`sroie-dev development, ${cases.length} receipts read by native tesseract: total ${right.total}, date ${right.invoice_date}, company ${right.supplier}`);
  console.log(`fields at >= ${HIGH}: ${r.all.high}, right ${pct(r.all.precision)}; right fields reaching ${HIGH}: ${pct(r.all.coverage)}`);
  for (const m of misses) console.log(`  ${m}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await main();

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLocalOcrEngine } from '../../functions/adapters/local/ocr/index.js';
import { extractFromOcr } from '../../functions/core/extraction/index.js';
import type { HeaderFieldName, Invoice } from '../../functions/core/invoice/invoice.js';
import type { OcrLimits } from '../../functions/core/ports.js';
import { generateCorpus, ProblemRatesSchema, type ManifestEntry } from '../../functions/generator/index.js';
import { normalizeId } from '../../functions/training/labels.js';

/**
 * Extraction accuracy on the project's own generated invoices: a seeded corpus (no injected problems) is
 * rendered, read by the local OCR engine and extracted; every header field is compared with the manifest's
 * truth. Besides accuracy per field, per layout and per language, it reports calibration: how often a field
 * is right per confidence bucket, since the decision trusts a key field read with confidence >= 0.5.
 */

export const GENERATED_FIELDS = [
  'invoice_id', 'invoice_date', 'due_date', 'supplier_name', 'supplier_tax_id', 'supplier_iban', 'receiver_name',
  'currency', 'net_amount', 'total_tax_amount', 'total_amount', 'amount_due', 'payment_terms', 'purchase_order',
] as const satisfies readonly HeaderFieldName[];
export type GeneratedField = (typeof GENERATED_FIELDS)[number] | 'line_items';
export const ALL_GENERATED_FIELDS: readonly GeneratedField[] = [...GENERATED_FIELDS, 'line_items'];

/** Key fields of the decision (LOW_FIELD_CONFIDENCE below 0.5). */
const KEY_FIELDS = ['invoice_id', 'invoice_date', 'supplier_name', 'total_amount'] as const;
export const BUCKETS = [[0, 0.5], [0.5, 0.8], [0.8, 1.01]] as const;

export interface GeneratedEvalOptions {
  count: number;
  seed?: number;
  kind?: 'born-digital' | 'scan';
  /** Called after each document with its index (never with content). */
  onProgress?: (done: number, total: number) => void;
}

export interface FieldOutcome {
  field: GeneratedField;
  /** The truth has a value for this field. */
  expected: boolean;
  predicted: boolean;
  correct: boolean;
  confidence?: number;
  /** For misses only (generated data, safe to print): predicted and expected values. */
  detail?: { predicted: unknown; expected: unknown };
}

export interface DocOutcome {
  file: string;
  layout: string;
  language: string;
  numberFormat: string;
  dateStyle: string;
  fields: FieldOutcome[];
  /** Every key field present and at least 0.5 confident (no LOW_FIELD_CONFIDENCE). */
  keyFieldsConfident: boolean;
  /** Every key field right. */
  keyFieldsCorrect: boolean;
}

export interface Tally { correct: number; total: number }

export interface GeneratedReport {
  kind: 'born-digital' | 'scan';
  seed: number;
  docs: DocOutcome[];
  elapsedMs: number;
}

const LIMITS: OcrLimits = { maxPages: 10, maxBytes: 50 * 1024 * 1024, timeoutMs: 180_000, languages: ['eng', 'deu', 'fra'] };

const normText = (s: string) => s.toLowerCase().normalize('NFKC').replace(/[\s,;:.]+$/u, '').replace(/\s+/g, ' ').trim();
const cents = (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) < 0.005;

function same(field: GeneratedField, predicted: unknown, expected: unknown): boolean {
  if (predicted === undefined || expected === undefined) return false;
  switch (field) {
    case 'net_amount': case 'total_tax_amount': case 'total_amount': case 'amount_due': return cents(predicted, expected);
    case 'invoice_id': case 'supplier_tax_id': case 'supplier_iban': case 'purchase_order':
      return normalizeId(String(predicted)) === normalizeId(String(expected));
    case 'supplier_name': case 'receiver_name': case 'payment_terms': return normText(String(predicted)) === normText(String(expected));
    default: return String(predicted) === String(expected);
  }
}

/** Field-by-field comparison of one extraction with the manifest truth. */
export function scoreGenerated(entry: ManifestEntry, inv: Invoice): DocOutcome {
  const truth = entry.truth!;
  const fields: FieldOutcome[] = [];
  for (const f of GENERATED_FIELDS) {
    const p = inv.fields[f];
    const expected = truth.fields[f];
    const predicted = p?.value;
    // A field the truth leaves empty is right only when nothing is extracted.
    const correct = expected === undefined ? predicted === undefined : same(f, predicted, expected);
    fields.push({
      field: f, expected: expected !== undefined, predicted: predicted !== undefined, correct,
      ...(p ? { confidence: p.confidence } : {}),
      ...(correct ? {} : { detail: { predicted: predicted ?? null, expected: expected ?? null } }),
    });
  }
  const items = inv.line_items.length, want = truth.line_items.length;
  fields.push({ field: 'line_items', expected: true, predicted: items > 0, correct: items === want, ...(items === want ? {} : { detail: { predicted: items, expected: want } }) });
  const key = fields.filter((o) => (KEY_FIELDS as readonly string[]).includes(o.field));
  return {
    file: entry.file, layout: entry.layout ?? '-', language: entry.language ?? '-', numberFormat: entry.numberFormat ?? '-', dateStyle: entry.dateStyle ?? '-',
    fields,
    keyFieldsConfident: key.every((o) => o.confidence !== undefined && o.confidence >= 0.5),
    keyFieldsCorrect: key.every((o) => o.correct),
  };
}

/**
 * Generates `count` problem-free invoices of one kind into a temporary folder (removed afterwards), reads them
 * with the local OCR engine and scores the extraction. Throws when generation or OCR of a document fails.
 */
export async function runGeneratedEvaluation(options: GeneratedEvalOptions): Promise<GeneratedReport> {
  const started = Date.now();
  const kind = options.kind ?? 'born-digital';
  const seed = options.seed ?? 7;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ledgerx-gen-eval-'));
  const zero = ProblemRatesSchema.parse(Object.fromEntries(Object.keys(ProblemRatesSchema.shape).map((k) => [k, 0])));
  const engine = createLocalOcrEngine();
  try {
    const manifest = await generateCorpus({
      outDir: dir, seed, count: options.count, problemRates: zero,
      mix: { bornDigital: kind === 'born-digital' ? 1 : 0, scan: kind === 'scan' ? 1 : 0, einvoicePdf: 0, einvoiceXml: 0 },
      ...(kind === 'scan' ? { scanFormats: ['png'] } : {}),
    });
    const docs: DocOutcome[] = [];
    let done = 0;
    for (const entry of manifest.documents) {
      if (!entry.truth) continue;
      const bytes = new Uint8Array(await readFile(path.join(dir, entry.file)));
      const ocr = await engine.recognize({ bytes, fileName: entry.file }, LIMITS);
      docs.push(scoreGenerated(entry, extractFromOcr(ocr, { referenceDate: new Date(`${manifest.asOf}T00:00:00Z`) })));
      options.onProgress?.(++done, manifest.documents.length);
    }
    return { kind, seed, docs, elapsedMs: Date.now() - started };
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Accuracy of `field` over the documents whose truth has it (line items: always). */
export function fieldAccuracy(docs: readonly DocOutcome[], field: GeneratedField): Tally {
  const t: Tally = { correct: 0, total: 0 };
  for (const d of docs) {
    const o = d.fields.find((x) => x.field === field);
    if (!o || !o.expected) continue;
    t.total++;
    if (o.correct) t.correct++;
  }
  return t;
}

export interface BucketStats { range: readonly [number, number]; predicted: number; correct: number }

/** Every extracted field (with a confidence) by confidence bucket, with how many were right. */
export function calibration(docs: readonly DocOutcome[]): BucketStats[] {
  return BUCKETS.map((range) => {
    let predicted = 0, correct = 0;
    for (const d of docs) {
      for (const o of d.fields) {
        if (o.confidence === undefined || o.confidence < range[0] || o.confidence >= range[1]) continue;
        predicted++;
        if (o.correct) correct++;
      }
    }
    return { range, predicted, correct };
  });
}

const pct = (t: Tally) => (t.total === 0 ? '–' : `${((100 * t.correct) / t.total).toFixed(1)}`);

/** Markdown tables: per field by layout and by language, calibration, and decision-relevant totals. */
export function generatedTables(report: GeneratedReport): string {
  const { docs } = report;
  const groups = (key: 'layout' | 'language') => [...new Set(docs.map((d) => d[key]))].sort();
  const layouts = groups('layout'), languages = groups('language');
  const head = ['field', 'all', ...layouts, ...languages];
  const rows = ALL_GENERATED_FIELDS.map((f) => [
    f, pct(fieldAccuracy(docs, f)),
    ...layouts.map((l) => pct(fieldAccuracy(docs.filter((d) => d.layout === l), f))),
    ...languages.map((l) => pct(fieldAccuracy(docs.filter((d) => d.language === l), f))),
  ]);
  const count = (k: 'layout' | 'language', v: string) => String(docs.filter((d) => d[k] === v).length);
  rows.unshift(['(docs)', String(docs.length), ...layouts.map((l) => count('layout', l)), ...languages.map((l) => count('language', l))]);
  const table = (h: string[], r: string[][]) => [`| ${h.join(' | ')} |`, `|${h.map(() => '---').join('|')}|`, ...r.map((x) => `| ${x.join(' | ')} |`)].join('\n');
  const cal = calibration(docs).map((b) => [
    `[${b.range[0]}, ${Math.min(1, b.range[1])}${b.range[1] > 1 ? ']' : ')'}`, String(b.predicted),
    b.predicted ? `${((100 * b.correct) / b.predicted).toFixed(1)} %` : '–',
  ]);
  const expectedRight = docs.flatMap((d) => d.fields.filter((o) => o.expected && o.correct && o.confidence !== undefined));
  const highShare = expectedRight.filter((o) => o.confidence! >= 0.8).length / Math.max(1, expectedRight.length);
  const confident = docs.filter((d) => d.keyFieldsConfident).length;
  const keyRight = docs.filter((d) => d.keyFieldsCorrect).length;
  return [
    `### Generated ${report.kind} invoices (seed ${report.seed}, ${docs.length} docs, ${(report.elapsedMs / 1000).toFixed(1)} s): accuracy % per field`,
    '', table(head, rows), '',
    '### Calibration (every extracted field)', '', table(['confidence', 'fields', 'accuracy'], cal), '',
    `- correct fields with confidence >= 0.8: ${(100 * highShare).toFixed(1)} %`,
    `- documents with all key fields >= 0.5 (no LOW_FIELD_CONFIDENCE): ${confident}/${docs.length}`,
    `- documents with all key fields correct: ${keyRight}/${docs.length}`,
  ].join('\n');
}

/** One line per wrong field (generated data only), for `--verbose`. */
export function generatedMisses(report: GeneratedReport): string[] {
  return report.docs.flatMap((d) => d.fields.filter((o) => !o.correct).map((o) =>
    `${d.file} ${d.layout}/${d.language}/${d.numberFormat}/${d.dateStyle} ${o.field} conf=${o.confidence ?? '-'} ${JSON.stringify(o.detail)}`));
}

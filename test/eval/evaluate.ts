import { readFileSync } from 'node:fs';
import path from 'node:path';
import { documentAiToOcrDocument } from '../../functions/adapters/gcp/docai-mapping.js';
import { createLocalOcrEngine } from '../../functions/adapters/local/ocr/index.js';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import type { Invoice } from '../../functions/core/invoice/invoice.js';
import { linesFromPlainText } from '../../functions/core/extraction/layout.js';
import type { OcrDocument } from '../../functions/core/ocr-document.js';
import type { OcrLimits } from '../../functions/core/ports.js';
import { docaiCases, invoice2dataCases, zugferdCases, type EvalCase } from '../../functions/training/public-corpora.js';
import { CORE_FIELDS, SCORED_FIELDS, fieldCorrect, type Predicted, type ScoredField } from './scoring.js';

/**
 * The accuracy evaluation: every corpus case is read (local OCR engine, saved Document AI response, or
 * plain text), extracted with the e-invoice path off or on, and compared field by field with its truth.
 */

export type RunName = 'invoice2data' | 'zugferd-dev (e-invoice off)' | 'zugferd-dev (e-invoice on)' | 'docai-samples';

export interface FieldScore { correct: number; total: number; accuracy: number | null }

export interface CaseResult {
  file: string;
  kind: EvalCase['kind'];
  correct: Partial<Record<ScoredField, boolean>>;
  /** Predicted values of the fields that were wrong (the corpora are public; this stays in git-ignored reports). */
  misses: Partial<Record<ScoredField, { predicted: unknown; expected: unknown }>>;
  allCoreCorrect: boolean | null;
  error?: string;
}

export interface RunResult {
  run: RunName;
  documents: number;
  fields: Record<ScoredField, FieldScore>;
  /** Documents whose number, date and total (those labelled) are all right. */
  allCore: FieldScore;
  cases: CaseResult[];
}

export interface EvalReport {
  dataDir: string;
  startedAt: string;
  elapsedMs: number;
  runs: RunResult[];
}

export interface EvalOptions {
  dataDir: string;
  /** OCR the PNG renders too (slow: tesseract). Default true. */
  includeImages?: boolean;
  runs?: RunName[];
  onStart?: (total: number) => void;
  onProgress?: (done: number, label: string) => void;
}

const LIMITS: OcrLimits = { maxPages: 30, maxBytes: 50 * 1024 * 1024, timeoutMs: 180_000, languages: ['eng', 'deu', 'fra'] };

function predictedOf(inv: Invoice): Predicted {
  const f = inv.fields;
  return {
    invoice_number: f.invoice_id?.value,
    invoice_date: f.invoice_date?.value,
    total: f.total_amount?.value,
    currency: f.currency?.value,
    supplier: f.supplier_name?.value,
  };
}

function scoreCase(c: EvalCase, inv: Invoice): CaseResult {
  const p = predictedOf(inv);
  const correct: CaseResult['correct'] = {};
  const misses: CaseResult['misses'] = {};
  for (const field of c.scored) {
    const ok = fieldCorrect(field, p, c.truth);
    correct[field] = ok;
    if (!ok) misses[field] = { predicted: p[field] ?? null, expected: c.truth[field] };
  }
  const core = CORE_FIELDS.filter((f) => c.scored.includes(f));
  return { file: c.file, kind: c.kind, correct, misses, allCoreCorrect: core.length === 0 ? null : core.every((f) => correct[f]) };
}

function summarize(run: RunName, cases: CaseResult[]): RunResult {
  const fields = {} as Record<ScoredField, FieldScore>;
  for (const f of SCORED_FIELDS) {
    const scored = cases.filter((c) => c.correct[f] !== undefined);
    const correct = scored.filter((c) => c.correct[f]).length;
    fields[f] = { correct, total: scored.length, accuracy: scored.length ? correct / scored.length : null };
  }
  const withCore = cases.filter((c) => c.allCoreCorrect !== null);
  const allOk = withCore.filter((c) => c.allCoreCorrect).length;
  return { run, documents: cases.length, fields, allCore: { correct: allOk, total: withCore.length, accuracy: withCore.length ? allOk / withCore.length : null }, cases };
}

/** Runs the evaluation over the corpora found in `dataDir` (missing corpora give no run). */
export async function runEvaluation(options: EvalOptions): Promise<EvalReport> {
  const started = Date.now();
  const includeImages = options.includeImages ?? true;
  const plan: Array<{ run: RunName; cases: EvalCase[]; einvoice: boolean }> = [
    { run: 'invoice2data' as const, cases: invoice2dataCases(options.dataDir, includeImages), einvoice: false },
    { run: 'zugferd-dev (e-invoice off)' as const, cases: zugferdCases(options.dataDir, false), einvoice: false },
    { run: 'zugferd-dev (e-invoice on)' as const, cases: zugferdCases(options.dataDir, true), einvoice: true },
    { run: 'docai-samples' as const, cases: docaiCases(options.dataDir), einvoice: false },
  ].filter((p) => p.cases.length > 0 && (!options.runs || options.runs.includes(p.run)));
  options.onStart?.(plan.reduce((s, p) => s + p.cases.length, 0));

  const engine = createLocalOcrEngine();
  const cache = new Map<string, OcrDocument>();
  const read = async (c: EvalCase): Promise<OcrDocument> => {
    const hit = cache.get(c.absPath);
    if (hit) return hit;
    let doc: OcrDocument;
    if (c.kind === 'docai-json') doc = documentAiToOcrDocument(JSON.parse(readFileSync(c.absPath, 'utf8')));
    else if (c.kind === 'text') doc = textToOcrDocument(readFileSync(c.absPath, 'utf8'));
    else doc = await engine.recognize({ bytes: new Uint8Array(readFileSync(c.absPath)), fileName: path.basename(c.absPath) }, LIMITS);
    cache.set(c.absPath, doc);
    return doc;
  };

  const runs: RunResult[] = [];
  let done = 0;
  try {
    for (const p of plan) {
      const results: CaseResult[] = [];
      for (const c of p.cases) {
        try {
          const doc = await read(c);
          results.push(scoreCase(c, extractInvoice(doc, { einvoice: p.einvoice })));
        } catch (err) {
          const r = scoreCase(c, { documentType: 'unknown', fields: {}, line_items: [], vat: [], extraction: { method: 'ocr', warnings: [] } });
          results.push({ ...r, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
        }
        options.onProgress?.(++done, `${p.run}: ${c.file}`);
      }
      runs.push(summarize(p.run, results));
    }
  } finally {
    await engine.close();
  }
  return { dataDir: options.dataDir, startedAt: new Date(started).toISOString(), elapsedMs: Date.now() - started, runs };
}

const pct = (s: FieldScore) => (s.accuracy === null ? '–' : `${(s.accuracy * 100).toFixed(1)} % (${s.correct}/${s.total})`);

/** The short Markdown table of a report. */
export function markdownTable(report: EvalReport): string {
  const head = ['corpus', 'docs', 'number', 'date', 'total', 'currency', 'supplier', 'number+date+total'];
  const rows = report.runs.map((r) => [r.run, String(r.documents), pct(r.fields.invoice_number), pct(r.fields.invoice_date), pct(r.fields.total), pct(r.fields.currency), pct(r.fields.supplier), pct(r.allCore)]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** A plain-text invoice as an OCR document (word boxes from character columns, see `linesFromPlainText`). */
function textToOcrDocument(text: string): OcrDocument {
  const { width, height, lines } = linesFromPlainText(text);
  return {
    schemaVersion: 1, mimeType: 'text/plain', text, entities: [], embeddedFiles: [],
    pages: [{ pageNumber: 1, width, height, textSource: 'text-layer', lines, quality: null, languages: [] }],
    engine: { name: 'plain-text', version: '1' }, elapsedMs: 0,
  };
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { documentAiToOcrDocument } from '../../functions/adapters/gcp/docai-mapping.js';
import { createLocalOcrEngine, type LocalOcrEngine } from '../../functions/adapters/local/ocr/index.js';
import { localOcrEngineIdentity } from '../../functions/training/ocr-identity.js';
import { PermanentError } from '../../functions/core/errors.js';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import { linesFromPlainText } from '../../functions/core/extraction/layout.js';
import type { Box } from '../../functions/core/geometry.js';
import type { Invoice } from '../../functions/core/invoice/invoice.js';
import { assertLooksLikeInvoice } from '../../functions/core/invoice/plausibility.js';
import type { OcrDocument } from '../../functions/core/ocr-document.js';
import type { OcrLimits } from '../../functions/core/ports.js';
import {
  docaiCases, invoice2dataCases, sroieCases, zugferdCases, type CorpusName, type EvalCase,
} from '../../functions/training/public-corpora.js';
import { OcrCache } from './ocr-cache.js';
import { reliability, type Reliability } from './reliability.js';
import { CORE_FIELDS, SCORED_FIELDS, fieldCorrect, type Predicted, type ScoredField } from './scoring.js';
import { PARTS, SPLIT_SEED, partOf, type Part } from './split.js';

/**
 * The accuracy evaluation: every corpus case is read (local OCR engine through an on-disk cache, a saved
 * Document AI response, or plain text), extracted as the pipeline does (e-invoice path off or on, then the
 * NOT_AN_INVOICE check), and compared field by field with its truth. Figures are reported per corpus, per
 * part of the fixed development / held-out split (split.ts), with timings and the reliability of the field
 * confidences.
 */

export type RunName = 'invoice2data' | 'zugferd-dev (e-invoice off)' | 'zugferd-dev (e-invoice on)' | 'docai-samples' | 'sroie-dev';
export const RUN_NAMES: readonly RunName[] = ['invoice2data', 'zugferd-dev (e-invoice off)', 'zugferd-dev (e-invoice on)', 'docai-samples', 'sroie-dev'];

export interface FieldScore { correct: number; total: number; accuracy: number | null }

export interface FieldOutcome {
  expected: string | number;
  predicted: string | number | null;
  correct: boolean;
  confidence: number | null;
  pageNumber?: number;
  box?: Box;
}

export interface CaseResult {
  file: string;
  absPath: string;
  group: string;
  part: Part;
  kind: EvalCase['kind'];
  pages: number;
  /** Engine wall time of the OCR (as measured when the document was first read, also for cached reads). */
  ocrMs: number;
  extractMs: number;
  documentType: Invoice['documentType'] | null;
  fields: Partial<Record<ScoredField, FieldOutcome>>;
  allCoreCorrect: boolean | null;
  /** The pipeline's reject reason when the document was refused (NOT_AN_INVOICE...). */
  rejected?: string;
  error?: string;
}

export interface PartSummary {
  documents: number;
  fields: Record<ScoredField, FieldScore>;
  /** Documents whose number, date and total (those labelled) are all right. */
  allCore: FieldScore;
  rejected: number;
  pages: number;
  /** Mean time per page: OCR (engine) and field extraction. */
  msPerPage: { ocr: number | null; extraction: number | null };
}

export interface RunResult {
  run: RunName;
  corpus: CorpusName;
  einvoice: boolean;
  parts: Record<Part, PartSummary>;
  cases: CaseResult[];
}

export interface EvalReport {
  dataDir: string;
  startedAt: string;
  elapsedMs: number;
  split: { seed: string; files: Partial<Record<CorpusName, Record<Part, string[]>>> };
  /** The parts that were evaluated (development only while rules are being developed). */
  parts: Part[];
  runs: RunResult[];
  /** Confidence reliability over every run that extracts from the page (the e-invoice path excluded). */
  reliability: Partial<Record<Part, Reliability>>;
}

export interface EvalOptions {
  dataDir: string;
  /** OCR the PNG renders of invoice2data and the sroie-dev receipts (tesseract; cached). Default true. */
  includeImages?: boolean;
  runs?: readonly RunName[];
  parts?: readonly Part[];
  /** Keep only some cases (e.g. a small sample in a test). */
  filter?: (c: EvalCase) => boolean;
  /** Folder of the OCR cache; none = OCR every time. */
  ocrCacheDir?: string;
  /** Concurrent OCR engines for files not in the cache. Default 1. */
  ocrConcurrency?: number;
  onPhase?: (phase: 'ocr' | 'extract', total: number) => void;
  onProgress?: (done: number, label: string) => void;
}

const LIMITS: OcrLimits = { maxPages: 30, maxBytes: 50 * 1024 * 1024, timeoutMs: 300_000, languages: ['eng', 'deu', 'fra'] };

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

const FIELD_OF: Record<ScoredField, keyof Invoice['fields']> = {
  invoice_number: 'invoice_id', invoice_date: 'invoice_date', total: 'total_amount', currency: 'currency', supplier: 'supplier_name',
};

function scoreCase(c: EvalCase, inv: Invoice | null): Pick<CaseResult, 'fields' | 'allCoreCorrect'> {
  const p = inv ? predictedOf(inv) : {};
  const fields: CaseResult['fields'] = {};
  for (const name of c.scored) {
    const f = inv?.fields[FIELD_OF[name]];
    fields[name] = {
      expected: c.truth[name]!,
      predicted: p[name] ?? null,
      correct: fieldCorrect(name, p, c.truth),
      confidence: f?.confidence ?? null,
      ...(f?.pageNumber ? { pageNumber: f.pageNumber } : {}),
      ...(f?.box ? { box: f.box } : {}),
    };
  }
  const core = CORE_FIELDS.filter((f) => c.scored.includes(f));
  return { fields, allCoreCorrect: core.length === 0 ? null : core.every((f) => fields[f]!.correct) };
}

const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length);

export function summarize(cases: readonly CaseResult[]): PartSummary {
  const fields = {} as Record<ScoredField, FieldScore>;
  for (const f of SCORED_FIELDS) {
    const scored = cases.filter((c) => c.fields[f] !== undefined);
    const correct = scored.filter((c) => c.fields[f]!.correct).length;
    fields[f] = { correct, total: scored.length, accuracy: scored.length ? correct / scored.length : null };
  }
  const withCore = cases.filter((c) => c.allCoreCorrect !== null);
  const allOk = withCore.filter((c) => c.allCoreCorrect).length;
  const read = cases.filter((c) => !c.error && c.pages > 0);
  const pages = read.reduce((s, c) => s + c.pages, 0);
  const ocred = read.filter((c) => c.kind === 'pdf' || c.kind === 'image');
  const ocrPages = ocred.reduce((s, c) => s + c.pages, 0);
  return {
    documents: cases.length,
    fields,
    allCore: { correct: allOk, total: withCore.length, accuracy: withCore.length ? allOk / withCore.length : null },
    rejected: cases.filter((c) => c.rejected).length,
    pages,
    msPerPage: {
      ocr: ocrPages ? ocred.reduce((s, c) => s + c.ocrMs, 0) / ocrPages : null,
      extraction: pages ? read.reduce((s, c) => s + c.extractMs, 0) / pages : mean([]),
    },
  };
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

/** The identity of the local OCR engine for the cache (see localOcrEngineIdentity), with the eval's languages. */
export function ocrEngineId(): string {
  return localOcrEngineIdentity(LIMITS.languages);
}

/** Reads corpus files into OCR documents: the local engine behind the cache, or the file's own JSON/text. */
class Reader {
  private readonly memo = new Map<string, OcrDocument>();
  private readonly cache: OcrCache | undefined;
  private readonly engines: LocalOcrEngine[] = [];

  constructor(cacheDir: string | undefined) {
    this.cache = cacheDir ? new OcrCache(cacheDir, ocrEngineId()) : undefined;
  }

  needsOcr(c: EvalCase): boolean {
    if (c.kind === 'docai-json' || c.kind === 'text' || this.memo.has(c.absPath)) return false;
    return !this.cache?.get(new Uint8Array(readFileSync(c.absPath)));
  }

  /** OCRs the given cases with `concurrency` engines (each its own tesseract worker). */
  async prefetch(cases: readonly EvalCase[], concurrency: number, onDone: (label: string) => void): Promise<void> {
    const queue = [...cases];
    const worker = async () => {
      const engine = createLocalOcrEngine();
      this.engines.push(engine);
      for (let c = queue.shift(); c; c = queue.shift()) {
        await this.read(c, engine).catch(() => undefined); // the error is reported by the extraction pass
        onDone(c.file);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  }

  async read(c: EvalCase, engine?: LocalOcrEngine): Promise<OcrDocument> {
    const hit = this.memo.get(c.absPath);
    if (hit) return hit;
    let doc: OcrDocument;
    if (c.kind === 'docai-json') doc = documentAiToOcrDocument(JSON.parse(readFileSync(c.absPath, 'utf8')));
    else if (c.kind === 'text') doc = textToOcrDocument(readFileSync(c.absPath, 'utf8'));
    else {
      const bytes = new Uint8Array(readFileSync(c.absPath));
      const cached = this.cache?.get(bytes);
      if (cached) doc = cached;
      else {
        const e = engine ?? this.engines[0] ?? (this.engines.push(createLocalOcrEngine()), this.engines[0]!);
        doc = await e.recognize({ bytes, fileName: path.basename(c.absPath) }, LIMITS);
        this.cache?.put(bytes, doc);
      }
    }
    this.memo.set(c.absPath, doc);
    return doc;
  }

  async close(): Promise<void> {
    await Promise.all(this.engines.map((e) => e.close()));
  }
}

/** One case as an OCR document, through the OCR cache in `cacheDir` (OCR on a miss). */
export async function readCase(c: EvalCase, cacheDir: string): Promise<OcrDocument> {
  const reader = new Reader(cacheDir);
  try {
    return await reader.read(c);
  } finally {
    await reader.close();
  }
}

/** The planned runs over the corpora found in `dataDir`, with each case's part. */
export function plan(options: Pick<EvalOptions, 'dataDir' | 'includeImages' | 'runs' | 'parts' | 'filter'>) {
  const images = options.includeImages ?? true;
  const runs: Array<{ run: RunName; corpus: CorpusName; einvoice: boolean; cases: EvalCase[] }> = [
    { run: 'invoice2data', corpus: 'invoice2data', einvoice: false, cases: invoice2dataCases(options.dataDir, images) },
    { run: 'zugferd-dev (e-invoice off)', corpus: 'zugferd-dev', einvoice: false, cases: zugferdCases(options.dataDir, false) },
    { run: 'zugferd-dev (e-invoice on)', corpus: 'zugferd-dev', einvoice: true, cases: zugferdCases(options.dataDir, true) },
    { run: 'docai-samples', corpus: 'docai-samples', einvoice: false, cases: docaiCases(options.dataDir) },
    { run: 'sroie-dev', corpus: 'sroie-dev', einvoice: false, cases: images ? sroieCases(options.dataDir) : [] },
  ];
  const parts = options.parts ?? PARTS;
  return runs
    .filter((r) => !options.runs || options.runs.includes(r.run))
    .map((r) => ({ ...r, cases: r.cases.filter((c) => parts.includes(partOf(c)) && (!options.filter || options.filter(c))) }))
    .filter((r) => r.cases.length > 0);
}

/** "Today" of the run: the pipeline passes its clock, which makes a date far in the future doubtful. */
const RUN_DATE = new Date();

/** Extracts one document as the features stage does: extraction, then the NOT_AN_INVOICE check. */
function extractAsPipeline(doc: OcrDocument, einvoice: boolean): { invoice: Invoice | null; rejected?: string } {
  const invoice = extractInvoice(doc, { einvoice, referenceDate: RUN_DATE });
  try {
    assertLooksLikeInvoice(invoice, doc);
    return { invoice };
  } catch (err) {
    if (err instanceof PermanentError) return { invoice: null, rejected: err.code };
    throw err;
  }
}

/** Runs the evaluation over the corpora found in `dataDir` (missing corpora give no run). */
export async function runEvaluation(options: EvalOptions): Promise<EvalReport> {
  const started = Date.now();
  const runs = plan(options);
  const parts = [...(options.parts ?? PARTS)];
  const reader = new Reader(options.ocrCacheDir);
  const results: RunResult[] = [];
  try {
    const unique = [...new Map(runs.flatMap((r) => r.cases).map((c) => [c.absPath, c])).values()];
    const toOcr = unique.filter((c) => reader.needsOcr(c));
    if (toOcr.length > 0) {
      options.onPhase?.('ocr', toOcr.length);
      let done = 0;
      await reader.prefetch(toOcr, options.ocrConcurrency ?? 1, (label) => options.onProgress?.(++done, `ocr: ${label}`));
    }
    options.onPhase?.('extract', runs.reduce((s, r) => s + r.cases.length, 0));
    let done = 0;
    for (const r of runs) {
      const cases: CaseResult[] = [];
      for (const c of r.cases) {
        const base = { file: c.file, absPath: c.absPath, group: c.group, part: partOf(c), kind: c.kind };
        try {
          const doc = await reader.read(c);
          const t0 = performance.now();
          const { invoice, rejected } = extractAsPipeline(doc, r.einvoice);
          const extractMs = performance.now() - t0;
          cases.push({
            ...base, pages: doc.pages.length, ocrMs: doc.elapsedMs, extractMs, documentType: invoice?.documentType ?? null,
            ...scoreCase(c, invoice), ...(rejected ? { rejected } : {}),
          });
        } catch (err) {
          cases.push({
            ...base, pages: 0, ocrMs: 0, extractMs: 0, documentType: null, ...scoreCase(c, null),
            error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
          });
        }
        options.onProgress?.(++done, `${r.run}: ${c.file}`);
      }
      const byPart = Object.fromEntries(PARTS.map((p) => [p, summarize(cases.filter((c) => c.part === p))])) as Record<Part, PartSummary>;
      results.push({ run: r.run, corpus: r.corpus, einvoice: r.einvoice, parts: byPart, cases });
    }
  } finally {
    await reader.close();
  }

  const files: EvalReport['split']['files'] = {};
  for (const r of results) {
    const entry = (files[r.corpus] ??= { development: [], 'held-out': [] });
    for (const c of r.cases) if (!entry[c.part].includes(c.file)) entry[c.part].push(c.file);
  }
  const extracted = results.filter((r) => !r.einvoice).flatMap((r) => r.cases);
  const rel: EvalReport['reliability'] = {};
  for (const p of parts) rel[p] = reliability(extracted.filter((c) => c.part === p));
  return {
    dataDir: options.dataDir, startedAt: new Date(started).toISOString(), elapsedMs: Date.now() - started,
    split: { seed: SPLIT_SEED, files }, parts, runs: results, reliability: rel,
  };
}

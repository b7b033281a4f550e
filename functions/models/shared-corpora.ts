/**
 * The shipped models on the public corpora of the shared data folder, where labels can be derived from the
 * corpora's own label files: zugferd-dev (printed page only, the embedded XML ignored) and invoice2data PDFs.
 * quality = invoice number, date, total and currency (those labelled and printed) all extracted correctly;
 * failure = a required field not extracted or a wrong total (the only failure causes these labels reveal).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { InvoiceRecord } from '../core/invoice/record.js';
import type { Logger } from '../core/ports.js';
import { createFileModelRegistry } from '../adapters/onnx/file-model-registry.js';
import { createLocalRuntime } from '../platform/local-runtime.js';
import { silentLogger } from '../platform/logger.js';
import { runBatch } from '../cli/batch.js';
import { splitMetrics } from './evaluate.js';
import { valueMatches } from './labels.js';
import { loadRegistry } from './registry.js';
import type { SplitMetrics } from './metadata.js';

/** The shared data folder: `LEDGERX_SHARED_DATA`, else `../shared/data` beside the repository. */
export function sharedDataDir(): string {
  return process.env.LEDGERX_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
}

interface SharedCase {
  corpus: string;
  file: string;
  absPath: string;
  truth: { invoice_id?: string; invoice_date?: string; total_amount?: number; currency?: string };
}

const ZugferdLabels = z.array(z.object({
  file: z.string(),
  labels: z.object({ invoice_number: z.string().optional(), issue_date: z.string().optional(), total_gross: z.number().optional(), currency: z.string().optional() }).loose().default({}),
  visible_in_text: z.record(z.string(), z.boolean()).default({}),
}).loose());

const Invoice2dataLabel = z.array(z.object({
  invoice_number: z.union([z.string(), z.number()]).optional(),
  date: z.string().optional(),
  amount: z.number().optional(),
  currency: z.string().optional(),
}).loose()).min(1);

function cases(dataDir: string): SharedCase[] {
  const out: SharedCase[] = [];
  const zf = path.join(dataDir, 'zugferd-dev', 'labels.json');
  if (existsSync(zf)) {
    for (const e of ZugferdLabels.parse(JSON.parse(readFileSync(zf, 'utf8')))) {
      // The one plain (non-e-invoice) document has no labels: nothing to score it against.
      if (Object.keys(e.labels).length === 0) continue;
      const abs = path.join(dataDir, 'zugferd-dev', e.file);
      if (!existsSync(abs)) continue;
      const seen = (k: string) => e.visible_in_text[k] !== false;
      out.push({
        corpus: 'zugferd-dev (page text)', file: e.file, absPath: abs,
        truth: {
          ...(e.labels.invoice_number && seen('invoice_number') ? { invoice_id: e.labels.invoice_number } : {}),
          ...(e.labels.issue_date && seen('issue_date') ? { invoice_date: e.labels.issue_date } : {}),
          ...(e.labels.total_gross !== undefined && seen('total_gross') ? { total_amount: e.labels.total_gross } : {}),
          ...(e.labels.currency ? { currency: e.labels.currency } : {}),
        },
      });
    }
  }
  const i2d = path.join(dataDir, 'invoice2data', 'compare');
  if (existsSync(i2d)) {
    for (const name of readdirSync(i2d).filter((n) => n.endsWith('.json')).sort()) {
      const pdf = path.join(i2d, name.replace(/\.json$/, '.pdf'));
      if (!existsSync(pdf)) continue;
      const l = Invoice2dataLabel.parse(JSON.parse(readFileSync(path.join(i2d, name), 'utf8')))[0]!;
      const number = l.invoice_number === undefined ? undefined : String(l.invoice_number);
      out.push({
        corpus: 'invoice2data', file: path.basename(pdf), absPath: pdf,
        truth: {
          // SOURCE.md: a number of fewer than 3 letters/digits is a template artefact, not ground truth.
          ...(number && number.replace(/[^\p{L}\d]/gu, '').length >= 3 ? { invoice_id: number } : {}),
          ...(l.date ? { invoice_date: l.date } : {}),
          ...(l.amount !== undefined ? { total_amount: l.amount } : {}),
          ...(l.currency ? { currency: l.currency } : {}),
        },
      });
    }
  }
  return out;
}

function labelsOf(record: InvoiceRecord, truth: SharedCase['truth']): { quality: 0 | 1; failure: 0 | 1 } | null {
  if (!record.invoice || !record.decision) return null;
  const f = record.invoice.fields;
  let quality: 0 | 1 = 1;
  for (const [k, t] of Object.entries(truth) as Array<[keyof SharedCase['truth'], string | number]>) {
    const e = f[k];
    if (!e || !valueMatches(k, e.value, t)) quality = 0;
  }
  const missing = (['invoice_id', 'invoice_date', 'currency', 'total_amount'] as const).some((k) => f[k] === undefined);
  const wrongTotal = truth.total_amount !== undefined && f.total_amount !== undefined && !valueMatches('total_amount', f.total_amount.value, truth.total_amount);
  return { quality, failure: missing || wrongTotal ? 1 : 0 };
}

export interface SharedCorpusResult {
  rows: number;
  quality: SplitMetrics | null;
  failure: SplitMetrics | null;
}

/**
 * Runs the public corpora through the local pipeline with the production models of `modelsDir` and scores
 * them against the derived labels. Returns {} when the shared folder or production models are absent.
 */
export async function evaluateSharedCorpora(options: { modelsDir: string; logger?: Logger; dataDir?: string }): Promise<Record<string, unknown>> {
  const dataDir = options.dataDir ?? sharedDataDir();
  if (!existsSync(dataDir)) return {};
  const registry = loadRegistry(options.modelsDir);
  const thresholdOf = (name: string): number => {
    const v = registry.models[name]?.versions.find((x) => x.stage === 'production')?.version;
    if (!v) return 0.5;
    const meta = JSON.parse(readFileSync(path.join(options.modelsDir, name, v, 'metadata.json'), 'utf8')) as { threshold: number };
    return meta.threshold;
  };
  const all = cases(dataDir);
  if (all.length === 0) return {};
  const work = mkdtempSync(path.join(tmpdir(), 'ledgerx-shared-eval-'));
  const log = options.logger ?? silentLogger;
  const runtime = createLocalRuntime({ dataDir: work, einvoice: false, logger: log, models: createFileModelRegistry(options.modelsDir, log), bus: { concurrency: 2 } });
  try {
    const results = await runBatch(runtime, all.map((c, i) => ({ path: c.absPath, display: c.file, objectName: `shared-${i}-${path.basename(c.file)}` })), { progress: false });
    const out: Record<string, SharedCorpusResult> = {};
    for (const corpus of [...new Set(all.map((c) => c.corpus))]) {
      const yq: number[] = [], pq: number[] = [], yf: number[] = [], pf: number[] = [];
      results.forEach((r, i) => {
        const c = all[i]!;
        if (c.corpus !== corpus || !r.record) return;
        const l = labelsOf(r.record, c.truth);
        const s = r.record.decision?.scores;
        if (!l || !s || s.quality === null || s.failureRisk === null) return;
        yq.push(l.quality); pq.push(s.quality); yf.push(l.failure); pf.push(s.failureRisk);
      });
      out[corpus] = {
        rows: yq.length,
        quality: yq.length ? splitMetrics(yq, pq, thresholdOf('quality')) : null,
        failure: yf.length ? splitMetrics(yf, pf, thresholdOf('failure')) : null,
      };
    }
    return { sharedCorpora: out, note: 'Real documents, tiny samples; failure labels here only see missing required fields and wrong totals.' };
  } finally {
    await runtime.close();
    rmSync(work, { recursive: true, force: true });
  }
}

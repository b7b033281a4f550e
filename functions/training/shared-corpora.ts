/**
 * The shipped models on the public corpora of the shared data folder, where labels can be derived from the
 * corpora's own label files: zugferd-dev (printed page only, the embedded XML ignored) and invoice2data PDFs.
 * quality = invoice number, date, total and currency (those labelled and printed) all extracted correctly;
 * failure = a required field not extracted or a wrong total (the only failure causes these labels reveal).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InvoiceRecord } from '../core/invoice/record.js';
import type { Logger, ModelRegistry } from '../core/ports.js';
import { createLocalRuntime } from '../platform/local-runtime.js';
import { silentLogger } from '../platform/logger.js';
import { runBatch } from '../platform/local-batch.js';
import { splitMetrics } from './evaluate.js';
import { valueMatches } from './labels.js';
import { invoice2dataCases, sharedDataDir, zugferdCases, type EvalCase } from './public-corpora.js';
import type { SplitMetrics } from '../core/registry/model-metadata.js';

interface SharedCase {
  corpus: string;
  file: string;
  absPath: string;
  truth: { invoice_id?: string; invoice_date?: string; total_amount?: number; currency?: string };
}

/** The printed-page PDFs of zugferd-dev (e-invoice path off) and invoice2data, truth in record field names. */
function cases(dataDir: string): SharedCase[] {
  const of = (corpus: string, c: EvalCase): SharedCase => ({
    corpus, file: c.file, absPath: c.absPath,
    truth: {
      ...(c.truth.invoice_number !== undefined ? { invoice_id: c.truth.invoice_number } : {}),
      ...(c.truth.invoice_date !== undefined ? { invoice_date: c.truth.invoice_date } : {}),
      ...(c.truth.total !== undefined ? { total_amount: c.truth.total } : {}),
      ...(c.truth.currency !== undefined ? { currency: c.truth.currency } : {}),
    },
  });
  // A zugferd-dev entry without labels has no XML: nothing to score it against (zugferdCases skips it).
  return [
    ...zugferdCases(dataDir, false).filter((c) => existsSync(c.absPath)).map((c) => of('zugferd-dev (page text)', c)),
    ...invoice2dataCases(dataDir, false).filter((c) => c.kind === 'pdf').map((c) => of('invoice2data', c)),
  ];
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
export async function evaluateSharedCorpora(options: { models: ModelRegistry; thresholds: Record<string, number>; logger?: Logger; dataDir?: string }): Promise<Record<string, unknown>> {
  const dataDir = options.dataDir ?? sharedDataDir();
  if (!existsSync(dataDir)) return {};
  const thresholdOf = (name: string): number => options.thresholds[name] ?? 0.5;
  const all = cases(dataDir);
  if (all.length === 0) return {};
  const work = mkdtempSync(path.join(tmpdir(), 'ledgerx-shared-eval-'));
  const log = options.logger ?? silentLogger;
  const runtime = createLocalRuntime({ dataDir: work, einvoice: false, logger: log, models: options.models, bus: { concurrency: 2 } });
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

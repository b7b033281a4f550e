import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../platform/repo-root.js';

/**
 * The cases of each public corpus in the shared data folder, with their ground truth read from the corpus'
 * own label files: for the accuracy evaluation (`npm run eval`) and for the models' report (`ledgerx train`).
 * Quirks documented in each corpus' SOURCE.md are applied here, as rules on the labels, never as rules in
 * the extractor.
 */

export type ScoredField = 'invoice_number' | 'invoice_date' | 'total' | 'currency' | 'supplier';

export interface Truth {
  invoice_number?: string;
  invoice_date?: string;
  total?: number;
  currency?: string;
  supplier?: string;
}

export type CorpusName = 'invoice2data' | 'zugferd-dev' | 'docai-samples' | 'sroie-dev';
export type InputKind = 'pdf' | 'image' | 'text' | 'docai-json';

export interface EvalCase {
  corpus: CorpusName;
  /** Path relative to the corpus folder (reported, never used by the extractor). */
  file: string;
  absPath: string;
  kind: InputKind;
  truth: Truth;
  /** Fields that count for this case (present in the labels and, for text extraction, printed). */
  scored: ScoredField[];
  /**
   * What ties cases together for a development/held-out split: renders of one invoice, variants of one test
   * invoice, receipts of one shop, responses for one source document. Cases of a group fall on one side.
   */
  group: string;
}

/** The shared data folder: `LEDGERX_SHARED_DATA`, else `../shared/data` beside the repository. */
export function sharedDataDir(): string {
  return process.env.LEDGERX_SHARED_DATA ?? path.resolve(repoRoot(), '../shared/data');
}

const Invoice2dataLabel = z.array(z.object({
  issuer: z.string().optional(),
  invoice_number: z.union([z.string(), z.number()]).optional(),
  date: z.string().optional(),
  amount: z.number().optional(),
  currency: z.string().optional(),
}).loose()).min(1);

function scoredOf(truth: Truth): ScoredField[] {
  return (Object.keys(truth) as ScoredField[]).filter((k) => truth[k] !== undefined);
}

/** invoice2data/compare: PDFs, PNG renders (images) and one text file, labels in `<name>.json`. */
export function invoice2dataCases(dataDir: string, includeImages: boolean): EvalCase[] {
  const dir = path.join(dataDir, 'invoice2data', 'compare');
  if (!existsSync(dir)) return [];
  const out: EvalCase[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const label = Invoice2dataLabel.parse(JSON.parse(readFileSync(path.join(dir, name), 'utf8')))[0]!;
    const truth: Truth = {};
    const number = label.invoice_number === undefined ? undefined : String(label.invoice_number);
    // SOURCE.md: some numbers are template artefacts (a lone prefix letter); such labels are not ground truth.
    if (number && number.replace(/[^\p{L}\d]/gu, '').length >= 3) truth.invoice_number = number;
    if (label.date) truth.invoice_date = label.date;
    if (label.amount !== undefined) truth.total = label.amount;
    if (label.currency) truth.currency = label.currency;
    if (label.issuer) truth.supplier = label.issuer;
    const stem = name.slice(0, -'.json'.length);
    for (const [ext, kind] of [['.pdf', 'pdf'], ['.txt', 'text'], ['.png', 'image']] as const) {
      const file = stem + ext;
      if (!existsSync(path.join(dir, file)) || (kind === 'image' && !includeImages)) continue;
      out.push({ corpus: 'invoice2data', file, absPath: path.join(dir, file), kind, truth, scored: scoredOf(truth), group: stem });
    }
  }
  return out;
}

const ZugferdLabels = z.array(z.object({
  file: z.string(),
  labels: z.object({
    invoice_number: z.string().optional(),
    issue_date: z.string().optional(),
    currency: z.string().optional(),
    total_gross: z.number().optional(),
    seller_name: z.string().optional(),
  }).loose().optional(),
  visible_in_text: z.record(z.string(), z.boolean()).optional(),
}).loose());

/**
 * zugferd-dev: truth from the embedded XML (labels.json). With the e-invoice path off only values printed on
 * the page count (`visible_in_text`); fields without a flag (currency, seller) are scored when present.
 */
export function zugferdCases(dataDir: string, einvoice: boolean): EvalCase[] {
  const dir = path.join(dataDir, 'zugferd-dev');
  const labelsFile = path.join(dir, 'labels.json');
  if (!existsSync(labelsFile)) return [];
  const out: EvalCase[] = [];
  for (const entry of ZugferdLabels.parse(JSON.parse(readFileSync(labelsFile, 'utf8')))) {
    if (!entry.labels) continue; // no XML, no ground truth
    const l = entry.labels;
    const visible = entry.visible_in_text ?? {};
    const shown = (key: string) => einvoice || visible[key] !== false;
    const truth: Truth = {};
    if (l.invoice_number && shown('invoice_number')) truth.invoice_number = l.invoice_number;
    if (l.issue_date && shown('issue_date')) truth.invoice_date = l.issue_date;
    if (l.total_gross !== undefined && shown('total_gross')) truth.total = l.total_gross;
    if (l.currency) truth.currency = l.currency;
    if (l.seller_name) truth.supplier = l.seller_name;
    // SOURCE.md: many files are variants of one test invoice (e.g. 471102 of "Lieferant GmbH" ~12 times).
    const group = `${l.seller_name ?? ''}|${l.invoice_number ?? entry.file}`;
    out.push({ corpus: 'zugferd-dev', file: entry.file, absPath: path.join(dir, entry.file), kind: 'pdf', truth, scored: scoredOf(truth), group });
  }
  return out;
}

/**
 * docai-samples: saved Document AI responses. Truth as printed on the documents and recorded in the
 * corpus' SOURCE.md (the OCR-only and Form Parser responses of the demo invoice have no entities and test
 * the layout rules on Document AI's lines).
 */
const DOCAI_TRUTH: ReadonlyArray<{ file: string; truth: Truth }> = [
  { file: 'web-app-demo/invoiceTestProto.json', truth: { invoice_number: '1001', invoice_date: '2020-01-01', total: 2140, currency: 'USD', supplier: 'Google Singapore' } },
  { file: 'web-app-demo/ocrTestProto.json', truth: { invoice_number: '1001', invoice_date: '2020-01-01', total: 2140, currency: 'USD' } },
  { file: 'web-app-demo/formTestProto.json', truth: { invoice_number: '1001', invoice_date: '2020-01-01', total: 2140, currency: 'USD' } },
  { file: 'toolbox/toolbox_invoice_test-0.json', truth: { invoice_number: '001', invoice_date: '1970-01-01', total: 2140, currency: 'USD', supplier: 'Company ABC' } },
  { file: 'toolbox/toolbox_invoice_test-with-symbols.json', truth: { invoice_number: '001', invoice_date: '1970-01-01', total: 2140, currency: 'USD', supplier: 'Company ABC' } },
  { file: 'pix2info/invoice/a. Energy invoice (stained).json', truth: { invoice_number: '12345678901', invoice_date: '2022-12-11', total: 62.86, currency: 'EUR', supplier: 'EDF' } },
  { file: 'pix2info/expense/b. Enrichments.json', truth: { invoice_date: '2022-12-11', total: 9.5, currency: 'EUR', supplier: "Maison de Jeanne d'Arc" } },
];

export function docaiCases(dataDir: string): EvalCase[] {
  const dir = path.join(dataDir, 'docai-samples');
  if (!existsSync(dir)) return [];
  return DOCAI_TRUTH.filter((c) => existsSync(path.join(dir, c.file)))
    .map((c) => ({
      corpus: 'docai-samples' as const, file: c.file, absPath: path.join(dir, c.file), kind: 'docai-json' as const, truth: c.truth, scored: scoredOf(c.truth),
      // Several responses read one source document (invoice, OCR and form parser of the demo invoice).
      group: path.dirname(c.file),
    }));
}

const SroieKey = z.object({ company: z.string(), date: z.string(), total: z.string() }).loose();
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * A SROIE date as printed (SOURCE.md: mostly DD/MM/YYYY, some DD-MM-YY or DD MMM YYYY; Malaysian receipts
 * print the day first) as an ISO date, or undefined for a shape not known here.
 */
export function sroieDate(printed: string): string | undefined {
  const t = printed.replace(/[()]/g, '').trim();
  const iso = (y: number, m: number, d: number) => {
    const year = y < 100 ? 2000 + y : y;
    const date = new Date(Date.UTC(year, m - 1, d));
    return m >= 1 && m <= 12 && date.getUTCDate() === d ? date.toISOString().slice(0, 10) : undefined;
  };
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(t);
  if (m) return iso(Number(m[3]), Number(m[2]), Number(m[1]));
  m = /^(\d{1,2})[\s/-]*([a-z]{3})[a-z]*[\s/-]*(\d{2}|\d{4})$/i.exec(t);
  const month = m ? MONTHS.indexOf((m[2] ?? '').toLowerCase()) + 1 : 0;
  return m && month > 0 ? iso(Number(m[3]), month, Number(m[1])) : undefined;
}

/** A SROIE total as printed ("RM 3.90", "$6.90", "1,234.50"), or undefined when blank. */
export function sroieTotal(printed: string): number | undefined {
  const t = printed.replace(/^\s*(?:RM|\$)\s*/i, '').replace(/,(?=\d{3}(?:\D|$))/g, '').trim();
  return /^\d+(?:\.\d+)?$/.test(t) ? Number(t) : undefined;
}

/**
 * sroie-dev: scanned and photographed till receipts (JPEG), labels in `key/<name>.json` (company, date and
 * total as printed). Receipts of one shop form a group, so no shop is on both sides of a split.
 */
export function sroieCases(dataDir: string): EvalCase[] {
  const dir = path.join(dataDir, 'sroie-dev');
  if (!existsSync(path.join(dir, 'key'))) return [];
  const out: EvalCase[] = [];
  for (const name of readdirSync(path.join(dir, 'key')).filter((n) => n.endsWith('.json')).sort()) {
    const key = SroieKey.parse(JSON.parse(readFileSync(path.join(dir, 'key', name), 'utf8')));
    const file = `img/${name.slice(0, -'.json'.length)}.jpg`;
    if (!existsSync(path.join(dir, file))) continue;
    const truth: Truth = {};
    const date = sroieDate(key.date);
    const total = sroieTotal(key.total);
    if (date) truth.invoice_date = date;
    if (total !== undefined) truth.total = total;
    if (key.company.trim()) truth.supplier = key.company.trim();
    const group = key.company.toLowerCase().replace(/[^\p{L}\d]/gu, '');
    out.push({ corpus: 'sroie-dev', file, absPath: path.join(dir, file), kind: 'image', truth, scored: scoredOf(truth), group });
  }
  return out;
}

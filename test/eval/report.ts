import type { EvalReport, FieldScore, PartSummary, RunResult } from './evaluate.js';
import type { PageImages } from './crops.js';
import { HIGH, TARGETS, type FieldReliability, type Reliability } from './reliability.js';
import { SCORED_FIELDS } from './scoring.js';
import type { Part } from './split.js';

/** Markdown and HTML views of an evaluation report. */

const pct = (s: FieldScore) => (s.accuracy === null ? '–' : `${(s.accuracy * 100).toFixed(1)} % (${s.correct}/${s.total})`);
const ms = (v: number | null) => (v === null ? '–' : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
// Rounded down: a share just under a target (96.96 %) must not print as the target (97.0 %).
const percentDown = (v: number, digits: number) => `${(Math.floor(100 * 10 ** digits * v + 1e-9) / 10 ** digits).toFixed(digits)} %`;
const share = (v: number | null) => (v === null ? '–' : percentDown(v, 1));

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const ACCURACY_HEAD = ['corpus', 'part', 'docs', 'number', 'date', 'total', 'currency', 'supplier', 'number+date+total', 'rejected', 'OCR / page', 'extraction / page'];

function accuracyRow(run: RunResult, part: Part, s: PartSummary): string[] {
  return [
    run.run, part, String(s.documents), pct(s.fields.invoice_number), pct(s.fields.invoice_date), pct(s.fields.total),
    pct(s.fields.currency), pct(s.fields.supplier), pct(s.allCore), String(s.rejected), ms(s.msPerPage.ocr), ms(s.msPerPage.extraction),
  ];
}

/** One row per corpus and part: accuracy per field, all three key fields, rejections, time per page. */
export function accuracyTable(report: EvalReport): string {
  const rows = report.runs.flatMap((r) => report.parts.filter((p) => r.parts[p].documents > 0).map((p) => accuracyRow(r, p, r.parts[p])));
  return table(ACCURACY_HEAD, rows);
}

function reliabilityRows(rel: Reliability): string[][] {
  const row = (name: string, f: FieldReliability) => [
    name, String(f.extracted),
    ...f.buckets.map((b) => (b.count ? `${b.count} / ${share(b.correct / b.count)}` : '–')),
    share(f.precision), share(f.coverage),
  ];
  return [...SCORED_FIELDS.map((f) => row(f, rel.fields[f])), row('**all**', rel.all)];
}

/** The confidence reliability table of one part: per field, count and observed accuracy per bucket. */
export function reliabilityTable(rel: Reliability): string {
  const head = ['field', 'extracted', ...rel.all.buckets.map((b) => `[${b.range[0]}, ${Math.min(1, b.range[1])}${b.range[1] > 1 ? ']' : ')'}`),
    `right at >= ${HIGH}`, `right ones at >= ${HIGH}`];
  // Counts and two decimals: a share one field short of the target must not print as the target.
  const exact = (n: number, d: number) => (d ? `${n}/${d} = ${percentDown(n / d, 2)}` : '–');
  const a = rel.all;
  const verdict = `target: right at >= ${HIGH} ${rel.meetsPrecision ? 'met' : 'NOT met'} (${exact(a.highCorrect, a.high)}; >= ${share(TARGETS.precision)}), `
    + `right ones at >= ${HIGH} ${rel.meetsCoverage ? 'met' : 'NOT met'} (${exact(a.highCorrect, a.correct)}; >= ${share(TARGETS.coverage)})`;
  return `${table(head, reliabilityRows(rel))}\n\nCells: fields in the bucket / observed accuracy. ${verdict}.`;
}

export function markdown(report: EvalReport): string {
  const out = [
    '# Extraction accuracy', '',
    `${report.startedAt}, ${(report.elapsedMs / 1000).toFixed(1)} s. Split seed \`${report.split.seed}\`; parts evaluated: ${report.parts.join(', ')}.`,
    'Development figures are in-sample (the rules were tuned on them); held-out figures are not.', '',
    accuracyTable(report), '',
    'Times: OCR per page as measured by the engine when the document was read (cached reads keep that figure); extraction per page on this run.',
  ];
  for (const p of report.parts) {
    const rel = report.reliability[p];
    if (rel) out.push('', `## Confidence reliability, ${p} (every run that reads the page; the e-invoice path excluded)`, '', reliabilityTable(rel));
  }
  out.push('', '## Split', '');
  for (const [corpus, parts] of Object.entries(report.split.files)) {
    for (const p of report.parts) out.push(`- ${corpus}, ${p} (${parts[p].length}): ${parts[p].join(', ') || '–'}`);
  }
  return `${out.join('\n')}\n`;
}

const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function htmlTable(md: string): string {
  const lines = md.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string) => l.slice(1, -1).split('|').map((c) => c.trim());
  const [head, , ...rows] = lines;
  if (!head) return '';
  return `<table><thead><tr>${cells(head).map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${
    rows.map((r) => `<tr>${cells(r).map((c) => `<td>${esc(c.replace(/\*\*/g, ''))}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/**
 * The HTML page: the tables, then every miss of the parts in `missParts` with field, expected and extracted
 * value, confidence and a crop of the page around the extracted box (or a view of the page when nothing
 * was extracted).
 */
export async function html(report: EvalReport, images: PageImages, missParts: readonly Part[]): Promise<string> {
  const body: string[] = [
    `<h1>Extraction accuracy</h1><p>${esc(report.startedAt)}, ${(report.elapsedMs / 1000).toFixed(1)} s, split seed <code>${esc(report.split.seed)}</code>.</p>`,
    htmlTable(accuracyTable(report)),
  ];
  for (const p of report.parts) {
    const rel = report.reliability[p];
    if (rel) body.push(`<h2>Confidence reliability, ${esc(p)}</h2>`, htmlTable(reliabilityTable(rel)), `<p>${esc(reliabilityTable(rel).split('\n').pop() ?? '')}</p>`);
  }
  for (const run of report.runs) {
    for (const p of missParts) {
      const misses = run.cases.filter((c) => c.part === p && (c.error || c.rejected || Object.values(c.fields).some((f) => !f.correct)));
      if (misses.length === 0) continue;
      body.push(`<h2>Misses: ${esc(run.run)}, ${esc(p)} (${misses.length} documents)</h2>`, '<table class="misses"><thead><tr><th>file</th><th>field</th><th>expected</th><th>extracted</th><th>confidence</th><th>page</th></tr></thead><tbody>');
      for (const c of misses) {
        if (c.error || c.rejected) {
          const view = await images.crop(c.absPath, c.kind, 1, undefined);
          body.push(`<tr><td>${esc(c.file)}</td><td colspan="4">${esc(c.error ?? `rejected: ${c.rejected}`)}</td><td>${view ? `<img src="${view}">` : ''}</td></tr>`);
          continue;
        }
        for (const [field, f] of Object.entries(c.fields)) {
          if (f.correct) continue;
          const view = await images.crop(c.absPath, c.kind, f.pageNumber ?? 1, f.box);
          body.push(`<tr><td>${esc(c.file)}</td><td>${esc(field)}</td><td>${esc(f.expected)}</td><td>${esc(f.predicted ?? '(none)')}</td>`
            + `<td>${f.confidence === null ? '–' : f.confidence.toFixed(2)}</td><td>${view ? `<img src="${view}">` : '–'}</td></tr>`);
        }
      }
      body.push('</tbody></table>');
    }
  }
  const hidden = report.parts.filter((p) => !missParts.includes(p));
  if (hidden.length > 0) body.push(`<p>Misses of the ${hidden.join(', ')} part are not shown (run with <code>--held-out-misses</code>).</p>`);
  const style = 'body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}'
    + 'th{background:#f4f4f4}.misses img{max-width:640px;border:1px solid #ddd}code{background:#f4f4f4;padding:0 3px}';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LedgerX extraction accuracy</title><style>${style}</style></head><body>${body.join('\n')}</body></html>\n`;
}

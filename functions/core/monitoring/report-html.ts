/**
 * The HTML page of a drift report: verdict, a table of every column, and a chart per drifted column
 * (reference against current shares, inline SVG). No script, no stylesheet, no external resource: the API
 * serves it under a `default-src 'none'` policy, so all styling is in SVG and HTML attributes.
 */
import type { ColumnDrift } from './drift.js';
import type { DriftReport } from './report.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Number(v.toPrecision(digits)).toString());

const REF = '#8c959f';
const CUR = '#cf222e';

/** Paired bars per bin or category: grey reference, red current. */
export function columnChartSvg(column: ColumnDrift): string {
  const { labels, reference, current } = column.chart;
  const W = 560;
  const H = 200;
  const left = 40;
  const bottom = 40;
  const top = 24;
  const n = Math.max(1, labels.length);
  const slot = (W - left - 10) / n;
  const peak = Math.max(0.01, ...reference, ...current);
  const y = (v: number) => top + (H - top - bottom) * (1 - v / peak);
  const bars = labels
    .map((label, i) => {
      const x = left + i * slot;
      const bw = Math.max(1, slot / 2 - 1);
      const r = reference[i] ?? 0;
      const c = current[i] ?? 0;
      const showLabel = n <= 12 || i % Math.ceil(n / 10) === 0;
      return `<rect x="${(x + 1).toFixed(1)}" y="${y(r).toFixed(1)}" width="${bw.toFixed(1)}" height="${(H - bottom - y(r)).toFixed(1)}" fill="${REF}"><title>reference ${esc(label)}: ${fmt(r)}</title></rect>`
        + `<rect x="${(x + 1 + bw).toFixed(1)}" y="${y(c).toFixed(1)}" width="${bw.toFixed(1)}" height="${(H - bottom - y(c)).toFixed(1)}" fill="${CUR}"><title>current ${esc(label)}: ${fmt(c)}</title></rect>`
        + (showLabel ? `<text x="${(x + slot / 2).toFixed(1)}" y="${H - bottom + 14}" font-size="9" text-anchor="middle">${esc(label.slice(0, 10))}</text>` : '');
    })
    .join('');
  const title = `${column.name}: ${column.method} ${fmt(column.statistic)}${column.pValue !== null ? ` (p ${fmt(column.pValue, 2)})` : ''}, threshold ${fmt(column.threshold)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`
    + `<text x="${left}" y="14" font-size="12" font-weight="bold">${esc(title)}</text>`
    + `<line x1="${left}" y1="${H - bottom}" x2="${W - 10}" y2="${H - bottom}" stroke="#444"/>`
    + `<text x="${left - 4}" y="${top + 4}" font-size="9" text-anchor="end">${fmt(peak, 2)}</text>`
    + `<text x="${left - 4}" y="${H - bottom}" font-size="9" text-anchor="end">0</text>`
    + bars
    + `<rect x="${W - 170}" y="${H - 16}" width="10" height="10" fill="${REF}"/><text x="${W - 156}" y="${H - 7}" font-size="10">reference</text>`
    + `<rect x="${W - 95}" y="${H - 16}" width="10" height="10" fill="${CUR}"/><text x="${W - 81}" y="${H - 7}" font-size="10">current</text>`
    + `</svg>`;
}

function columnRows(columns: readonly ColumnDrift[]): string {
  return columns
    .map((c) => `<tr><td align="left">${c.drifted ? '<b>' : ''}${esc(c.name)}${c.drifted ? '</b>' : ''}</td><td>${c.type}</td><td>${c.method}</td><td align="right">${fmt(c.statistic)}</td><td align="right">${fmt(c.pValue, 2)}</td><td align="right">${fmt(c.threshold)}</td><td align="right">${c.currentCount}</td><td align="right">${fmt(c.referenceMean)} → ${fmt(c.currentMean)}</td><td align="right">${fmt(c.missing.reference, 2)} → ${fmt(c.missing.current, 2)}</td><td>${c.drifted ? '<font color="#cf222e">drifted</font>' : 'ok'}</td></tr>`)
    .join('\n');
}

const HEAD = '<tr><th align="left">column</th><th>type</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th><th>values</th><th>mean (ref → cur)</th><th>missing (ref → cur)</th><th>verdict</th></tr>';

export function driftReportHtml(report: DriftReport): string {
  const d = report.drift;
  const drifted = d ? [...d.scores, ...d.features].filter((c) => c.drifted) : [];
  const perf = report.performance
    .map((p) => `<tr><td align="left">${esc(p.model)}@${esc(p.version)}</td><td align="right">${fmt(p.referenceF1)}</td><td align="right">${p.realized ? `${fmt(p.realized.f1)} (${p.realized.rows})` : '–'}</td><td align="right">${fmt(p.estimatedOnLabelled?.f1)}</td><td align="right">${p.estimated ? `${fmt(p.estimated.f1)} (${p.estimated.rows})` : '–'}</td><td>${p.below.realized || p.below.estimated ? '<font color="#cf222e">below</font>' : 'ok'}</td></tr>`)
    .join('\n');
  const verdict = report.status === 'drift' ? '<font color="#cf222e">drift</font>' : esc(report.status);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LedgerX drift report ${esc(report.id)}</title></head>
<body>
<h1>Drift report ${esc(report.id)}</h1>
<p>Window ${esc(report.window.from)} to ${esc(report.window.to)}; ${d?.rows ?? 0} predictions; models ${esc(Object.entries(report.models).map(([n, v]) => `${n}@${v}`).join(', ') || 'none')}.
Baseline: ${report.baseline ? `${esc(report.baseline.model)}@${esc(report.baseline.version)} (${esc(report.baseline.source)}, ${report.baseline.rows} training rows)` : 'none'}.</p>
<h2>Verdict: ${verdict}</h2>
${d ? `<p>${d.driftedFeatures} of ${d.features.length} features drifted (${fmt(d.driftedShare * 100, 3)} %); scores drifted: ${esc(d.driftedScores.join(', ') || 'none')}.</p>` : ''}
<p>Shares: REJECT ${fmt(report.shares.previous.reject, 2)} → ${fmt(report.shares.current.reject, 2)}, low confidence ${fmt(report.shares.previous.lowConfidence, 2)} → ${fmt(report.shares.current.lowConfidence, 2)}${report.shares.failed ? `, FAILED ${fmt(report.shares.failed.previous, 2)} → ${fmt(report.shares.failed.current, 2)}` : ''} (previous window → this one).</p>
<h2>Performance</h2>
<table border="1" cellpadding="3" cellspacing="0"><tr><th align="left">model</th><th>test F1 at training</th><th>realized F1 (labelled)</th><th>estimated F1 on the labelled</th><th>estimated F1 (all, CBPE)</th><th>verdict</th></tr>
${perf || '<tr><td colspan="6">no supervised model in production</td></tr>'}
</table>
<h2>Drifted columns</h2>
${drifted.length === 0 ? '<p>None.</p>' : drifted.map((c) => `<div>${columnChartSvg(c)}</div>`).join('\n')}
<h2>Scores</h2>
<table border="1" cellpadding="3" cellspacing="0">${HEAD}
${d ? columnRows(d.scores) : ''}
</table>
<h2>Features</h2>
<table border="1" cellpadding="3" cellspacing="0">${HEAD}
${d ? columnRows(d.features) : ''}
</table>
<p><small>Tests: up to the small-sample bound, Kolmogorov-Smirnov (numbers) and chi-squared (categories) with a p-value; above it, distances with thresholds. Findings: ${esc(report.findingIds.join(', ') || 'none')}.</small></p>
</body></html>
`;
}

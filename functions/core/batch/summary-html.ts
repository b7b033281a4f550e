/**
 * The daily summary as one self-contained HTML page: hand-written inline SVG bar charts (no chart library, no
 * script, no external resource, so it opens from a bucket or a folder and passes a strict CSP). Every text
 * that comes from an invoice (supplier names, reason codes) is escaped.
 */
import type { DailySummary } from './summary-model.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** A horizontal bar chart: one labelled bar per entry, scaled to the largest value. */
export function barChart(title: string, entries: ReadonlyArray<{ label: string; value: number; text?: string }>, color = '#3b6ea5'): string {
  if (entries.length === 0) return `<section><h2>${escapeHtml(title)}</h2><p class="none">none</p></section>`;
  const rowH = 22;
  const labelW = 220;
  const barW = 360;
  const max = Math.max(...entries.map((e) => e.value), 1e-9);
  const rows = entries.map((e, i) => {
    const y = i * rowH;
    const w = Math.max(1, Math.round((e.value / max) * barW));
    return `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(e.label.slice(0, 40))}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${color}"/>` +
      `<text x="${labelW + w + 6}" y="${y + 15}">${escapeHtml(e.text ?? fmt(e.value))}</text>`;
  });
  const h = entries.length * rowH;
  return `<section><h2>${escapeHtml(title)}</h2><svg role="img" aria-label="${escapeHtml(title)}" width="${labelW + barW + 140}" height="${h}" viewBox="0 0 ${labelW + barW + 140} ${h}" font-family="sans-serif" font-size="12">${rows.join('')}</svg></section>`;
}

/** A gauge of used against budget (over budget turns red). */
function budgetBar(used: number, budget: number | null): string {
  if (!budget) return `<p>${fmt(used)} pages this month (no budget set)</p>`;
  const share = used / budget;
  const w = Math.round(Math.min(share, 1) * 400);
  const color = share > 1 ? '#b03030' : share > 0.8 ? '#c08020' : '#3a8a4a';
  return `<svg role="img" aria-label="pages against budget" width="520" height="30" font-family="sans-serif" font-size="12"><rect x="0" y="5" width="400" height="18" fill="#e4e4e4"/><rect x="0" y="5" width="${w}" height="18" fill="${color}"/><text x="408" y="19">${fmt(used)} / ${fmt(budget)} (${Math.round(share * 100)} %)</text></svg>`;
}

const entriesOf = (m: Record<string, number>, limit = 20) =>
  Object.entries(m).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit).map(([label, value]) => ({ label, value }));
const pct = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

/**
 * Payables as one chart per currency (overdue, next 7 days, next 30 days), each scaled to its own largest bar:
 * amounts in different currencies are never added up or drawn against one scale.
 */
function payablesCharts(p: DailySummary['payables']): string {
  const currencies = [...new Set([...Object.keys(p.overdue), ...Object.keys(p.next7), ...Object.keys(p.next30)])].sort();
  if (currencies.length === 0) return '<section><h2>Payables by currency</h2><p class="none">none</p></section>';
  const row = (label: string, v: { amount: number; invoices: number } | undefined, cur: string) => ({ label, value: v?.amount ?? 0, text: `${fmt(v?.amount ?? 0)} ${cur} (${v?.invoices ?? 0})` });
  return currencies
    .map((cur) => barChart(`Payables in ${cur}`, [row('overdue', p.overdue[cur], cur), row('due in 7 days', p.next7[cur], cur), row('due in 30 days', p.next30[cur], cur)], '#7a5aa5'))
    .join('\n');
}

/** Top suppliers, one chart per currency (same reason as the payables). */
function supplierCharts(top: DailySummary['topSuppliers']): string {
  const currencies = [...new Set(top.map((x) => x.currency))].sort();
  if (currencies.length === 0) return '<section><h2>Top suppliers by spend (30 days)</h2><p class="none">none</p></section>';
  return currencies
    .map((cur) => barChart(`Top suppliers by spend in ${cur} (30 days)`, top.filter((x) => x.currency === cur).map((x) => ({ label: x.supplier, value: x.spend, text: `${fmt(x.spend)} ${cur} (${x.invoices})` })), '#3b8ea5'))
    .join('\n');
}

function monitoringHtml(m: DailySummary['monitoring']): string {
  if (!m.configured) return '<p class="none">monitoring: not configured</p>';
  const d = m.drift;
  const link = d?.report ? (d.report.href ? `<a href="${escapeHtml(d.report.href)}">report</a>` : escapeHtml(`${d.report.bucket}/${d.report.name}`)) : 'no report page';
  const drift = d
    ? `<p>latest drift check: <b>${escapeHtml(d.verdict)}</b> on ${escapeHtml(d.checkedAt)} (window ${escapeHtml(d.window.from)} to ${escapeHtml(d.window.to)}; ${d.driftedFeatures} features drifted, ${Math.round(d.driftedShare * 100)} %${d.driftedScores.length ? `; scores: ${escapeHtml(d.driftedScores.join(', '))}` : ''}); ${link}</p>`
    : '<p class="none">no drift check yet</p>';
  const perf = m.performance.length
    ? `<table><tr><th>model</th><th>version</th><th>realized F1 (rows)</th><th>estimated F1 (rows)</th><th>reference F1</th></tr>${m.performance
        .map((p) => `<tr${p.below.realized || p.below.estimated ? ' class="below"' : ''}><td>${escapeHtml(p.model)}</td><td>${escapeHtml(p.version)}</td><td>${pct(p.realizedF1)} (${p.realizedRows})</td><td>${pct(p.estimatedF1)} (${p.estimatedRows})</td><td>${pct(p.referenceF1)}</td></tr>`)
        .join('')}</table>`
    : '<p class="none">no model performance measured yet</p>';
  const actions = m.pendingActions.count
    ? `<p>${m.pendingActions.count} operations actions waiting:</p><ul>${m.pendingActions.items.map((a) => `<li>${escapeHtml(a.type)} ${escapeHtml(a.subject)} (${escapeHtml(a.risk)} risk, ${escapeHtml(a.status)}, since ${escapeHtml(a.createdAt)})</li>`).join('')}</ul>`
    : '<p>no operations actions waiting</p>';
  return drift + perf + actions;
}

export function renderSummaryHtml(s: DailySummary): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LedgerX daily summary ${escapeHtml(s.day)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}.none{color:#777}td,th{padding:2px 10px;text-align:left}.below td{color:#b03030}</style></head>
<body><h1>LedgerX daily summary: ${escapeHtml(s.day)}</h1>
<p>${s.invoices.total} invoices received on ${escapeHtml(s.day)} (UTC).</p>
${barChart('Invoices by status', entriesOf(s.invoices.byStatus))}
${barChart('Invoices by decision', entriesOf(s.invoices.byDecision), '#5a8f5a')}
${barChart('Reasons (top 20)', entriesOf(s.invoices.byReason), '#a5703b')}
<section><h2>OCR pages in ${escapeHtml(s.ocrPages.month)}</h2>${budgetBar(s.ocrPages.pages, s.ocrPages.budget)}</section>
<section><h2>Drift and performance</h2>${monitoringHtml(s.monitoring)}</section>
${payablesCharts(s.payables)}
${supplierCharts(s.topSuppliers)}
</body></html>
`;
}

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
const moneyEntries = (m: Record<string, { amount: number; invoices: number }>) =>
  Object.entries(m).map(([cur, v]) => ({ label: cur, value: v.amount, text: `${fmt(v.amount)} ${cur} (${v.invoices})` }));

export function renderSummaryHtml(s: DailySummary): string {
  const monitoring = s.monitoring
    ? `<p>drift: <b>${escapeHtml(s.monitoring.drift)}</b>, performance: <b>${escapeHtml(s.monitoring.performance)}</b> (checked ${escapeHtml(s.monitoring.checkedAt)})</p>` +
      (s.monitoring.details?.length ? `<ul>${s.monitoring.details.map((d) => `<li>${escapeHtml(d)}</li>`).join('')}</ul>` : '')
    : '<p class="none">no monitoring status available</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LedgerX daily summary ${escapeHtml(s.day)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}.none{color:#777}</style></head>
<body><h1>LedgerX daily summary: ${escapeHtml(s.day)}</h1>
<p>${s.invoices.total} invoices received on ${escapeHtml(s.day)} (UTC).</p>
${barChart('Invoices by status', entriesOf(s.invoices.byStatus))}
${barChart('Invoices by decision', entriesOf(s.invoices.byDecision), '#5a8f5a')}
${barChart('Reasons (top 20)', entriesOf(s.invoices.byReason), '#a5703b')}
<section><h2>OCR pages in ${escapeHtml(s.ocrPages.month)}</h2>${budgetBar(s.ocrPages.pages, s.ocrPages.budget)}</section>
<section><h2>Drift and performance</h2>${monitoring}</section>
${barChart('Payables due in the next 7 days', moneyEntries(s.payables.next7), '#7a5aa5')}
${barChart('Payables due in the next 30 days', moneyEntries(s.payables.next30), '#7a5aa5')}
${barChart('Overdue payables', moneyEntries(s.payables.overdue), '#b03030')}
${barChart('Top suppliers by spend (30 days)', s.topSuppliers.map((x) => ({ label: `${x.supplier} (${x.currency})`, value: x.spend, text: `${fmt(x.spend)} ${x.currency} (${x.invoices})` })), '#3b8ea5')}
</body></html>
`;
}

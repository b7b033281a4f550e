/** The evaluation report as one self-contained HTML page (tables plus inline SVG charts, no scripts, no network), written beside report.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CurvePoint } from './evaluate.js';
import type { SplitMetrics } from '../core/registry/model-metadata.js';
import type { ModelReport, TrainingReport } from './report.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (x: number | null | undefined, d = 4) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));

const W = 260;
const H = 220;
const PAD = 32;

function axes(title: string, xLabel: string, yLabel: string, body: string): string {
  const x0 = PAD, y0 = H - PAD, x1 = W - 8, y1 = 18;
  const ticks = [0, 0.5, 1].map((t) => {
    const x = x0 + t * (x1 - x0);
    const y = y0 - t * (y0 - y1);
    return `<text x="${x}" y="${y0 + 14}" font-size="9" text-anchor="middle">${t}</text><text x="${x0 - 4}" y="${y + 3}" font-size="9" text-anchor="end">${t}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">
<text x="${W / 2}" y="12" font-size="11" text-anchor="middle" font-weight="bold">${esc(title)}</text>
<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#999"/>${ticks}
<text x="${(x0 + x1) / 2}" y="${H - 4}" font-size="9" text-anchor="middle">${esc(xLabel)}</text>
<text x="10" y="${(y0 + y1) / 2}" font-size="9" text-anchor="middle" transform="rotate(-90 10 ${(y0 + y1) / 2})">${esc(yLabel)}</text>
${body}</svg>`;
}

function project(p: CurvePoint): [number, number] {
  return [PAD + p.x * (W - 8 - PAD), H - PAD - p.y * (H - PAD - 18)];
}

function polyline(points: CurvePoint[], color: string, dashed = false): string {
  const d = points.map((p) => project(p).map((v) => v.toFixed(1)).join(',')).join(' ');
  return `<polyline points="${d}" fill="none" stroke="${color}" stroke-width="1.6"${dashed ? ' stroke-dasharray="4 3"' : ''}/>`;
}

function curveChart(title: string, xl: string, yl: string, pts: CurvePoint[], diagonal: boolean): string {
  return axes(title, xl, yl, (diagonal ? polyline([{ x: 0, y: 0 }, { x: 1, y: 1 }], '#bbb', true) : '') + polyline(pts, '#1f6feb'));
}

function calibrationChart(m: ModelReport): string {
  const dots = m.curves.calibration.map((b) => {
    const [x, y] = project({ x: b.predicted, y: b.observed });
    return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${Math.min(7, 2 + Math.log10(b.count + 1) * 1.5).toFixed(1)}" fill="#d73a49" fill-opacity="0.7"><title>${b.count} rows</title></circle>`;
  }).join('');
  return axes('Calibration (test)', 'mean predicted', 'observed rate', polyline([{ x: 0, y: 0 }, { x: 1, y: 1 }], '#bbb', true) + polyline(m.curves.calibration.map((b) => ({ x: b.predicted, y: b.observed })), '#d73a49') + dots);
}

function importanceChart(m: ModelReport): string {
  const items = m.importance.slice(0, 12);
  const max = Math.max(...items.map((i) => i.value), 1e-9);
  const rowH = 15;
  const height = 24 + items.length * rowH;
  const bars = items.map((it, k) => {
    const y = 20 + k * rowH;
    const w = (it.value / max) * 150;
    return `<text x="168" y="${y + 10}" font-size="9" text-anchor="end">${esc(it.feature)}</text><rect x="172" y="${y + 2}" width="${w.toFixed(1)}" height="10" fill="#2da44e"/><text x="${176 + w}" y="${y + 10}" font-size="8">${it.value.toFixed(3)}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="${height}" viewBox="0 0 360 ${height}" role="img" aria-label="feature importance"><text x="180" y="12" font-size="11" text-anchor="middle" font-weight="bold">Feature importance (share)</text>${bars}</svg>`;
}

function metricsRow(label: string, m: SplitMetrics): string {
  return `<tr><td>${esc(label)}</td><td>${m.rows}</td><td>${m.positives}</td><td>${fmt(m.f1)}</td><td>${fmt(m.precision)}</td><td>${fmt(m.recall)}</td><td>${fmt(m.rocAuc)}</td><td>${fmt(m.prAuc)}</td><td>${fmt(m.ece)}</td></tr>`;
}

const HEAD = '<tr><th></th><th>rows</th><th>positives</th><th>F1</th><th>precision</th><th>recall</th><th>ROC-AUC</th><th>PR-AUC</th><th>ECE</th></tr>';

function modelSection(m: ModelReport, report: TrainingReport): string {
  const c = m.test.confusion;
  const target = m.name === 'quality' ? report.targets.qualityF1 : m.name === 'failure' ? report.targets.failureF1 : null;
  const verdict = (ok: boolean) => `<b class="${ok ? 'ok' : 'miss'}">${ok ? 'met' : 'missed'}</b>`;
  const targetLine = target === null ? '' : `<p>Target F1 &ge; ${target}: ${verdict((m.test.f1 ?? 0) >= target)}; ECE &lt; ${report.targets.ece}: ${verdict((m.test.ece ?? 1) < report.targets.ece)} (uncalibrated ECE ${fmt(m.testUncalibratedEce)}; calibration ${esc(m.calibration ?? 'pooled')}).</p>`;
  const slices = (title: string, s: Record<string, SplitMetrics>) => `<h4>${esc(title)}</h4><table>${HEAD}${Object.entries(s).map(([k, v]) => metricsRow(k, v)).join('')}</table>`;
  return `<section><h2>${esc(m.name)} <small>(${m.kind}${m.shipped ? ', shipped' : ''})</small></h2>
<p class="rule">${esc(m.target)}</p>${targetLine}
<table>${HEAD}${metricsRow('validation', m.validation)}${metricsRow('test', m.test)}${metricsRow('test at the decision policy', m.testAtDecisionPolicy)}</table>
<p>Threshold ${fmt(m.threshold)}. Confusion on test: <table class="cm"><tr><th></th><th>predicted +</th><th>predicted &minus;</th></tr><tr><th>actual +</th><td>${c.tp}</td><td>${c.fn}</td></tr><tr><th>actual &minus;</th><td>${c.fp}</td><td>${c.tn}</td></tr></table></p>
<p>ONNX vs TypeScript, max |difference| on the test split: ${m.onnxMaxAbsDiff.toExponential(2)}. Training time ${m.trainingSeconds} s. Hyperparameters: <code>${esc(JSON.stringify(m.hyperparameters))}</code></p>
<div class="charts">${curveChart('ROC (test)', 'false-positive rate', 'true-positive rate', m.curves.roc, true)}${curveChart('Precision-recall (test)', 'recall', 'precision', m.curves.pr, false)}${calibrationChart(m)}${importanceChart(m)}</div>
${slices('By language', m.slices.language)}${slices('By scan quality', m.slices.scanQuality)}${slices('By document kind', m.slices.kind)}${m.slices.medium ? slices('By medium (calibration)', m.slices.medium) : ''}
</section>`;
}

/** Renders the report; every value comes from `report` (no I/O). */
export function renderReportHtml(report: TrainingReport): string {
  const extra = Object.keys(report.extra).length === 0 ? '' : `<section><h2>Other corpora</h2><pre>${esc(JSON.stringify(report.extra, null, 2))}</pre></section>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LedgerX models ${esc(report.version)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px;max-width:1200px;color:#222}table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#f6f8fa}.charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}.rule{color:#555;font-size:12px}.ok{color:#1a7f37}.miss{color:#cf222e}table.cm{display:inline-table;vertical-align:middle}section{border-top:2px solid #eee;margin-top:20px}code{font-size:11px;overflow-wrap:anywhere}</style></head><body>
<h1>LedgerX models ${esc(report.version)}</h1>
<p>Created ${esc(report.createdAt)}; seed ${report.seed}; features ${esc(report.featureSchemaVersion)}. Dataset sha256 <code>${esc(report.dataset.sha256)}</code>: ${report.dataset.rows} labelled rows from ${report.dataset.documents} generated documents (${report.dataset.skipped} without features, e.g. bad files), built in ${report.dataset.buildSeconds} s. Positives: quality ${report.dataset.positives.quality}, failure ${report.dataset.positives.failure}.</p>
<p>Split by supplier: train ${report.split.train} rows (${report.split.groups.train} suppliers), validation ${report.split.validation} (${report.split.groups.validation}), test ${report.split.test} (${report.split.groups.test}). Validation drives early stopping, search, calibration and thresholds (so its ECE is in-sample); test is scored once.</p>
<section><h2>Where the generated data flatters the models</h2><ul>${report.flattery.map((f) => `<li>${esc(f)}</li>`).join('')}</ul></section>
${report.models.map((m) => modelSection(m, report)).join('\n')}
${extra}
</body></html>
`;
}

/** Writes report.json and report.html into `dir` (created when absent); returns their paths. */
export function writeReport(dir: string, report: TrainingReport): { reportJson: string; reportHtml: string } {
  mkdirSync(dir, { recursive: true });
  const reportJson = path.join(dir, 'report.json');
  const reportHtml = path.join(dir, 'report.html');
  writeFileSync(reportJson, JSON.stringify(report, null, 2));
  writeFileSync(reportHtml, renderReportHtml(report));
  return { reportJson, reportHtml };
}

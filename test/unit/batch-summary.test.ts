/**
 * The daily summary's figures on hand-made records (payables by due window and currency, top suppliers,
 * counts of the day, the monitoring section from hand-made drift reports and ops actions) and its HTML page
 * (every text from an invoice escaped, no script, one chart per currency), and the export rows.
 */
import { describe, expect, it } from 'vitest';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteDriftReportStore, SqliteOpsStore } from '../../functions/adapters/local/sqlite/monitoring-store.js';
import { monitoringSection } from '../../functions/core/batch/monitoring-status.js';
import { actionsOf, report } from '../contracts/monitoring-stores.contract.js';
import { exportCsvHeader, exportCsvRow, exportJsonLine } from '../../functions/core/batch/export.js';
import { buildDailySummary } from '../../functions/core/batch/summary.js';
import { renderSummaryHtml } from '../../functions/core/batch/summary-html.js';
import type { InvoiceRecord } from '../../functions/core/invoice/record.js';
import type { PipelineDeps } from '../../functions/core/pipeline/deps.js';

const f = <T>(value: T) => ({ value, confidence: 0.9, source: 'layout' as const });

function rec(id: string, o: { at: string; supplier: string; currency: string; total: number; due?: string; decision?: 'APPROVE' | 'REVIEW' | 'REJECT'; status?: InvoiceRecord['status']; type?: 'invoice' | 'credit_note' }): InvoiceRecord {
  return {
    invoiceId: id, status: o.status ?? 'SCORED', revision: 1, source: { bucket: 'inbox', name: `${id}.pdf`, generation: '1' }, fileName: `${id}.pdf`,
    supplierKey: `name:${o.supplier.toLowerCase()}`,
    invoice: {
      documentType: o.type ?? 'invoice', line_items: [], vat: [], extraction: { method: 'ocr', warnings: [] },
      fields: { supplier_name: f(o.supplier), currency: f(o.currency), total_amount: f(o.total), ...(o.due ? { due_date: f(o.due) } : {}) },
    } as unknown as InvoiceRecord['invoice'],
    ...(o.status === 'FAILED' ? { rejection: { code: 'OCR_UNAVAILABLE', message: 'x' } } : {}),
    ...(o.status === 'FAILED' ? {} : {
      decision: {
        decision: o.decision ?? 'APPROVE', basis: 'models+rules', modelVersions: { quality: 'v2', anomaly: 'v1' }, explanations: {},
        reasons: o.decision === 'REVIEW' ? [{ code: 'HIGH_ANOMALY', kind: 'anomaly', effect: 'REVIEW', message: 'x' }, { code: 'ALL_CHECKS_PASSED', kind: 'policy', effect: 'INFO', message: 'x' }] : [],
        scores: { quality: 0.9, failureRisk: 0.1, anomaly: 0.3, ruleQuality: 0.8 },
      },
    }),
    timings: {}, createdAt: o.at, updatedAt: o.at,
  };
}

describe('daily summary', () => {
  const records = [
    rec('a', { at: '2025-06-01T09:00:00.000Z', supplier: 'ACME', currency: 'EUR', total: 100, due: '2025-06-05' }),
    rec('b', { at: '2025-06-01T10:00:00.000Z', supplier: 'ACME', currency: 'EUR', total: 50.5, due: '2025-06-20', decision: 'REVIEW' }),
    rec('c', { at: '2025-06-01T11:00:00.000Z', supplier: '<script>alert(1)</script>', currency: 'USD', total: 70, due: '2025-06-08' }),
    rec('d', { at: '2025-06-01T12:00:00.000Z', supplier: 'Rejected Co', currency: 'EUR', total: 999, due: '2025-06-03', decision: 'REJECT' }),
    rec('e', { at: '2025-06-01T13:00:00.000Z', supplier: 'Credit Co', currency: 'EUR', total: 30, due: '2025-06-03', type: 'credit_note' }),
    rec('f', { at: '2025-05-20T08:00:00.000Z', supplier: 'Old Ltd', currency: 'EUR', total: 20, due: '2025-05-30' }),
    rec('g', { at: '2025-06-01T14:00:00.000Z', supplier: 'Fail Inc', currency: 'EUR', total: 1, status: 'FAILED' }),
    rec('h', { at: '2025-06-02T01:00:00.000Z', supplier: 'Tomorrow', currency: 'EUR', total: 5, due: '2025-06-04' }),
  ];

  async function summary() {
    const db = openLedgerDatabase(':memory:');
    const store = new SqliteInvoiceStore(db);
    for (const r of records) await store.createIfAbsent(r);
    const deps = { pipeline: { store } as unknown as PipelineDeps, exportsBucket: 'exports', usage: { pagesIn: async (m: string) => (m === '2025-06' ? 450 : 0), addPages: async () => {}, months: async () => [] }, pageBudget: 1000 };
    const s = await buildDailySummary(deps, '2025-06-01', { topSuppliers: 3 });
    db.close();
    return s;
  }

  it('counts the day, splits payables by due window and currency, ranks suppliers by spend', async () => {
    const s = await summary();
    expect(s.invoices).toEqual({
      total: 6,
      byStatus: { FAILED: 1, SCORED: 5 },
      byDecision: { APPROVE: 3, REJECT: 1, REVIEW: 1 },
      byReason: { HIGH_ANOMALY: 1, OCR_UNAVAILABLE: 1 },
    });
    expect(s.ocrPages).toEqual({ month: '2025-06', pages: 450, budget: 1000, share: 0.45 });
    // Due after the day: within 7 days (<= 06-08) and within 30 days; rejected invoices and credit notes are not payables.
    expect(s.payables.next7).toEqual({ EUR: { amount: 105, invoices: 2 }, USD: { amount: 70, invoices: 1 } });
    expect(s.payables.next30).toEqual({ EUR: { amount: 155.5, invoices: 3 }, USD: { amount: 70, invoices: 1 } });
    expect(s.payables.overdue).toEqual({ EUR: { amount: 20, invoices: 1 } });
    expect(s.topSuppliers).toEqual([
      { supplier: 'ACME', currency: 'EUR', spend: 150.5, invoices: 2 },
      { supplier: '<script>alert(1)</script>', currency: 'USD', spend: 70, invoices: 1 },
      { supplier: 'Old Ltd', currency: 'EUR', spend: 20, invoices: 1 },
    ]);
    expect(s.monitoring).toEqual({ configured: false, note: 'not configured' });
  });

  it('renders a page with inline SVG charts, escaping what invoices say, without scripts', async () => {
    const html = renderSummaryHtml(await summary());
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('450 / 1000 (45 %)');
    expect(html).toContain('monitoring: not configured');
  });

  it('draws payables and suppliers one chart per currency, each on its own scale, never adding currencies', async () => {
    const html = renderSummaryHtml(await summary());
    const chart = (title: string) => html.slice(html.indexOf(`<h2>${title}</h2>`), html.indexOf('</section>', html.indexOf(`<h2>${title}</h2>`)));
    const eur = chart('Payables in EUR');
    const usd = chart('Payables in USD');
    expect(eur).toContain('105 EUR (2)');
    expect(eur).toContain('155.50 EUR (3)');
    expect(eur).not.toContain('USD');
    expect(usd).toContain('70 USD (1)');
    expect(usd).not.toContain('EUR');
    // Each chart is scaled to its own largest bar: the USD bars are full width although 70 < 155.50.
    const widths = (svg: string) => [...svg.matchAll(/<rect [^>]*width="(\d+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...widths(usd))).toBe(360);
    expect(Math.max(...widths(eur))).toBe(360);
    // No total across currencies anywhere (105 + 70, 155.5 + 70).
    expect(html).not.toMatch(/\b175(\.00)?\b|\b225\.50?\b/);
    expect(chart('Top suppliers by spend in USD (30 days)')).toContain('70 USD (1)');
    expect(chart('Top suppliers by spend in EUR (30 days)')).not.toContain('USD');
  });

  it('monitoring: the latest drift verdict with its date and report link, F1 per production model, pending actions', async () => {
    const db = openLedgerDatabase(':memory:');
    try {
      const reports = new SqliteDriftReportStore(db);
      const ops = new SqliteOpsStore(db);
      const readers = { reports, ops, reportHref: (ref: { bucket: string; name: string }) => `../../../${ref.bucket}/${ref.name}` };
      // Configured, nothing measured yet.
      expect(await monitoringSection(readers)).toEqual({ configured: true, drift: null, performance: [], pendingActions: { count: 0, items: [] } });

      const metrics = (rows: number, f1: number | null) => ({ rows, positives: 3, precision: f1, recall: f1, f1 });
      await reports.put(report('drift-old', 0));
      await reports.put({
        ...report('drift-new', 360), status: 'drift', models: { quality: 'v2', failure: 'v1' },
        drift: { rows: 400, features: [], scores: [], driftedFeatures: 12, driftedShare: 0.5454, datasetDrifted: true, driftedScores: ['quality'] },
        performance: [
          { model: 'quality', version: 'v2', threshold: 0.5, referenceF1: 0.91, realized: metrics(40, 0.8123), estimated: metrics(400, 0.8867), estimatedOnLabelled: null, below: { realized: true, estimated: false } },
          { model: 'failure', version: 'v1', threshold: 0.5, referenceF1: null, realized: null, estimated: metrics(400, 0.7), estimatedOnLabelled: null, below: { realized: false, estimated: false } },
        ],
      });
      const proposed = actionsOf('data-drift', 360);
      for (const a of proposed) await ops.proposeAction(a);
      const pending = proposed.filter((a) => a.status === 'pending-approval' || a.status === 'approved');
      expect(pending.length).toBeGreaterThan(0);

      const m = await monitoringSection(readers);
      if (!m.configured) throw new Error('expected a configured section');
      expect(m.drift).toEqual({
        reportId: 'drift-new', checkedAt: '2025-03-01T06:00:00.000Z', window: { from: '2025-03-01T05:00:00.000Z', to: '2025-03-01T06:00:00.000Z' },
        verdict: 'drift', driftedFeatures: 12, driftedShare: 0.545, driftedScores: ['quality'],
        report: { bucket: 'artifacts', name: 'reports/drift/drift-new.html', href: '../../../artifacts/reports/drift/drift-new.html' },
      });
      expect(m.performance).toEqual([
        { model: 'failure', version: 'v1', referenceF1: null, realizedF1: null, realizedRows: 0, estimatedF1: 0.7, estimatedRows: 400, below: { realized: false, estimated: false } },
        { model: 'quality', version: 'v2', referenceF1: 0.91, realizedF1: 0.812, realizedRows: 40, estimatedF1: 0.887, estimatedRows: 400, below: { realized: true, estimated: false } },
      ]);
      expect(m.pendingActions.count).toBe(pending.length);
      expect(m.pendingActions.items.map((a) => a.id).sort()).toEqual(pending.map((a) => a.id).sort());

      // An executed action is not pending any more.
      const first = pending[0]!;
      if (first.status === 'pending-approval') await ops.decide(first.id, 'reject', 'someone@example.com', 'not now', new Date());
      else {
        expect(await ops.claim(first.id, 'test-runner', 60_000, new Date())).not.toBeNull();
        expect(await ops.finish(first.id, 'test-runner', { status: 'executed' }, new Date())).toBe(true);
      }
      const after = await monitoringSection(readers);
      if (!after.configured) throw new Error('expected a configured section');
      expect(after.pendingActions.items.map((a) => a.id)).not.toContain(first.id);

      const html = renderSummaryHtml({ ...(await summary()), monitoring: m });
      expect(html).toContain('latest drift check: <b>drift</b> on 2025-03-01T06:00:00.000Z');
      expect(html).toContain('<a href="../../../artifacts/reports/drift/drift-new.html">report</a>');
      expect(html).toContain('<td>quality</td><td>v2</td><td>0.812 (40)</td><td>0.887 (400)</td>');
      expect(html).toContain(`${pending.length} operations actions waiting`);
    } finally {
      db.close();
    }
  });

  it('export rows: the shared CSV layout plus scores and versions; JSON lines typed, INFO reasons left out', () => {
    const header = exportCsvHeader().trim().split(',');
    const row = exportCsvRow(records[1]!).trim();
    expect(header.slice(0, 4)).toEqual(['ledgerx_id', 'file', 'status', 'decision']);
    expect(header.slice(-7)).toEqual(['revision', 'quality', 'failure_risk', 'anomaly', 'rule_quality', 'decision_basis', 'model_versions']);
    expect(row.split(',')).toHaveLength(header.length);
    expect(row.endsWith(',1,0.9,0.1,0.3,0.8,models+rules,anomaly@v1 quality@v2')).toBe(true);
    const json = JSON.parse(exportJsonLine(records[1]!, '2025-06-01')) as Record<string, unknown>;
    expect(json).toMatchObject({ ledgerx_id: 'b', decision: 'REVIEW', reasons: ['HIGH_ANOMALY'], fields: { total_amount: 50.5, currency: 'EUR', due_date: '2025-06-20' }, scores: { quality: 0.9 }, model_versions: [{ model: 'anomaly', version: 'v1' }, { model: 'quality', version: 'v2' }] });
    // A formula in a supplier name is neutralised in the CSV (the shared csvCell).
    expect(exportCsvRow(rec('z', { at: '2025-06-01T00:00:00.000Z', supplier: '=HYPERLINK("x")', currency: 'EUR', total: 1 }))).toContain(`"'=HYPERLINK(""x"")"`);
  });
});

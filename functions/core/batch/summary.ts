/**
 * The daily summary: what happened on one UTC day and what is coming. Counts of the day's invoices by status,
 * decision and reason; OCR (Document AI) pages of the month against the budget; the latest drift verdict, the
 * production models' F1 and the pending operations actions where monitoring is deployed (monitoring-status.ts);
 * approved or pending payables falling due in the next 7 and 30 days by currency (never added across
 * currencies); the top suppliers by spend over the last 30 days. Written to the exports bucket as JSON and as an
 * HTML page with inline SVG charts (summary-html.ts), `summaries/<day>/summary.{json,html}`.
 */
import type { InvoiceRecord } from '../invoice/record.js';
import type { JobContext } from '../learning/jobs.js';
import type { BlobRef } from '../messages.js';
import type { BatchDeps } from './deps.js';
import { monitoringSection } from './monitoring-status.js';
import { renderSummaryHtml } from './summary-html.js';
import { DailySummarySchema, type DailySummary } from './summary-model.js';

export { DailySummarySchema, type DailySummary };

const DAY_MS = 86_400_000;
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);
const round2 = (x: number) => Math.round(x * 100) / 100;
const bump = (m: Record<string, number>, k: string, by = 1) => {
  m[k] = (m[k] ?? 0) + by;
};

/** A payable: a scored invoice that is not rejected and not a credit note, with a due date and an amount. */
function payableOf(r: InvoiceRecord): { due: string; currency: string; amount: number } | null {
  if (r.status !== 'SCORED' || !r.decision || r.decision.decision === 'REJECT' || !r.invoice) return null;
  if (r.invoice.documentType === 'credit_note' || r.invoice.documentType === 'receipt') return null;
  const f = r.invoice.fields;
  const amount = f.amount_due?.value ?? f.total_amount?.value;
  if (!f.due_date || amount === undefined || amount <= 0) return null;
  return { due: f.due_date.value, currency: f.currency?.value ?? 'XXX', amount };
}

/** Builds the summary of `day` from every record (one pass) and the counters. */
export async function buildDailySummary(deps: BatchDeps, day: string, options: { pageBudget?: number | undefined; topSuppliers: number }, onRecord?: (n: number) => Promise<void>): Promise<DailySummary> {
  const byStatus: Record<string, number> = {};
  const byDecision: Record<string, number> = {};
  const byReason: Record<string, number> = {};
  const money = () => ({}) as Record<string, { amount: number; invoices: number }>;
  const payables = { next7: money(), next30: money(), overdue: money() };
  const suppliers = new Map<string, { supplier: string; currency: string; spend: number; invoices: number }>();
  const d7 = addDays(day, 7);
  const d30 = addDays(day, 30);
  const spendFrom = addDays(day, -29);
  let total = 0;
  let seen = 0;
  for await (const r of deps.pipeline.store.iterate()) {
    seen += 1;
    if (onRecord && seen % 5000 === 0) await onRecord(seen);
    const received = r.createdAt.slice(0, 10);
    if (received === day) {
      total += 1;
      bump(byStatus, r.status);
      if (r.decision) bump(byDecision, r.decision.decision);
      for (const reason of r.decision?.reasons ?? []) if (reason.effect !== 'INFO') bump(byReason, reason.code);
      if (r.rejection) bump(byReason, r.rejection.code);
    }
    const p = payableOf(r);
    if (p) {
      const add = (bucket: Record<string, { amount: number; invoices: number }>) => {
        const b = (bucket[p.currency] ??= { amount: 0, invoices: 0 });
        b.amount = round2(b.amount + p.amount);
        b.invoices += 1;
      };
      if (p.due <= day) add(payables.overdue);
      else {
        if (p.due <= d7) add(payables.next7);
        if (p.due <= d30) add(payables.next30);
      }
    }
    if (r.status === 'SCORED' && r.decision?.decision !== 'REJECT' && received >= spendFrom && received <= day && r.invoice?.documentType !== 'credit_note') {
      const f = r.invoice?.fields;
      const amount = f?.total_amount?.value;
      if (f && amount !== undefined && amount > 0) {
        const supplier = (f.supplier_name?.value ?? r.supplierKey ?? 'unknown').slice(0, 120);
        const currency = f.currency?.value ?? 'XXX';
        const key = `${r.supplierKey ?? supplier}|${currency}`;
        const s = suppliers.get(key) ?? { supplier, currency, spend: 0, invoices: 0 };
        s.spend = round2(s.spend + amount);
        s.invoices += 1;
        suppliers.set(key, s);
      }
    }
  }
  const month = day.slice(0, 7);
  const pages = deps.usage ? await deps.usage.pagesIn(month) : 0;
  const budget = options.pageBudget ?? deps.pageBudget ?? null;
  const monitoring = await monitoringSection(deps.monitoring);
  const sortRecord = <T>(m: Record<string, T>) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return DailySummarySchema.parse({
    day,
    invoices: { total, byStatus: sortRecord(byStatus), byDecision: sortRecord(byDecision), byReason: sortRecord(byReason) },
    ocrPages: { month, pages, budget, share: budget ? Math.round((pages / budget) * 1000) / 1000 : null },
    monitoring,
    payables: { next7: sortRecord(payables.next7), next30: sortRecord(payables.next30), overdue: sortRecord(payables.overdue) },
    topSuppliers: [...suppliers.values()]
      .sort((a, b) => b.spend - a.spend || a.supplier.localeCompare(b.supplier) || a.currency.localeCompare(b.currency))
      .slice(0, options.topSuppliers),
  });
}

export function summaryRefs(bucket: string, day: string): { json: BlobRef; html: BlobRef } {
  return { json: { bucket, name: `summaries/${day}/summary.json` }, html: { bucket, name: `summaries/${day}/summary.html` } };
}

export async function runSummary(deps: BatchDeps, ctx: JobContext<unknown>, day: string, options: { pageBudget?: number | undefined; topSuppliers: number }): Promise<{ day: string; files: string[]; summary: DailySummary }> {
  const summary = await buildDailySummary(deps, day, options, (n) => ctx.progress({ counts: { records: n } }));
  const refs = summaryRefs(deps.exportsBucket, day);
  await deps.pipeline.blobs.write(refs.json, JSON.stringify(summary, null, 2) + '\n', { contentType: 'application/json' });
  await deps.pipeline.blobs.write(refs.html, renderSummaryHtml(summary), { contentType: 'text/html; charset=utf-8' });
  await ctx.progress({ counts: { invoices: summary.invoices.total } });
  return { day, files: [refs.json.name, refs.html.name], summary };
}

import { join } from 'node:path';
import type { Command } from 'commander';
import type { DailySummary } from '../../core/batch/summary.js';
import { assertJobSucceeded, createBatchJob, executeBatchJob, openBatchSession } from '../batch-run.js';
import { UsageError } from '../errors.js';
import type { CommonOptions } from '../runtime-options.js';

const out = (line: string) => process.stdout.write(line + '\n');
const money = (m: Record<string, { amount: number; invoices: number }>) =>
  Object.entries(m).map(([c, v]) => `${v.amount.toFixed(2)} ${c} (${v.invoices})`).join(', ') || 'none';

function monitoringLine(m: DailySummary['monitoring']): string {
  if (!m.configured) return 'not configured';
  const drift = m.drift ? `drift ${m.drift.verdict} (${m.drift.checkedAt.slice(0, 16)})` : 'no drift check yet';
  const f1 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
  const perf = m.performance.map((p) => `${p.model}@${p.version} F1 ${f1(p.realizedF1)} realized / ${f1(p.estimatedF1)} estimated`).join(', ');
  return [drift, perf, `${m.pendingActions.count} ops actions waiting`].filter(Boolean).join('; ');
}

/** `ledgerx summary`: builds the daily summary (a `summary` batch job) and prints it; the HTML page is in the exports folder. */
export function define(command: Command, common: () => CommonOptions): void {
  command
    .option('--day <yyyy-mm-dd>', 'the day summarized (default: yesterday, UTC)')
    .option('--page-budget <pages>', 'OCR pages budgeted per month')
    .option('--json', 'print the summary as JSON')
    .action(async (o: { day?: string; pageBudget?: string; json?: boolean }) => {
      if (o.pageBudget !== undefined && !/^\d{1,9}$/.test(o.pageBudget)) throw new UsageError('--page-budget must be a whole number');
      const base = common();
      const session = await openBatchSession(base, 'summary', 'summary');
      try {
        const job = await createBatchJob(session, 'summary', { trigger: 'cli', ...(o.day ? { day: o.day } : {}), ...(o.pageBudget ? { pageBudget: Number(o.pageBudget) } : {}) });
        const final = await executeBatchJob(session, job.id, { progress: false });
        assertJobSucceeded(final);
        const { summary, files } = final.result as { summary: DailySummary; files: string[] };
        if (o.json) {
          out(JSON.stringify(summary));
          return;
        }
        const s = summary;
        out(`LedgerX summary of ${s.day}: ${s.invoices.total} invoices received`);
        out(`  by status:   ${Object.entries(s.invoices.byStatus).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
        out(`  by decision: ${Object.entries(s.invoices.byDecision).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
        out(`  top reasons: ${Object.entries(s.invoices.byReason).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
        out(`  OCR pages in ${s.ocrPages.month}: ${s.ocrPages.pages}${s.ocrPages.budget ? ` of ${s.ocrPages.budget} (${Math.round((s.ocrPages.share ?? 0) * 100)} %)` : ''}`);
        out(`  monitoring:  ${monitoringLine(s.monitoring)}`);
        out(`  due in 7 days:  ${money(s.payables.next7)}`);
        out(`  due in 30 days: ${money(s.payables.next30)}`);
        out(`  top suppliers:  ${s.topSuppliers.slice(0, 5).map((x) => `${x.supplier} ${x.spend.toFixed(2)} ${x.currency}`).join('; ') || 'none'}`);
        out(`  page: ${join(base.dataDir, 'buckets', 'exports', ...files[1]!.split('/'))}`);
      } finally {
        await session.close();
      }
    });
}

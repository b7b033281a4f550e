import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { runJob } from '../../core/learning/jobs.js';
import type { DriftReport } from '../../core/monitoring/report.js';
import { localOwner, localOwnerIsGone } from '../../platform/local-scheduler.js';
import { SystemFailure, UsageError } from '../errors.js';
import { cliLogger, openLearning } from '../learning.js';
import type { CommonOptions } from '../runtime-options.js';

const out = (line: string) => process.stdout.write(line + '\n');

function windowEndOf(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) throw new UsageError('--window-end must be an ISO 8601 time (e.g. 2026-12-01T06:00:00Z)');
  return new Date(t);
}

function line(r: Pick<DriftReport, 'id' | 'status' | 'window'> & { rows: number; driftedFeatures: number; driftedShare: number; driftedScores: string[]; findingIds: string[] }): string {
  return `${r.id}\t${r.status}\t${r.window.from} .. ${r.window.to}\trows ${r.rows}\tdrifted ${r.driftedFeatures} (${(r.driftedShare * 100).toFixed(0)} %)\tscores ${r.driftedScores.join(',') || '-'}\tfindings ${r.findingIds.length}`;
}

/**
 * `ledgerx drift run|show|list`: the drift check of a window (recent predictions against the production
 * models' training baseline, performance, shares; findings go through the operations policy), its reports.
 * `run` is a `drift-check` job keyed by the window end: a check killed mid-run is resumed by the same command,
 * and the same window twice is one report.
 */
export function define(drift: Command, common: () => CommonOptions): void {
  const open = async (command: string) => {
    const base = common();
    const logger = cliLogger(base, command);
    const learning = await openLearning(base, logger);
    const { openLocalMonitoring } = await import('../../platform/local-monitoring.js');
    try {
      return { base, logger, learning, monitoring: openLocalMonitoring(learning, { dataDir: base.dataDir, logger }) };
    } catch (err) {
      learning.close();
      throw err;
    }
  };
  drift
    .command('run')
    .description('check the window ending now (or at --window-end) and apply the operations policy to its findings')
    .option('--window-end <time>', 'end of the window (ISO 8601); default now')
    .option('--json', 'print the report as JSON')
    .action(async (o: { windowEnd?: string; json?: boolean }) => {
      const end = windowEndOf(o.windowEnd);
      const { learning, monitoring, logger } = await open('drift');
      try {
        const { createDriftCheckHandler } = await import('../../platform/monitoring.js');
        const handlers = { 'drift-check': createDriftCheckHandler(monitoring.driftCheckDeps(logger)) };
        const key = `drift-check:cli:${end.toISOString()}`;
        const { created, job } = await learning.jobs.create({ id: `job-${randomUUID()}`, kind: 'drift-check', key, params: { window: end.toISOString(), trigger: 'cli' }, now: new Date() });
        if (!created) process.stderr.write(`drift: ${job.status === 'succeeded' ? 'this window was checked already' : 'resuming'} job ${job.id}\n`);
        const outcome = job.status === 'succeeded' ? { status: job.status, job, claimed: true } : await runJob(job.id, { store: learning.jobs, handlers, owner: localOwner(), log: logger, now: () => new Date(), leaseMs: 10 * 60_000, ownerIsGone: localOwnerIsGone });
        if (!outcome.claimed) throw new SystemFailure(`job ${job.id} is held by a live runner (${outcome.job?.owner ?? 'unknown'})`);
        if (outcome.status !== 'succeeded') throw new SystemFailure(`drift check ${outcome.status}: ${outcome.job?.errors.at(-1)?.reason ?? 'see the job record'}`);
        const id = (outcome.job?.result as { reportId?: string } | undefined)?.reportId;
        const report = id ? await monitoring.reports.get(id) : null;
        if (!report) throw new SystemFailure('the drift check finished without a report');
        if (o.json) out(JSON.stringify(report));
        else {
          out(line({ ...report, rows: report.drift?.rows ?? 0, driftedFeatures: report.drift?.driftedFeatures ?? 0, driftedShare: report.drift?.driftedShare ?? 0, driftedScores: report.drift?.driftedScores ?? [] }));
          for (const c of [...(report.drift?.scores ?? []), ...(report.drift?.features ?? [])].filter((x) => x.drifted)) {
            out(`  ${c.name}: ${c.method} ${c.statistic.toPrecision(3)}${c.pValue !== null ? ` p=${c.pValue.toPrecision(2)}` : ''} (threshold ${c.threshold})`);
          }
          for (const p of report.performance) out(`  ${p.model}@${p.version}: realized F1 ${p.realized?.f1?.toFixed(3) ?? '-'} (${p.realized?.rows ?? 0} labelled), estimated F1 ${p.estimated?.f1?.toFixed(3) ?? '-'}`);
          if (report.html) out(`html: ${report.html.bucket}/${report.html.name}`);
        }
      } finally {
        learning.close();
      }
    });
  drift
    .command('show <id>')
    .description('one report as JSON (--html: its HTML page)')
    .option('--html', 'print the HTML page')
    .action(async (id: string, o: { html?: boolean }) => {
      const { learning, monitoring } = await open('drift');
      try {
        const report = await monitoring.reports.get(id);
        if (!report) throw new UsageError(`unknown report ${id.slice(0, 100)}`);
        if (o.html && report.html) process.stdout.write(Buffer.from(await monitoring.blobs.read(report.html)).toString('utf8'));
        else out(JSON.stringify(report, null, 2));
      } finally {
        learning.close();
      }
    });
  drift
    .command('list')
    .description('reports, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'JSON lines')
    .action(async (o: { limit: string; json?: boolean }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit must be 1-500');
      const { learning, monitoring } = await open('drift');
      try {
        for (const r of (await monitoring.reports.list({ limit })).items) out(o.json ? JSON.stringify(r) : line(r));
      } finally {
        learning.close();
      }
    });
}

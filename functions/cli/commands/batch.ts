import type { Command } from 'commander';
import { BATCH_KINDS, BatchKindSchema } from '../../core/batch/params.js';
import { assertJobSucceeded, createBatchJob, executeBatchJob, jobLine, openBatchSession } from '../batch-run.js';
import { UsageError } from '../errors.js';
import { cliLogger, openLearning } from '../learning.js';
import type { CommonOptions } from '../runtime-options.js';

const out = (line: string) => process.stdout.write(line + '\n');

interface RunOptions {
  prefix?: string; from?: string; to?: string; day?: string; reason?: string;
  stuckAfter?: string; grace?: string; lookback?: string; full?: boolean; chunk?: string; pageBudget?: string; json?: boolean; progress?: boolean;
}

/** A whole number option, or UsageError. */
function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`${name} must be a whole number, not ${JSON.stringify(value.slice(0, 40))}`);
  return Number(value);
}

/** The job parameters the options name (validated by the kind's schema when the job is created). */
function paramsOf(o: RunOptions): Record<string, unknown> {
  const entries: Array<[string, unknown]> = [
    ['prefix', o.prefix], ['from', o.from], ['to', o.to], ['day', o.day], ['reason', o.reason],
    ['stuckAfterMinutes', int('--stuck-after', o.stuckAfter)], ['graceMinutes', int('--grace', o.grace)],
    ['lookbackHours', int('--lookback', o.lookback)], ['full', o.full],
    ['chunk', int('--chunk', o.chunk)], ['pageBudget', int('--page-budget', o.pageBudget)],
  ];
  return { trigger: 'cli', ...Object.fromEntries(entries.filter(([, v]) => v !== undefined)) };
}

/** `ledgerx batch list|show|run|resume|cancel`: sweeps, reprocessing, backfills, exports and summaries as resumable jobs. */
export function define(batch: Command, common: () => CommonOptions): void {
  const withJobs = async (fn: (l: Awaited<ReturnType<typeof openLearning>>) => Promise<void>) => {
    const base = common();
    const learning = await openLearning(base, cliLogger(base, 'batch'));
    try {
      await fn(learning);
    } finally {
      learning.close();
    }
  };
  batch
    .command('list')
    .description('batch jobs, newest first')
    .option('--kind <kind>', `only this kind (${BATCH_KINDS.join(', ')})`)
    .option('--json', 'JSON lines')
    .action((o: { kind?: string; json?: boolean }) => withJobs(async ({ jobs }) => {
      if (o.kind !== undefined && !BatchKindSchema.safeParse(o.kind).success) throw new UsageError(`--kind must be one of ${BATCH_KINDS.join(', ')}`);
      const kinds = o.kind ? [o.kind] : [...BATCH_KINDS];
      const all = (await Promise.all(kinds.map((kind) => jobs.list({ kind, limit: 100 })))).flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      if (!o.json && all.length === 0) out('no batch jobs yet');
      for (const j of all) out(o.json ? JSON.stringify(j) : jobLine(j));
    }));
  batch.command('show <id>').description('one job: parameters, checkpoint, counts, errors, result').action((id: string) => withJobs(async ({ jobs }) => {
    const job = await jobs.get(id);
    if (!job || !BatchKindSchema.safeParse(job.kind).success) throw new UsageError(`unknown batch job ${id.slice(0, 100)}`);
    out(JSON.stringify(job, null, 2));
  }));
  batch
    .command('run <kind>')
    .description(`start a job and run it here: ${BATCH_KINDS.join(', ')}`)
    .option('--prefix <prefix>', 'sweep / reprocess: object names under this prefix of the inbox')
    .option('--from <yyyy-mm-dd>', 'reprocess / backfill: invoices received on or after this day (UTC)')
    .option('--to <yyyy-mm-dd>', 'reprocess: invoices received on or before this day (UTC)')
    .option('--day <yyyy-mm-dd>', 'export / summary: the day (default: yesterday, UTC)')
    .option('--reason <text>', 'reprocess: why (kept in each record\'s history)')
    .option('--stuck-after <minutes>', 'sweep: a record not moving for this long is stuck (default 30)')
    .option('--grace <minutes>', 'sweep: uploads younger than this are left to their own event (default 10)')
    .option('--lookback <hours>', 'sweep: only uploads updated in the last hours are checked for a record (default 48)')
    .option('--full', 'sweep: check every upload, whatever its age (also the first hourly sweep of each week)')
    .option('--chunk <n>', 'invoices per checkpoint (default 100)')
    .option('--page-budget <pages>', 'summary: OCR pages budgeted per month')
    .option('--json', 'print the finished job as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (kindArg: string, o: RunOptions) => {
      const kind = BatchKindSchema.safeParse(kindArg);
      if (!kind.success) throw new UsageError(`unknown batch job kind ${JSON.stringify(kindArg.slice(0, 40))}: one of ${BATCH_KINDS.join(', ')}`);
      // Locally there is no Document AI: a local "batch" would be the same offline OCR one file at a time,
      // which `ledgerx process` already is. Refused before a job is recorded.
      if (kind.data === 'docai-backlog') {
        throw new UsageError('docai-backlog needs Document AI and runs on the GCP batch function ({"job":"docai-backlog","params":{"prefix":"..."}}); locally, read a backlog with `ledgerx process <folder>`');
      }
      const params = paramsOf(o);
      const session = await openBatchSession(common(), kind.data, 'batch');
      try {
        const job = await createBatchJob(session, kind.data, params);
        if (!o.json) process.stderr.write(`${job.kind} job ${job.id} (${job.key})\n`);
        const final = await executeBatchJob(session, job.id, { ...(o.progress === false ? { progress: false } : {}) });
        out(o.json ? JSON.stringify(final) : jobLine(final));
        assertJobSucceeded(final);
      } finally {
        await session.close();
      }
    });
  batch
    .command('resume <id>')
    .description('continue a job from its checkpoint (its process stopped)')
    .option('--json', 'print the finished job as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (id: string, o: { json?: boolean; progress?: boolean }) => {
      const base = common();
      let kind = '';
      await withJobs(async ({ jobs }) => {
        const job = await jobs.get(id);
        if (!job || !BatchKindSchema.safeParse(job.kind).success) throw new UsageError(`unknown batch job ${id.slice(0, 100)}`);
        kind = job.kind;
      });
      const session = await openBatchSession(base, kind, 'batch');
      try {
        const final = await executeBatchJob(session, id, { ...(o.progress === false ? { progress: false } : {}) });
        out(o.json ? JSON.stringify(final) : jobLine(final));
        assertJobSucceeded(final);
      } finally {
        await session.close();
      }
    });
  batch.command('cancel <id>').description('cancel a queued job, or ask a running one to stop at its next checkpoint').action((id: string) => withJobs(async ({ jobs }) => {
    const existing = await jobs.get(id);
    if (!existing || !BatchKindSchema.safeParse(existing.kind).success) throw new UsageError(`unknown batch job ${id.slice(0, 100)}`);
    const job = await jobs.cancel(id, new Date());
    if (!job) throw new UsageError(`unknown batch job ${id.slice(0, 100)}`);
    out(`${job.id}: ${job.status}${job.status === 'running' ? ' (cancellation requested)' : ''}`);
  }));
}

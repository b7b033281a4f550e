import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { cliLogger, openLearning } from '../learning.js';
import type { CommonOptions } from '../runtime-options.js';

const out = (line: string) => process.stdout.write(line + '\n');

/** `ledgerx jobs list|show|cancel`: job records (retraining, prediction-log pruning, ...). */
export function define(jobs: Command, common: () => CommonOptions): void {
  const withJobs = async (fn: (l: Awaited<ReturnType<typeof openLearning>>) => Promise<void>) => {
    const base = common();
    const learning = await openLearning(base, cliLogger(base, 'jobs'));
    try {
      await fn(learning);
    } finally {
      learning.close();
    }
  };
  jobs
    .command('list')
    .option('--kind <kind>', 'only this kind')
    .option('--json', 'JSON lines')
    .action((o: { kind?: string; json?: boolean }) => withJobs(async ({ jobs: store }) => {
      for (const j of await store.list({ ...(o.kind ? { kind: o.kind } : {}), limit: 100 })) {
        out(o.json ? JSON.stringify(j) : `${j.id}\t${j.kind}\t${j.status}\t${j.key}\tattempts ${j.attempts}\t${j.createdAt}\t${j.errors.at(-1)?.code ?? ''}`);
      }
    }));
  jobs.command('show <id>').action((id: string) => withJobs(async ({ jobs: store }) => {
    const job = await store.get(id);
    if (!job) throw new UsageError(`unknown job ${id.slice(0, 100)}`);
    out(JSON.stringify(job, null, 2));
  }));
  jobs.command('cancel <id>').action((id: string) => withJobs(async ({ jobs: store }) => {
    const job = await store.cancel(id, new Date());
    if (!job) throw new UsageError(`unknown job ${id.slice(0, 100)}`);
    out(`${job.id}: ${job.status}${job.status === 'running' ? ' (cancellation requested)' : ''}`);
  }));
}

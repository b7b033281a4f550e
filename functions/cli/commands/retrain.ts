import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runJob, type JobRecord } from '../../core/learning/jobs.js';
import { localOwner, localOwnerIsGone } from '../../platform/local-scheduler.js';
import { SystemFailure, UsageError } from '../errors.js';
import { cliLogger, localJobHandlers, openLearning } from '../learning.js';
import type { CommonOptions } from '../runtime-options.js';

interface RetrainOpts {
  seed?: string;
  trials?: string;
  baseCount?: string;
  baseScans?: string;
  cache?: string;
  reports?: string;
  promote: boolean;
  reason: string;
  json?: boolean;
}

function intOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 1_000_000) throw new UsageError(`${name} must be an integer >= ${min}`);
  return n;
}

/**
 * `ledgerx retrain`: the retraining job in the foreground. A retrain left behind by a killed process (its
 * owner gone, or its lease expired) is resumed from its checkpoint; otherwise a new job is created. The
 * training set is a snapshot of the base corpus plus the reviewed invoices of the prediction log; challengers
 * are promoted through the gate (automatically or as pending requests, per learning.json).
 */
export function define(command: Command, common: () => CommonOptions): void {
  command
    .option('--seed <n>', 'random seed (default: learning.json retrain.seed, 42)')
    .option('--trials <n>', 'random-search trials per GBDT model (default: learning.json retrain.trials, 20)')
    .option('--base-count <n>', 'documents of the generated base corpus (default: learning.json retrain.baseCount)')
    .option('--base-scans <n>', 'of which scans')
    .option('--cache <folder>', 'dataset cache of the base corpus (default: <data-dir>/training)')
    .option('--reports <folder>', 'where reports/<version>/ goes (default: <data-dir>/reports/models)')
    .option('--no-promote', 'register the challengers in staging only')
    .option('--reason <text>', 'why (recorded with the job and the run)', 'manual')
    .option('--json', 'print the job as JSON')
    .action(async (opts: RetrainOpts) => {
      const seed = intOption(opts.seed, '--seed', 0);
      const trials = intOption(opts.trials, '--trials', 1);
      const baseCount = intOption(opts.baseCount, '--base-count', 20);
      const baseScans = intOption(opts.baseScans, '--base-scans', 0);
      const base = common();
      const logger = cliLogger(base, 'retrain');
      const learning = await openLearning(base, logger);
      try {
        const handlers = await localJobHandlers({
          common: base, learning, logger, baseCount, baseScans,
          ...(opts.cache ? { cacheDir: resolve(opts.cache) } : {}), ...(opts.reports ? { reportsDir: resolve(opts.reports) } : {}),
        });
        const now = new Date();
        const abandoned = (await learning.jobs.list({ kind: 'retrain', status: 'running', limit: 20 }))
          .filter((j) => localOwnerIsGone(j) || (j.leaseUntil !== null && Date.parse(j.leaseUntil) <= now.getTime()));
        const queued = await learning.jobs.list({ kind: 'retrain', status: 'queued', limit: 20 });
        let job: JobRecord | undefined = [...abandoned, ...queued].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
        if (job) {
          process.stderr.write(`retrain: resuming job ${job.id} (attempt ${job.attempts + 1}${job.checkpoint ? ', from its checkpoint' : ''})\n`);
        } else {
          const params = { reason: opts.reason.slice(0, 200), promote: opts.promote, ...(seed !== undefined ? { seed } : {}), ...(trials !== undefined ? { trials } : {}), trigger: 'cli' };
          job = (await learning.jobs.create({ id: `job-${randomUUID()}`, kind: 'retrain', key: `retrain:manual:${randomUUID()}`, params, now })).job;
          process.stderr.write(`retrain: job ${job.id}\n`);
        }
        const outcome = await runJob(job.id, { store: learning.jobs, handlers, owner: localOwner(), log: logger, now: () => new Date(), leaseMs: 30 * 60_000, ownerIsGone: localOwnerIsGone });
        if (!outcome.claimed) throw new SystemFailure(`job ${job.id} is held by a live runner (${outcome.job?.owner ?? 'unknown'})`);
        const final = outcome.job;
        if (opts.json) process.stdout.write(JSON.stringify(final) + '\n');
        else {
          process.stdout.write(`job ${job.id}: ${outcome.status}\n`);
          const result = final?.result as { runId?: string; outcomes?: Array<{ model: string; version: string; outcome: string; requestId: string | null; reasons: string[] }> } | undefined;
          if (result?.runId) process.stdout.write(`run: ${result.runId}\n`);
          for (const o of result?.outcomes ?? []) process.stdout.write(`${o.model}@${o.version}: ${o.outcome}${o.reasons.length ? ` (${o.reasons.join(', ')})` : ''}${o.requestId ? ` request ${o.requestId}` : ''}\n`);
        }
        if (outcome.status !== 'succeeded') throw new SystemFailure(`retrain ${outcome.status}: ${final?.errors.at(-1)?.reason ?? 'see the job record'}`);
      } finally {
        learning.close();
      }
    });
}

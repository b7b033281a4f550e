import type { Command } from 'commander';
import { compareRuns, type RunRecord } from '../../core/learning/runs.js';
import { UsageError } from '../errors.js';
import { cliLogger, openLearning } from '../learning.js';
import type { CommonOptions } from '../runtime-options.js';

const out = (line: string) => process.stdout.write(line + '\n');
const f = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(4));

/** `ledgerx runs list|show|compare`: the experiment runs of `ledgerx train` and the retraining job. */
export function define(runs: Command, common: () => CommonOptions): void {
  const withRuns = async (fn: (l: Awaited<ReturnType<typeof openLearning>>) => Promise<void>) => {
    const base = common();
    const learning = await openLearning(base, cliLogger(base, 'runs'));
    try {
      await fn(learning);
    } finally {
      learning.close();
    }
  };
  const load = async (store: Awaited<ReturnType<typeof openLearning>>['runs'], id: string): Promise<RunRecord> => {
    const run = await store.get(id);
    if (!run) throw new UsageError(`unknown run ${id.slice(0, 100)}`);
    return run;
  };

  runs
    .command('list')
    .option('--limit <n>', 'how many, newest first', '20')
    .option('--json', 'JSON lines')
    .action((o: { limit: string; json?: boolean }) => withRuns(async ({ runs: store }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be an integer in 1..1000');
      const { items } = await store.list({ limit });
      if (items.length === 0) out('no runs recorded');
      for (const r of items) {
        const gate = Object.entries(r.gate).map(([m, g]) => `${m}:${(g as { outcome?: string }).outcome ?? '?'}`).join(',');
        out(o.json ? JSON.stringify(r) : `${r.id}\t${r.kind}\t${r.status}\t${r.startedAt}\t${f(r.durationSeconds)} s\t${r.dataSnapshot?.rows ?? '-'} rows\t${Object.values(r.versions)[0] ?? '-'}\t${gate || '-'}`);
      }
    }));

  runs
    .command('show <id>')
    .action((id: string) => withRuns(async ({ runs: store }) => {
      out(JSON.stringify(await load(store, id), null, 2));
    }));

  runs
    .command('compare <a> <b>')
    .description('metric deltas (b - a) per model, split and slice')
    .option('--json', 'JSON lines')
    .option('--metric <names>', 'comma-separated metrics to show', 'f1,prAuc,rocAuc,ece,rows')
    .action((a: string, b: string, o: { json?: boolean; metric: string }) => withRuns(async ({ runs: store }) => {
      const ra = await load(store, a);
      const rb = await load(store, b);
      const wanted = new Set(o.metric.split(',').map((s) => s.trim()));
      const deltas = compareRuns(ra, rb).filter((d) => wanted.has(d.metric));
      if (!o.json) {
        out(`A ${ra.id} (${ra.dataSnapshot?.rows ?? '?'} rows, ${ra.dataSnapshot?.sha256.slice(0, 12) ?? '-'})  B ${rb.id} (${rb.dataSnapshot?.rows ?? '?'} rows, ${rb.dataSnapshot?.sha256.slice(0, 12) ?? '-'})`);
        out('model\tscope\tmetric\tA\tB\tB-A');
      }
      for (const d of deltas) out(o.json ? JSON.stringify(d) : `${d.model}\t${d.scope}\t${d.metric}\t${f(d.a)}\t${f(d.b)}\t${d.delta === null ? 'n/a' : `${d.delta >= 0 ? '+' : ''}${f(d.delta)}`}`);
    }));
}

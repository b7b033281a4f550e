import type { Command } from 'commander';
import { OpsConflictError } from '../../core/monitoring/ops.js';
import { decideAction } from '../../core/monitoring/ops-policy.js';
import type { LocalMonitoring } from '../../platform/local-monitoring.js';
import { UsageError } from '../errors.js';
import { actorOf, cliLogger, openLearning } from '../learning.js';
import type { CommonOptions } from '../runtime-options.js';

const out = (line: string) => process.stdout.write(line + '\n');

/**
 * `ledgerx ops log|approve|reject`: the operations log (findings and the actions the policy took or proposes)
 * and an admin's decision on a pending action (an approval runs it at once).
 */
export function define(ops: Command, common: () => CommonOptions): void {
  const withOps = async <T>(fn: (m: LocalMonitoring, logger: ReturnType<typeof cliLogger>) => Promise<T>) => {
    const base = common();
    const logger = cliLogger(base, 'ops');
    const learning = await openLearning(base, logger);
    try {
      const { openLocalMonitoring } = await import('../../platform/local-monitoring.js');
      return await fn(openLocalMonitoring(learning, { dataDir: base.dataDir, logger }), logger);
    } finally {
      learning.close();
    }
  };
  ops
    .command('log')
    .description('findings and actions, newest first (--pending: only actions awaiting approval)')
    .option('--pending', 'only actions awaiting approval')
    .option('--limit <n>', 'how many of each', '50')
    .option('--json', 'JSON lines ({"finding": ...} or {"action": ...})')
    .action((o: { pending?: boolean; limit: string; json?: boolean }) => withOps(async (m) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit must be 1-500');
      const actions = await m.ops.actions({ ...(o.pending ? { status: 'pending-approval' as const } : {}), limit });
      const findings = o.pending ? [] : await m.ops.findings({ limit });
      const rows = [
        ...findings.map((f) => ({ at: f.createdAt, json: { finding: f }, text: `${f.createdAt}\tfinding\t${f.id}\t${f.kind}\t${f.subject}\t${f.summary}` })),
        ...actions.map((a) => ({ at: a.createdAt, json: { action: a }, text: `${a.createdAt}\taction\t${a.id}\t${a.type}\t${a.subject}\t${a.status}\trisk ${a.risk}${a.decidedBy ? `\tby ${a.decidedBy}` : ''}${a.error ? `\terror ${a.error}` : ''}` })),
      ].sort((x, y) => y.at.localeCompare(x.at));
      for (const r of rows) out(o.json ? JSON.stringify(r.json) : r.text);
    }));
  for (const decision of ['approve', 'reject'] as const) {
    ops
      .command(`${decision} <actionId>`)
      .description(decision === 'approve' ? 'approve a pending action (it runs at once)' : 'reject a pending action')
      .option('--actor <name>', 'who decides (default LEDGERX_ACTOR or the OS user)')
      .option('--comment <text>', 'why', '')
      .option('--json', 'print the action as JSON')
      .action((id: string, o: { actor?: string; comment: string; json?: boolean }) => withOps(async (m, logger) => {
        const actor = actorOf(o.actor);
        if (o.comment.length > 2000) throw new UsageError('--comment is at most 2000 characters');
        try {
          const action = await decideAction(m.policy(logger), id, decision, actor, o.comment);
          out(o.json ? JSON.stringify(action) : `${action.id}: ${action.status}${action.error ? ` (${action.error})` : ''}`);
        } catch (err) {
          if (err instanceof OpsConflictError) throw new UsageError(`${err.code}: ${err.message}`);
          throw err;
        }
      }));
  }
}

import type { Command } from 'commander';
import type { ModelVersionRecord } from '../../core/learning/model-registry.js';
import { UsageError } from '../errors.js';
import { actorOf, cliLogger, openLearning, registryGuard } from '../learning.js';
import type { CommonOptions } from '../runtime-options.js';

interface ActorOpts {
  actor?: string;
  json?: boolean;
}

const out = (line: string) => process.stdout.write(line + '\n');

function testF1(r: ModelVersionRecord): string {
  const t = (r.metrics.test as { f1?: number | null } | undefined)?.f1;
  return typeof t === 'number' ? t.toFixed(4) : 'n/a';
}

/**
 * `ledgerx models list|show|promote|rollback|approve|reject|requests|audit` on the local registry (the
 * embedded database; the shipped models/ is imported as the seed on first use). Promotion flips a pointer and
 * never touches a version's files; with `promotion.mode = approval` in learning.json a promotion waits as a
 * pending request until an admin approves or rejects it.
 */
export function define(models: Command, common: () => CommonOptions): void {
  const withLearning = async <T>(fn: (l: Awaited<ReturnType<typeof openLearning>>) => Promise<T>): Promise<T> => {
    const base = common();
    const learning = await openLearning(base, cliLogger(base, 'models'));
    try {
      return await registryGuard(() => fn(learning));
    } finally {
      learning.close();
    }
  };

  models
    .command('list')
    .description('every version with its stage')
    .option('--json', 'one JSON line per version')
    .action((o: ActorOpts) => withLearning(async ({ registry }) => {
      const versions = await registry.list();
      if (versions.length === 0) out('no models registered');
      for (const v of versions) out(o.json ? JSON.stringify(v) : `${v.name}\t${v.version}\t${v.stage}\t${v.createdAt}\ttest F1 ${testF1(v)}\trun ${v.lineage.runId ?? '-'}`);
    }));

  models
    .command('show <name> [version]')
    .description('one version (default: production) with lineage, metrics and audit trail')
    .action((name: string, version: string | undefined, o: ActorOpts) => withLearning(async ({ registry }) => {
      const v = version ?? (await registry.pointer(name)).production;
      if (!v) throw new UsageError(`${name} has no production version`);
      const record = await registry.get(name, v);
      if (!record) throw new UsageError(`unknown model version ${name}@${v}`);
      out(JSON.stringify({ ...record, pointer: await registry.pointer(name), audit: await registry.audit(name, v) }, null, o.json ? 0 : 2));
    }));

  models
    .command('promote <name> <version>')
    .description('make a version production (or open a pending request when approvals are required)')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .option('--actor <id>', 'who promotes (default: LEDGERX_ACTOR or the OS user)')
    .action((name: string, version: string, o: ActorOpts & { reason: string }) => withLearning(async ({ registry, config }) => {
      const at = new Date();
      const record = await registry.get(name, version);
      if (!record) throw new UsageError(`unknown model version ${name}@${version}`);
      const ctx = { actor: actorOf(o.actor), reason: o.reason.slice(0, 2000), at, evidence: { manual: true, test: record.metrics.test ?? null } };
      if (config.promotion.mode === 'approval') {
        const request = await registry.requestPromotion(name, version, ctx);
        out(`${name}@${version}: promotion request ${request.id} is pending approval (ledgerx models approve ${request.id} --comment ...)`);
        return;
      }
      await registry.promote(name, version, ctx);
      out(`${name}@${version} is production`);
    }));

  models
    .command('rollback <name>')
    .description('restore the previous production version in one step')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .option('--actor <id>', 'who rolls back')
    .action((name: string, o: ActorOpts & { reason: string }) => withLearning(async ({ registry }) => {
      const restored = await registry.rollback(name, { actor: actorOf(o.actor), reason: o.reason.slice(0, 2000), at: new Date() });
      out(`${name} rolled back to ${restored.version}`);
    }));

  for (const decision of ['approve', 'reject'] as const) {
    models
      .command(`${decision} <requestId>`)
      .description(`${decision} a pending promotion request (admins; not the requester)`)
      .requiredOption('--comment <text>', 'the decision\'s comment (kept in the audit trail)')
      .option('--actor <id>', 'who decides')
      .action((requestId: string, o: ActorOpts & { comment: string }) => withLearning(async ({ registry }) => {
        const decided = await registry.decide(requestId, decision, { actor: actorOf(o.actor), reason: o.comment.slice(0, 2000), comment: o.comment.slice(0, 2000), at: new Date() });
        out(`${decided.name}@${decided.version}: request ${decided.id} ${decided.status}${decided.status === 'approved' ? ' - now production' : ''}`);
      }));
  }

  models
    .command('requests')
    .description('promotion requests (pending by default)')
    .option('--all', 'include decided ones')
    .option('--json', 'JSON lines')
    .action((o: ActorOpts & { all?: boolean }) => withLearning(async ({ registry }) => {
      for (const r of await registry.requests(o.all ? {} : { status: 'pending' })) {
        out(o.json ? JSON.stringify(r) : `${r.id}\t${r.name}@${r.version}\t${r.status}\tby ${r.requestedBy} at ${r.requestedAt}\t${r.reason}`);
      }
    }));

  models
    .command('audit [name] [version]')
    .description('the audit trail: who changed what, when, why, on which evidence')
    .option('--json', 'JSON lines')
    .action((name: string | undefined, version: string | undefined, o: ActorOpts) => withLearning(async ({ registry }) => {
      for (const a of await registry.audit(name, version)) {
        out(o.json ? JSON.stringify(a) : `${a.at}\t${a.name}@${a.version ?? '-'}\t${a.action}\t${a.fromStage ?? '-'} -> ${a.toStage ?? '-'}\t${a.actor}\t${a.reason}`);
      }
    }));
}

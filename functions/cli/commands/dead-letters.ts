import type { Command } from 'commander';
import { openRuntime, type CommonOptions } from '../runtime-options.js';

export function define(dl: Command, common: () => CommonOptions): void {
  dl.command('list')
    .description('list dead letters (oldest first)')
    .option('--all', 'include ones already replayed')
    .option('--json', 'one JSON line per dead letter')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const runtime = await openRuntime({ ...common(), pipeline: false });
      try {
        const entries = await runtime.deadLetters.list({ includeReplayed: opts.all ?? false });
        if (opts.json) {
          for (const e of entries) process.stdout.write(JSON.stringify(e) + '\n');
          return;
        }
        if (entries.length === 0) process.stdout.write('no dead letters\n');
        for (const e of entries) {
          process.stdout.write(
            `${e.id}  ${e.deadLetteredAt}  ${e.subscription.padEnd(10)} ${e.code.padEnd(24)} ${e.invoiceId ?? '-'}  ` +
              `attempts=${e.attempts}${e.replayedAt ? `  replayed ${e.replayedAt}` : ''}\n  ${e.reason}\n`,
          );
        }
      } finally {
        await runtime.close();
      }
    });
  dl.command('replay')
    .description('republish dead letters to their subscription and wait until they are handled again')
    .option('--id <ids...>', 'only these dead letters')
    .option('--invoice <invoiceId>', 'only the dead letters of this invoice')
    .action(async (opts: { id?: string[]; invoice?: string }) => {
      const runtime = await openRuntime(common());
      try {
        const result = await runtime.bus.replayDeadLetters({ ids: opts.id, invoiceId: opts.invoice });
        await runtime.drain();
        const left = await runtime.deadLetters.count({});
        process.stdout.write(`replayed ${result.replayed} dead letters; ${left} not replayed remain\n`);
      } finally {
        await runtime.close();
      }
    });
}

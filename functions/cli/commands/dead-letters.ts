import type { Command } from 'commander';
import type { DeadLetter } from '../../core/messages.js';
import { openRuntime, type CommonOptions } from '../runtime-options.js';

type Listed = DeadLetter & { id: string; replayedAt?: string | undefined; source?: string };

function print(entries: readonly Listed[], json: boolean): void {
  if (json) {
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
}

/** The deployed environment's dead letters (GCP adapters), loaded only with --cloud. */
async function openCloud() {
  const { openCloudOps } = await import('../../platform/gcp/cloud-ops.js');
  return openCloudOps();
}

export function define(dl: Command, common: () => CommonOptions): void {
  dl.command('list')
    .description('list dead letters (oldest first)')
    .option('--all', 'include ones already replayed (local store)')
    .option('--json', 'one JSON line per dead letter')
    .option('--cloud', 'the deployed pipeline: the dead-letter-hold subscription of GOOGLE_CLOUD_PROJECT')
    .action(async (opts: { all?: boolean; json?: boolean; cloud?: boolean }) => {
      if (opts.cloud) {
        const ops = await openCloud();
        try {
          print(await ops.deadLetters.list(), opts.json ?? false);
        } finally {
          await ops.close();
        }
        return;
      }
      const runtime = await openRuntime({ ...common(), pipeline: false });
      try {
        print(await runtime.deadLetters.list({ includeReplayed: opts.all ?? false }), opts.json ?? false);
      } finally {
        await runtime.close();
      }
    });
  dl.command('replay')
    .description('republish dead letters to their subscription (locally: and wait until they are handled again)')
    .option('--id <ids...>', 'only these dead letters')
    .option('--invoice <invoiceId>', 'only the dead letters of this invoice')
    .option('--cloud', 'the deployed pipeline: republish from the dead-letter-hold subscription to the original topics')
    .action(async (opts: { id?: string[]; invoice?: string; cloud?: boolean }) => {
      if (opts.cloud) {
        const ops = await openCloud();
        try {
          const result = await ops.deadLetters.replay({ ids: opts.id, invoiceId: opts.invoice });
          process.stdout.write(`replayed ${result.replayed} dead letters${result.ids.length ? `: ${result.ids.join(' ')}` : ''}\n`);
        } finally {
          await ops.close();
        }
        return;
      }
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

import type { Command } from 'commander';
import type { UsageCounter } from '../../core/ports.js';
import { UsageError } from '../errors.js';
import { openRuntime, type CommonOptions } from '../runtime-options.js';

async function print(usage: UsageCounter, opts: { month?: string; json?: boolean }): Promise<void> {
  if (opts.month !== undefined && !/^\d{4}-\d{2}$/.test(opts.month)) throw new UsageError('--month must be yyyy-mm');
  const rows = opts.month !== undefined ? [{ month: opts.month, pages: await usage.pagesIn(opts.month) }] : await usage.months();
  if (opts.json) {
    for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
    return;
  }
  if (rows.length === 0) process.stdout.write('no pages read yet\n');
  for (const row of rows) process.stdout.write(`${row.month}  ${String(row.pages).padStart(8)} pages\n`);
}

export function define(command: Command, common: () => CommonOptions): void {
  command
    .option('--month <yyyy-mm>', 'one month only')
    .option('--json', 'one JSON line per month')
    .option('--cloud', 'the deployed pipeline: Document AI pages counted in Firestore (GOOGLE_CLOUD_PROJECT)')
    .action(async (opts: { month?: string; json?: boolean; cloud?: boolean }) => {
      if (opts.cloud) {
        const { openCloudOps } = await import('../../platform/gcp/cloud-ops.js');
        const ops = await openCloudOps();
        try {
          await print(ops.usage, opts);
        } finally {
          await ops.close();
        }
        return;
      }
      const runtime = await openRuntime(common());
      try {
        await print(runtime.usage, opts);
      } finally {
        await runtime.close();
      }
    });
}

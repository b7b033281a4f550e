import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { watch } from 'chokidar';
import type { Command } from 'commander';
import { SETTLED_STATUSES } from '../../core/invoice/status.js';
import { openRuntime, type CommonOptions } from '../runtime-options.js';
import { toResultLine } from '../result-view.js';

export function define(command: Command, common: () => CommonOptions): void {
  command
    .option('--inbox <folder>', 'folder to watch (default: <data-dir>/drop)')
    .option('--no-einvoice', 'ignore embedded / standalone e-invoice XML')
    .action(async (opts: { inbox?: string; einvoice?: boolean }) => {
      const base = common();
      const inbox = resolve(opts.inbox ?? join(base.dataDir, 'drop'));
      await mkdir(inbox, { recursive: true });
      const runtime = await openRuntime({ ...base, einvoice: opts.einvoice });
      runtime.warmUp({ scans: true });
      const files = new Map<string, string>();
      const report = async (invoiceId: string) => {
        const file = files.get(invoiceId);
        if (!file) return;
        files.delete(invoiceId);
        process.stdout.write(JSON.stringify(toResultLine(file, await runtime.store.get(invoiceId))) + '\n');
      };
      runtime.onSettled((invoiceId) => void report(invoiceId));
      // awaitWriteFinish: a file being copied in is only picked up once its size stopped changing.
      const watcher = watch(inbox, {
        ignoreInitial: false,
        ignored: (path) => relative(inbox, path).split(/[\\/]/).some((part) => part.startsWith('.')),
        awaitWriteFinish: { stabilityThreshold: 300, pollInterval: 100 },
      });
      // The initial scan sees every file already in the folder: those taken in by an earlier run (same name and
      // content) answer with their invoice, settled or resumed, and are not imported again.
      watcher.on('add', async (path) => {
        const rel = relative(inbox, path).split('\\').join('/');
        try {
          const { invoiceId, existing } = await runtime.submitFile(path, `drop/${rel}`);
          files.set(invoiceId, rel);
          const record = existing ? await runtime.store.get(invoiceId) : null;
          if (record && SETTLED_STATUSES.has(record.status)) await report(invoiceId);
        } catch (err) {
          process.stderr.write(`could not take ${rel}: ${(err as Error).message}\n`);
        }
      });
      // Announce only once the initial scan is done: a file dropped before that could be missed.
      await new Promise<void>((ready) => watcher.once('ready', () => ready()));
      process.stderr.write(`watching ${inbox}: drop invoices there (Ctrl+C to stop)\n`);
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await watcher.close();
      await runtime.close();
    });
}

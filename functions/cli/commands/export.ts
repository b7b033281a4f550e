import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { Command } from 'commander';
import { csvHeaderLine, csvRow } from '../../core/invoice/csv.js';
import { UsageError } from '../errors.js';
import { openRuntime, type CommonOptions } from '../runtime-options.js';

export function define(command: Command, common: () => CommonOptions): void {
  command
    .option('--format <format>', 'csv or jsonl', 'jsonl')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (opts: { format: string; out?: string }) => {
      if (opts.format !== 'csv' && opts.format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl, not ${opts.format}`);
      const runtime = await openRuntime({ ...common(), pipeline: false });
      const out: Writable = opts.out ? createWriteStream(opts.out) : process.stdout;
      let count = 0;
      try {
        if (opts.format === 'csv') await write(out, csvHeaderLine());
        for await (const record of runtime.store.iterate()) {
          await write(out, opts.format === 'csv' ? csvRow(record) : JSON.stringify(record) + '\n');
          count++;
        }
      } finally {
        if (opts.out) out.end();
        await runtime.close();
      }
      if (opts.out) process.stderr.write(`exported ${count} invoices to ${opts.out}\n`);
    });
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

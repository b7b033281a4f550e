import { resolve } from 'node:path';
import type { Command } from 'commander';
import { generateCorpus } from '../../generator/index.js';
import { UsageError } from '../errors.js';
import { createProgress } from '../../platform/progress.js';

export function define(command: Command): void {
  command
    .requiredOption('--out <folder>', 'output folder')
    .option('--count <n>', 'number of files', '100')
    .option('--seed <n>', 'random seed', '1')
    .option('--born-digital-only', 'only born-digital PDFs (no scans or e-invoices)')
    .action(async (opts: { out: string; count: string; seed: string; bornDigitalOnly?: boolean }) => {
      const count = Number(opts.count);
      const seed = Number(opts.seed);
      if (!Number.isInteger(count) || count < 1) throw new UsageError('--count must be a positive integer');
      if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
      const progress = createProgress(count, 'generating');
      const manifest = await generateCorpus({
        outDir: resolve(opts.out),
        count,
        seed,
        ...(opts.bornDigitalOnly ? { mix: { bornDigital: 1, scan: 0, einvoicePdf: 0, einvoiceXml: 0 } } : {}),
        onProgress: () => progress.increment(),
      });
      progress.stop();
      process.stdout.write(`wrote ${manifest.documents.length} files and manifest.json to ${resolve(opts.out)}\n`);
    });
}

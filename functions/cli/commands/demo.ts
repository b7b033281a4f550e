import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { generateDemoSet } from '../../generator/index.js';
import { runBatch } from '../../platform/local-batch.js';
import type { InputFile } from '../files.js';
import { openRuntime, type CommonOptions } from '../runtime-options.js';
import { renderTable, toResultLine } from '../result-view.js';

export function define(command: Command, common: () => CommonOptions): void {
  command
    .option('--json', 'print one JSON line per sample instead of a table')
    .action(async (opts: { json?: boolean }) => {
      const base = common();
      const dataDir = join(base.dataDir, 'demo');
      // A fresh stack each time, so the demo shows the same results on every run.
      await rm(dataDir, { recursive: true, force: true });
      const runtime = await openRuntime({ ...base, dataDir }, { pdfs: true, scans: true });
      try {
        const samplesDir = join(dataDir, 'samples');
        process.stderr.write(`generating sample invoices into ${samplesDir}\n`);
        const manifest = await generateDemoSet(samplesDir);
        const files: InputFile[] = manifest.documents.map((d) => ({
          path: join(samplesDir, d.file),
          display: d.file,
          objectName: `demo/${d.file}`,
        }));
        const started = performance.now();
        const results = await runBatch(runtime, files, { progress: process.stderr.isTTY });
        const lines = results.map((r) => toResultLine(r.file.display, r.record));
        if (opts.json) {
          for (const line of lines) process.stdout.write(JSON.stringify(line) + '\n');
          return;
        }
        process.stdout.write(renderTable(lines) + '\n\n');
        const count = (d: string) => lines.filter((l) => l.decision === d).length;
        process.stdout.write(
          `${lines.length} invoices in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
            `${count('APPROVE')} approved, ${count('REVIEW')} to review, ${count('REJECT')} rejected. ` +
            `Details: ledgerx process --json, or ledgerx export --data-dir ${dataDir} --format jsonl\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}

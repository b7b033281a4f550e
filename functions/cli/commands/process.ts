import type { Command } from 'commander';
import { collectInputFiles } from '../files.js';
import { SystemFailure, UsageError } from '../errors.js';
import { batchResults, submitBatch } from '../../platform/local-batch.js';
import { openRuntime, type CommonOptions } from '../runtime-options.js';
import { renderTable, toResultLine } from '../result-view.js';

const IMAGE_FILE = /\.(png|jpe?g|tiff?|webp)$/i;

interface ProcessOptions extends CommonOptions {
  json?: boolean;
  progress?: boolean;
}

export function define(command: Command, common: () => CommonOptions): void {
  command
    .argument('<paths...>', 'files or folders (searched recursively)')
    .option('--json', 'print one JSON line per input file instead of a table')
    .option('--no-einvoice', 'ignore embedded / standalone e-invoice XML (measure text extraction alone)')
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .action(async (paths: string[], opts: ProcessOptions) => {
      const files = await collectInputFiles(paths);
      if (files.length === 0) throw new UsageError('no files found in the given paths');
      const runtime = await openRuntime({ ...common(), einvoice: opts.einvoice });
      let unsettled: number;
      try {
        // Images are scans: start the OCR threads' tesseract workers too (PDFs are mostly born-digital); load
        // pdfjs ahead only when something else than images is there.
        runtime.warmUp({ scans: files.some((f) => IMAGE_FILE.test(f.path)), pdfs: files.some((f) => !IMAGE_FILE.test(f.path)) });
        const batch = await submitBatch(runtime, files, { progress: opts.progress ?? process.stderr.isTTY });
        unsettled = batch.unsettled.length;
        const lines = [];
        // One line per input file, always: an input that did not settle is printed with its last status.
        for await (const r of batchResults(runtime, batch.submissions)) {
          const line = toResultLine(r.file.display, r.record);
          if (opts.json) process.stdout.write(JSON.stringify(line) + '\n');
          else lines.push(line);
        }
        if (!opts.json) process.stdout.write(renderTable(lines) + '\n');
      } finally {
        await runtime.close();
      }
      if (unsettled > 0) {
        throw new SystemFailure(`${unsettled} of ${files.length} inputs did not settle (their last status is printed); run the same command again to resume them`);
      }
    });
}

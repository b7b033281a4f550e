import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { collectInputFiles } from '../files.js';
import { SystemFailure, UsageError } from '../errors.js';
import { batchResults, submitBatch } from '../../platform/local-batch.js';
import { openRuntime, type CommonOptions, type OcrWarmUp } from '../runtime-options.js';
import { renderTable, toResultLine } from '../result-view.js';

const IMAGE_FILE = /\.(png|jpe?g|tiff?|webp)$/i;

/**
 * What to load ahead for these inputs. Images are scans: each OCR thread starts its tesseract worker too (PDFs
 * are mostly born-digital); pdfjs is loaded ahead only when something else than images is there. When most
 * inputs are scans, OCR takes every core (at most one thread per scan): the main thread's part of a scan
 * (extraction, validation, the database) is a small fraction of its recognition, while a born-digital batch
 * keeps one core for the main thread (see createPooledOcrEngine).
 */
export function ocrWarmUp(paths: readonly string[], cores = availableParallelism()): OcrWarmUp {
  const scans = paths.filter((p) => IMAGE_FILE.test(p)).length;
  const warmUp: OcrWarmUp = { scans: scans > 0, pdfs: scans < paths.length };
  if (scans > 1 && scans * 2 >= paths.length) warmUp.threads = Math.min(cores, scans);
  // One scan alone: one OCR thread whose networks use every core.
  if (paths.length === 1 && scans === 1 && cores > 1) Object.assign(warmUp, { threads: 1, ppocrThreads: cores });
  return warmUp;
}

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
      const runtime = await openRuntime({ ...common(), einvoice: opts.einvoice }, ocrWarmUp(files.map((f) => f.path)));
      let unsettled: number;
      try {
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

/**
 * `ledgerx`: the local face of the pipeline. Exits non-zero only for usage errors (2) and for system failures
 * (1, e.g. an input the pipeline could not settle); a bad invoice is a result (REJECTED with a reason), never a
 * failed command.
 *
 * Commands are listed here with their one-line summary and loaded only when invoked: `ledgerx --help` loads
 * commander and this table, not the pipeline (the build splits every command into its own chunk).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConflictError, SystemFailure, UsageError } from './errors.js';
import { defaultDataDir, type CommonOptions } from './runtime-options.js';
import type { LogLevel } from '../platform/logger.js';
import { DataDirInUseError } from '../platform/data-dir-lock.js';

/** What a command module exports: the options, subcommands and action of the command it is given. */
export interface CommandModule {
  define(command: Command, common: () => CommonOptions): void;
}

interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'demo', summary: 'generate the bundled sample invoices and run them through the whole local pipeline', load: () => import('./commands/demo.js') },
  { name: 'process', summary: 'process invoice files or folders end to end on the embedded local stack', load: () => import('./commands/process.js') },
  { name: 'serve', summary: 'watch a local inbox folder: every file dropped there is processed end to end', load: () => import('./commands/serve.js') },
  { name: 'export', summary: 'export every processed invoice as CSV or JSON lines', load: () => import('./commands/export.js') },
  { name: 'dead-letters', summary: 'inspect and replay messages the pipeline gave up on (--cloud: the deployed pipeline)', load: () => import('./commands/dead-letters.js') },
  { name: 'usage', summary: 'pages read by the OCR engine per month (--cloud: Document AI pages of the deployed pipeline)', load: () => import('./commands/usage.js') },
  { name: 'generate', summary: 'render a seeded, labelled corpus of invoices (PDFs, scans, e-invoices, problems) with a manifest', load: () => import('./commands/generate.js') },
  { name: 'train', summary: 'generate a labelled corpus, run it through the pipeline, train and ship the quality, failure and anomaly models', load: () => import('./commands/train.js') },
  { name: 'models', summary: 'model registry: list, show, promote, roll back, approve or reject promotions, audit trail', load: () => import('./commands/models.js') },
  { name: 'review', summary: 'record a review label for an invoice: approve, reject or correct fields (kept with its history)', load: () => import('./commands/review.js') },
  { name: 'retrain', summary: 'retrain on the base corpus plus reviewed invoices, gate the challengers against production, record the run', load: () => import('./commands/retrain.js') },
  { name: 'runs', summary: 'experiment runs: list, show, compare two runs metric by metric and slice by slice', load: () => import('./commands/runs.js') },
  { name: 'jobs', summary: 'job records (retraining, prediction-log pruning): list, show, cancel', load: () => import('./commands/jobs.js') },
  { name: 'drift', summary: 'drift check of recent predictions against the training baseline, with performance and findings: run, show, list', load: () => import('./commands/drift.js') },
  { name: 'ops', summary: 'operations log of monitoring findings and actions: log, approve or reject a pending action', load: () => import('./commands/ops.js') },
  { name: 'batch', summary: 'batch jobs: sweep, reprocess, backfill, export, summary (list, show, run, resume, cancel)', load: () => import('./commands/batch.js') },
  { name: 'summary', summary: 'the daily summary: counts, OCR pages vs budget, payables due, top suppliers (JSON + HTML page)', load: () => import('./commands/summary.js') },
];

/** Global options that take a value: skipped when looking for the command name. */
const VALUE_OPTIONS = new Set(['--data-dir', '--log-level', '--models']);

/** The command named on the command line (the first argument that is not a global option), if any. */
function invokedCommand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * A folder option's value: an empty one (an unset shell variable, `--data-dir "$DIR"`) would resolve to the
 * current folder and write the database there.
 */
function nonEmptyPath(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('an empty path was given (an unset variable?)');
  return value;
}

/**
 * The program with every command listed; only the invoked one (or all, with `loadAll`) fully defined.
 * `argv` is process.argv-shaped (node, script, ...args).
 */
export async function buildProgram(argv: readonly string[], options: { loadAll?: boolean } = {}): Promise<Command> {
  const program = new Command('ledgerx')
    .description('LedgerX invoice pipeline on the embedded local stack (no cloud account needed)')
    .addOption(new Option('--data-dir <folder>', 'where the local bucket and database live').default(defaultDataDir()).argParser(nonEmptyPath))
    .addOption(new Option('--log-level <level>', 'structured JSON logs on stderr').choices(['debug', 'info', 'warn', 'error', 'silent']).default('error'))
    .addOption(new Option('--models <folder>', 'the shipped models folder, imported as the seed of the local model registry (default: models/ of this repository)').env('LEDGERX_MODELS_DIR').argParser(nonEmptyPath))
    .showHelpAfterError()
    .exitOverride();
  const common = (): CommonOptions => {
    const o = program.opts<{ dataDir: string; logLevel: LogLevel; models?: string }>();
    return { dataDir: o.dataDir, logLevel: o.logLevel, ...(o.models ? { models: o.models } : {}) };
  };
  const invoked = invokedCommand(argv.slice(2));
  for (const entry of COMMANDS) {
    const command = program.command(entry.name).description(entry.summary).exitOverride();
    if (options.loadAll || entry.name === invoked) (await entry.load()).define(command, common);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      process.stderr.write(`ledgerx: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConflictError) {
      process.stderr.write(`ledgerx: ${err.message}\n`);
      return 3;
    }
    if (err instanceof SystemFailure || err instanceof DataDirInUseError) {
      process.stderr.write(`ledgerx: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Runs the command line and exits with its code (the `ledgerx` launcher and `tsx functions/cli/main.ts`). */
export function run(): void {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`ledgerx: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}

if (process.argv[1]?.endsWith('/cli/main.ts')) run();

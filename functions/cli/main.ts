#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './files.js';
import { defaultDataDir, type CommonOptions } from './runtime-options.js';
import { registerDemo } from './commands/demo.js';
import { registerProcess } from './commands/process.js';
import { registerServe } from './commands/serve.js';
import { registerExport } from './commands/export.js';
import { registerDeadLetters } from './commands/dead-letters.js';
import { registerGenerate } from './commands/generate.js';
import { registerTrain } from './commands/train.js';
import { registerModels } from './commands/models.js';
import type { LogLevel } from '../platform/logger.js';

/**
 * `ledgerx`: the local face of the pipeline. Exits non-zero only for usage errors; a bad invoice is a
 * result (REJECTED with a reason), never a failed command.
 */
export function buildProgram(): Command {
  const program = new Command('ledgerx')
    .description('LedgerX invoice pipeline on the embedded local stack (no cloud account needed)')
    .addOption(new Option('--data-dir <folder>', 'where the local bucket and database live').default(defaultDataDir()))
    .addOption(new Option('--log-level <level>', 'structured JSON logs on stderr').choices(['debug', 'info', 'warn', 'error', 'silent']).default('error'))
    .showHelpAfterError()
    .exitOverride();
  const common = (): CommonOptions => {
    const o = program.opts<{ dataDir: string; logLevel: LogLevel }>();
    return { dataDir: o.dataDir, logLevel: o.logLevel };
  };
  registerDemo(program, common);
  registerProcess(program, common);
  registerServe(program, common);
  registerExport(program, common);
  registerDeadLetters(program, common);
  registerGenerate(program);
  registerTrain(program, common);
  registerModels(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      process.stderr.write(`ledgerx: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/main.ts')) {
  main(process.argv).then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`ledgerx: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}

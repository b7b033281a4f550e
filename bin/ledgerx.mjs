#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so that `npx ledgerx` works straight from a clone, without a build step.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const main = fileURLToPath(new URL('../functions/cli/main.ts', import.meta.url));
// An explicit heap ceiling makes V8 size its generations for it instead of for the machine's 24 GiB: a
// 1,000-invoice batch then peaked at 270-275 MiB instead of 300-315 MiB, at the same 53-58 invoices/s
// (npm run bench; a smaller young generation alone cut memory less and cost a fifth of the throughput).
const nodeFlags = ['--max-old-space-size=1024'];
const child = spawn(process.execPath, [...nodeFlags, require.resolve('tsx/cli'), main, ...process.argv.slice(2)], { stdio: 'inherit' });
// Stopping the wrapper stops the command (e.g. `ledgerx serve` under a process manager).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

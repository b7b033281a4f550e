#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so that `npx ledgerx` works straight from a clone, without a build step.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const main = fileURLToPath(new URL('../functions/cli/main.ts', import.meta.url));
// A 2 MB young generation (V8's default is 16 MB per semi-space) keeps a long batch's main thread lean: with it
// a 1,000-invoice batch peaked at ~290 MiB instead of ~315 MiB, at the same throughput (npm run bench).
const nodeFlags = ['--max-semi-space-size=2'];
const child = spawn(process.execPath, [...nodeFlags, require.resolve('tsx/cli'), main, ...process.argv.slice(2)], { stdio: 'inherit' });
// Stopping the wrapper stops the command (e.g. `ledgerx serve` under a process manager).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

#!/usr/bin/env -S node --max-old-space-size=1024
// The `ledgerx` command: compiled JavaScript in dist/cli, built by `npm ci` (the `prepare` script) or `npm run build`.
// The heap ceiling in the line above makes V8 size its heap for 1 GiB instead of for the machine's memory: a
// 1,000-invoice batch peaked at 270-275 MiB instead of 300-315 MiB at the same throughput (npm run bench). The
// npm scripts pass the same flag, since `node bin/ledgerx.mjs` does not read this line.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('ledgerx: dist/cli is missing; run `npm run build` (npm ci does it) in the repository first\n');
  process.exit(1);
}
(await import(main.href)).run();

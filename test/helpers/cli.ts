import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The `ledgerx` launcher of this checkout, as a user runs it. */
export const LEDGERX_BIN = resolve(import.meta.dirname, '../../bin/ledgerx.mjs');

/** Runs `ledgerx <args>` in a child process (extra `env` over this process's); never throws on a non-zero exit. */
export async function ledgerx(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [LEDGERX_BIN, ...args], { maxBuffer: 1 << 26, env: { ...process.env, ...env } });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

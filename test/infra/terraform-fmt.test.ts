/**
 * `terraform fmt -check -recursive infra`: the canonical formatting, checked with the real Terraform binary.
 * fmt works offline (no provider, no backend); the test skips, saying why, where terraform is not on the PATH.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** No ~/.terraformrc (and no warning about its absence), no checkpoint call home. */
const ENV = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
const TIMEOUT_MS = 30_000;

const terraform = (args: string[]) => spawnSync('terraform', args, { cwd: REPO, env: ENV, encoding: 'utf8', timeout: TIMEOUT_MS });

describe('terraform fmt', () => {
  it('finds every .tf file under infra/ formatted', (ctx) => {
    const version = terraform(['version']);
    if (version.error) ctx.skip(`terraform is not on the PATH (${(version.error as NodeJS.ErrnoException).code ?? version.error.message}): fmt not checked`);
    const fmt = terraform(['fmt', '-check', '-recursive', '-diff', 'infra']);
    expect(fmt.error, 'terraform fmt did not finish').toBeUndefined();
    // Exit 0: formatted. Exit 3 lists the files fmt would rewrite (with -diff, how).
    expect(`${fmt.stdout}${fmt.stderr}`.trim(), 'run: terraform fmt -recursive infra').toBe('');
    expect(fmt.status).toBe(0);
  }, TIMEOUT_MS * 2);
});

import { execFileSync } from 'node:child_process';
import { repoRoot } from '../platform/repo-root.js';

/** The code that trains: `LEDGERX_CODE_REVISION` (set by Cloud Build in the job image), else the git commit, else null. */
export function codeRevision(): string | null {
  const fromEnv = process.env.LEDGERX_CODE_REVISION?.trim();
  if (fromEnv) return fromEnv.slice(0, 80);
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
    return /^[0-9a-f]{40}$/.test(head) ? `${head}${dirty ? '+dirty' : ''}` : null;
  } catch {
    return null;
  }
}

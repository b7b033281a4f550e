import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown when another live process runs the pipeline on the same data folder. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One pipeline process per local data folder: its claims, queued messages and OCR threads assume nobody else
 * delivers the same work. The lock is a file created exclusively (`wx`) holding the owner's pid; a lock left by a
 * process that died (kill -9, a crash) is taken over. Returns the release function.
 * Throws {@link DataDirInUseError} naming the pid that holds it.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'ledgerx.lock');
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DataDirInUseError(`the data folder ${dataDir} is in use by process ${owner} (another ledgerx process or serve); stop it or use --data-dir`);
      }
      // Left by a process that is gone: move it aside (a rename succeeds for one starter only, so two starters
      // cannot both clear it and both win), then try again.
      const stale = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, stale);
        rmSync(stale, { force: true });
      } catch (renameErr) {
        if ((renameErr as NodeJS.ErrnoException).code !== 'ENOENT') throw renameErr;
      }
    }
  }
  throw new DataDirInUseError(`could not lock the data folder ${dataDir}`);
}

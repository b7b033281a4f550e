import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import type { InputFile } from '../platform/local-batch.js';
import { UsageError } from './errors.js';

export type { InputFile };


/**
 * Expands files and folders (recursively, skipping dot-files) into the ordered list of files to process.
 * Throws for a path that does not exist: that is a usage error, not a bad invoice.
 */
export async function collectInputFiles(paths: readonly string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const arg of paths) {
    // An empty argument (an unset shell variable) resolves to the current folder: never sweep that by accident.
    if (arg.trim() === '') throw new UsageError('an empty path was given (an unset variable?); name the files or folders to process');
    const root = resolve(arg);
    const info = await stat(root).catch((err: NodeJS.ErrnoException) => {
      // Only "not there" is the user's typo; a permission or I/O error is reported as what it is.
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
      throw err;
    });
    if (!info) throw new UsageError(`no such file or folder: ${arg}`);
    if (info.isFile()) {
      out.push({ path: root, display: arg, objectName: basename(root) });
      continue;
    }
    for (const file of await walk(root)) {
      const rel = relative(root, file).split('\\').join('/');
      out.push({ path: file, display: join(arg, rel), objectName: `${basename(root)}/${rel}` });
    }
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await walk(p)));
    else if (e.isFile()) files.push(p);
  }
  return files;
}

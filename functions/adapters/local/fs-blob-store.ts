import { randomBytes } from 'node:crypto';
// Small objects (invoices, OCR JSON, sidecars) go through the synchronous calls: for files this size the
// promise API's per-call overhead cost more main-thread time than the I/O itself (CPU profile of a batch).
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { z } from 'zod';
import { PermanentError, RejectReason } from '../../core/errors.js';
import type { BlobRef } from '../../core/messages.js';
import { BlobNotFoundError, PreconditionFailedError, type BlobStat, type BlobStore, type WriteOptions } from '../../core/ports.js';

/** A {@link BlobStat} plus the custom metadata given at write time. */
export interface LocalBlobStat extends BlobStat {
  metadata: Record<string, string>;
}

export interface FsBlobStoreOptions {
  /** Called after every successful write, awaited (the local stand-in for Storage `object.finalize`). */
  onFinalize?: (stat: LocalBlobStat) => void | Promise<void>;
}

export interface FsBlobStore extends BlobStore {
  readonly rootDir: string;
  stat(ref: BlobRef): Promise<LocalBlobStat | null>;
  write(ref: BlobRef, data: Uint8Array | string, options?: WriteOptions): Promise<LocalBlobStat>;
  list(bucket: string, prefix: string): Promise<LocalBlobStat[]>;
  /** Copies the file at `path` into the bucket as `name` (content type guessed from the extension). */
  importFile(bucket: string, name: string, path: string, options?: WriteOptions): Promise<LocalBlobStat>;
}

/**
 * Housekeeping lives under a folder whose name no bucket can have (bucket names start with a letter or
 * digit), so sidecars and temp files never show up in any bucket's listing.
 */
const HOUSEKEEPING = '.ledgerx';
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{0,221}$/i;
const MAX_NAME_BYTES = 1024;
const LIST_PARALLELISM = 32;

const SidecarSchema = z.object({
  generation: z.string().regex(/^\d+$/),
  size: z.number().int().nonnegative(),
  contentType: z.string().optional(),
  updatedAt: z.string(),
  metadata: z.record(z.string(), z.string()).default({}),
  /** The data file's mtime when written: a different one means the file was replaced behind our back. */
  mtimeMs: z.number(),
});
type Sidecar = z.infer<typeof SidecarSchema>;

const CONTENT_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.csv': 'text/csv',
  '.html': 'text/html',
  '.txt': 'text/plain',
};

/** Content type from a file name's extension; undefined when unknown (the OCR step sniffs magic bytes). */
export function contentTypeFromName(name: string): string | undefined {
  return CONTENT_TYPES[extname(name).toLowerCase()];
}

function invalidName(message: string): PermanentError {
  return new PermanentError(RejectReason.INVALID_NAME, message);
}

/** Throws PermanentError(INVALID_NAME) for a bucket or object name that could escape or confuse the tree. */
export function assertSafeRef(ref: BlobRef): void {
  if (!BUCKET_NAME.test(ref.bucket)) throw invalidName('invalid bucket name');
  const { name } = ref;
  if (name.length === 0 || Buffer.byteLength(name) > MAX_NAME_BYTES) throw invalidName('object name must be 1-1024 bytes');
  if (/[\0\r\n\\]/.test(name)) throw invalidName('object name contains a forbidden character');
  if (name.startsWith('/')) throw invalidName('object name must be relative');
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw invalidName('object name has an empty, "." or ".." segment');
  }
}

/**
 * GCS generations are microsecond timestamps; keeping that shape (and forcing strict growth within the
 * process) keeps generations increasing across deletes, re-creations and restarts.
 */
function generationClock(): (previous?: string) => string {
  let last = 0n;
  return (previous) => {
    let next = BigInt(Date.now()) * 1000n;
    if (next <= last) next = last + 1n;
    if (previous !== undefined && next <= BigInt(previous)) next = BigInt(previous) + 1n;
    last = next;
    return next.toString();
  };
}

function isErrno(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

function statFromSidecar(ref: BlobRef, sidecar: Sidecar): LocalBlobStat {
  const { size, contentType, generation, updatedAt, metadata } = sidecar;
  return { bucket: ref.bucket, name: ref.name, size, contentType, generation, updatedAt, metadata };
}

/**
 * A {@link BlobStore} over a folder: `<rootDir>/<bucket>/<name>` holds the bytes (so files can be dropped in
 * or opened directly), `<rootDir>/.ledgerx/meta/<bucket>/<name>.json` the metadata. Writes go to a temp
 * file and are renamed into place (readers never see half a file). Writes to one object are serialized
 * within this process, which makes `ifGenerationMatch` atomic for a single process (not across processes).
 * A file dropped in without a sidecar gets a generation derived from its mtime.
 * Like a file system and unlike GCS, an object `a` and an object `a/b` cannot both exist.
 */
export function createFsBlobStore(rootDir: string, options: FsBlobStoreOptions = {}): FsBlobStore {
  const nextGeneration = generationClock();
  const locks = new Map<string, Promise<unknown>>();

  const dataPath = (ref: BlobRef) => join(rootDir, ref.bucket, ...ref.name.split('/'));
  const metaPath = (ref: BlobRef) => join(rootDir, HOUSEKEEPING, 'meta', ref.bucket, ...ref.name.split('/')) + '.json';
  const tmpDir = join(rootDir, HOUSEKEEPING, 'tmp');

  /** Runs `fn` after every earlier operation on the same object has settled. */
  function serialized<T>(ref: BlobRef, fn: () => Promise<T>): Promise<T> {
    const key = `${ref.bucket}/${ref.name}`;
    const previous = locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    locks.set(key, settled);
    void settled.then(() => {
      if (locks.get(key) === settled) locks.delete(key);
    });
    return run;
  }

  async function readSidecar(ref: BlobRef): Promise<Sidecar | null> {
    try {
      return SidecarSchema.parse(JSON.parse(readFileSync(metaPath(ref), 'utf8')));
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
      // A corrupt sidecar is treated as missing: the data file is the source of truth.
      if (err instanceof SyntaxError || err instanceof z.ZodError) return null;
      throw err;
    }
  }

  async function statOf(ref: BlobRef): Promise<LocalBlobStat | null> {
    let file;
    try {
      file = statSync(dataPath(ref));
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
      throw err;
    }
    if (!file.isFile()) return null;
    const sidecar = await readSidecar(ref);
    if (sidecar && sidecar.mtimeMs === file.mtimeMs && sidecar.size === file.size) return statFromSidecar(ref, sidecar);
    return {
      bucket: ref.bucket,
      name: ref.name,
      size: file.size,
      contentType: sidecar?.contentType ?? contentTypeFromName(ref.name),
      generation: (BigInt(Math.trunc(file.mtimeMs * 1000))).toString(),
      updatedAt: file.mtime.toISOString(),
      metadata: sidecar?.metadata ?? {},
    };
  }

  /** Folders this store has created: a recursive mkdir per write was a measurable share of a batch's time. */
  const madeDirs = new Set<string>();
  async function ensureDir(dir: string): Promise<void> {
    if (madeDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }

  async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
    await ensureDir(tmpDir);
    const tmp = join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      writeFileSync(tmp, data);
      const parent = join(path, '..');
      try {
        await ensureDir(parent);
        renameSync(tmp, path);
      } catch (err) {
        // The folder may have been pruned by a delete since we made it: make it again once.
        if (!isErrno(err, 'ENOENT')) throw err;
        madeDirs.delete(parent);
        await ensureDir(parent);
        renameSync(tmp, path);
      }
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Removes now-empty folders from `path`'s parent up to (not including) `stop`. */
  async function pruneEmptyParents(path: string, stop: string): Promise<void> {
    let dir = join(path, '..');
    while (dir.startsWith(stop + sep) && dir !== stop) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      dir = join(dir, '..');
    }
  }

  /** Names of the files under `dir` (recursively) that start with `prefix`. */
  async function walk(dir: string, bucketDir: string, prefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const name = relative(bucketDir, path).split(sep).join('/');
      if (entry.isDirectory()) {
        // Descend only into folders that can still contain names with the prefix.
        if (name.startsWith(prefix) || prefix.startsWith(name + '/')) await walk(path, bucketDir, prefix, out);
      } else if (entry.isFile() && name.startsWith(prefix)) {
        out.push(name);
      }
    }
  }

  const store: FsBlobStore = {
    rootDir,

    /**
     * The object's bytes. With `ref.generation`, only that generation's: a folder keeps one generation per
     * name, so a ref naming another one (overwritten, deleted, or replaced during the read) is not found.
     */
    async read(ref) {
      assertSafeRef(ref);
      const readData = () => {
        try {
          return new Uint8Array(readFileSync(dataPath(ref)));
        } catch (err) {
          if (isErrno(err, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw new BlobNotFoundError(`object not found: ${ref.bucket}/${ref.name}`);
          throw err;
        }
      };
      if (ref.generation === undefined) return readData();
      const gone = () => new BlobNotFoundError(`object not found: ${ref.bucket}/${ref.name}#${ref.generation}`);
      if ((await statOf(ref))?.generation !== ref.generation) throw gone();
      const bytes = readData();
      // A write renames the new data into place before its sidecar: checking again after the read catches one
      // that replaced the file meanwhile (its mtime no longer matches the old sidecar).
      if ((await statOf(ref))?.generation !== ref.generation) throw gone();
      return bytes;
    },

    /** The object's stat; null when it is missing or `ref.generation` names another generation. */
    async stat(ref) {
      assertSafeRef(ref);
      const stat = await statOf(ref);
      return stat && ref.generation !== undefined && stat.generation !== ref.generation ? null : stat;
    },

    /**
     * Writes the object atomically and returns its new stat, then awaits `onFinalize` (an error from it
     * rejects the call although the object is stored). Throws PreconditionFailedError when
     * `ifGenerationMatch` does not hold ('0': the object must not exist) and PermanentError(INVALID_NAME)
     * for an unsafe name.
     */
    async write(ref, data, writeOptions = {}) {
      assertSafeRef(ref);
      const stat = await serialized(ref, async () => {
        const current = await statOf(ref);
        const expected = writeOptions.ifGenerationMatch;
        if (expected !== undefined) {
          const actual = current?.generation ?? '0';
          if (actual !== expected) {
            throw new PreconditionFailedError(`generation precondition failed for ${ref.bucket}/${ref.name}`);
          }
        }
        const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        const path = dataPath(ref);
        try {
          await writeAtomically(path, bytes);
        } catch (err) {
          // A folder cannot also be a file: `a` and `a/b` cannot both exist here (they can in GCS).
          if (isErrno(err, 'EEXIST', 'ENOTDIR', 'EISDIR')) {
            throw invalidName(`object name conflicts with an existing object or folder in ${ref.bucket}`);
          }
          throw err;
        }
        const file = statSync(path);
        const sidecar: Sidecar = {
          generation: nextGeneration(current?.generation),
          size: file.size,
          contentType: writeOptions.contentType ?? contentTypeFromName(ref.name),
          updatedAt: new Date().toISOString(),
          metadata: { ...(writeOptions.metadata ?? {}) },
          mtimeMs: file.mtimeMs,
        };
        await writeAtomically(metaPath(ref), JSON.stringify(sidecar));
        return statFromSidecar(ref, sidecar);
      });
      if (options.onFinalize) await options.onFinalize(stat);
      return stat;
    },

    /** Objects of `bucket` whose name starts with `prefix`, sorted by name; [] for an unknown bucket. */
    async list(bucket, prefix) {
      if (!BUCKET_NAME.test(bucket)) throw invalidName('invalid bucket name');
      if (prefix.includes('\0')) throw invalidName('prefix contains NUL');
      const bucketDir = join(rootDir, bucket);
      const names: string[] = [];
      await walk(bucketDir, bucketDir, prefix, names);
      names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const stats: LocalBlobStat[] = [];
      // Stat in bounded parallel batches: one at a time is dominated by file-system latency.
      for (let i = 0; i < names.length; i += LIST_PARALLELISM) {
        const batch = await Promise.all(names.slice(i, i + LIST_PARALLELISM).map((name) => statOf({ bucket, name })));
        for (const stat of batch) if (stat) stats.push(stat);
      }
      return stats;
    },

    /** Deletes the object and its metadata; deleting a missing object is not an error. */
    async delete(ref) {
      assertSafeRef(ref);
      await serialized(ref, async () => {
        const path = dataPath(ref);
        // A folder at this path holds other objects: it is not this object, so leave it.
        if (await statOf(ref)) await rm(path, { force: true });
        await rm(metaPath(ref), { force: true });
        await pruneEmptyParents(path, join(rootDir, ref.bucket));
        await pruneEmptyParents(metaPath(ref), join(rootDir, HOUSEKEEPING, 'meta', ref.bucket));
      });
    },

    async importFile(bucket, name, path, writeOptions = {}) {
      const bytes = readFileSync(path);
      return store.write({ bucket, name }, bytes, { contentType: contentTypeFromName(path), ...writeOptions });
    },
  };
  return store;
}

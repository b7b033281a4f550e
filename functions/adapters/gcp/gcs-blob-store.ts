/**
 * {@link BlobStore} on Cloud Storage through `@google-cloud/storage`.
 */
import type { File, FileMetadata, Storage } from '@google-cloud/storage';
import { z } from 'zod';
import { RetryableError } from '../../core/errors.js';
import type { BlobRef } from '../../core/messages.js';
import { BlobNotFoundError, PreconditionFailedError, type BlobStat, type BlobStore, type WriteOptions } from '../../core/ports.js';

/** The object resource fields the adapter relies on; the service sends int64 values as strings. */
const ObjectResourceSchema = z.object({
  bucket: z.string(),
  name: z.string(),
  generation: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String),
  size: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(Number),
  contentType: z.string().optional(),
  updated: z.string().optional(),
  timeCreated: z.string().optional(),
});

/** HTTP status of a client error: `code` on JSON API calls, `status` on resumable uploads (NOTES.md). */
function httpStatusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; status?: unknown; response?: { status?: unknown } } | null;
  for (const v of [e?.code, e?.status, e?.response?.status]) if (typeof v === 'number') return v;
  return undefined;
}

/** Maps a client error: 404 / 412 to the port's errors, 408 / 429 / 5xx to RetryableError, the rest as is. */
function classify(err: unknown, ref: BlobRef, what: string): Error {
  const status = httpStatusOf(err);
  const where = `gs://${ref.bucket}/${ref.name}`;
  if (status === 404) return new BlobNotFoundError(`${where} not found`);
  if (status === 412) return new PreconditionFailedError(`${what} ${where}: generation precondition failed`);
  if (status === 408 || status === 429 || (status !== undefined && status >= 500)) {
    return new RetryableError(`GCS_${status}`, `${what} ${where} failed with HTTP ${status}`);
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|EPIPE)$/.test(code)) {
    return new RetryableError(`GCS_${code}`, `${what} ${where} failed: ${code}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

function toStat(metadata: FileMetadata): BlobStat {
  const m = ObjectResourceSchema.parse(metadata);
  return {
    bucket: m.bucket,
    name: m.name,
    size: m.size,
    contentType: m.contentType,
    generation: m.generation,
    updatedAt: m.updated ?? m.timeCreated ?? new Date(0).toISOString(),
  };
}

/**
 * A {@link BlobStore} over a configured `Storage` client (credentials, endpoint and retry policy are the
 * caller's). Contract:
 * - `read` downloads the object (the client checks its CRC32C); a missing object, or a `generation` that is not
 *   stored (deleted, or overwritten in a bucket without versioning), throws BlobNotFoundError.
 * - `stat` returns null for a missing object (or generation); generations are int64 strings.
 * - `write` is a single-request upload (`resumable: false`): the bytes are already in memory, so a retry
 *   resends them from the start and a resumable session would only add a round trip; it also keeps a 412
 *   in `err.code`. `ifGenerationMatch` is sent as a precondition ('0' = must not exist) and a 412 becomes
 *   PreconditionFailedError.
 * - `list` pages through every object under the prefix, sorted by name.
 * - `delete` ignores a missing object.
 * 408 / 429 / 5xx and connection resets that outlast the client's own retries become RetryableError.
 */
export function createGcsBlobStore(storage: Storage): BlobStore {
  // With a generation, reads (and stats) address exactly that generation: `?generation=` on the request, 404 when
  // it no longer exists, never the bytes of a newer one.
  const file = (ref: BlobRef): File =>
    storage.bucket(ref.bucket).file(ref.name, ref.generation !== undefined ? { generation: ref.generation } : {});

  return {
    async read(ref) {
      try {
        const [bytes] = await file(ref).download();
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (err) {
        throw classify(err, ref, 'read');
      }
    },

    async stat(ref) {
      try {
        const [metadata] = await file(ref).getMetadata();
        return toStat(metadata);
      } catch (err) {
        if (httpStatusOf(err) === 404) return null;
        throw classify(err, ref, 'stat');
      }
    },

    async write(ref, data, options: WriteOptions = {}) {
      const target = file(ref);
      const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      try {
        await target.save(body, {
          resumable: false,
          contentType: options.contentType ?? 'application/octet-stream',
          ...(options.metadata ? { metadata: { metadata: options.metadata } } : {}),
          ...(options.ifGenerationMatch !== undefined
            ? { preconditionOpts: { ifGenerationMatch: options.ifGenerationMatch } }
            : {}),
        });
      } catch (err) {
        throw classify(err, ref, 'write');
      }
      return toStat(target.metadata);
    },

    async list(bucket, prefix) {
      try {
        const [files] = await storage.bucket(bucket).getFiles({ prefix, autoPaginate: true });
        return files.map((f) => toStat(f.metadata)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      } catch (err) {
        throw classify(err, { bucket, name: prefix }, 'list');
      }
    },

    async delete(ref) {
      try {
        await file(ref).delete({ ignoreNotFound: true });
      } catch (err) {
        throw classify(err, ref, 'delete');
      }
    },
  };
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobNotFoundError, PreconditionFailedError, type BlobStore } from '../../functions/core/ports.js';

/** A fresh, empty bucket behind a {@link BlobStore}; `dispose` removes whatever the test wrote. */
export interface BlobStoreHarness {
  store: BlobStore;
  bucket: string;
  dispose(): Promise<void>;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * The behaviour every {@link BlobStore} adapter must have (local folder, Cloud Storage): byte round trips,
 * int64-string generations that grow on every write, reads of one named generation, `ifGenerationMatch`
 * preconditions, missing objects, prefix listing and deletes.
 */
export function runBlobStoreContract(name: string, factory: () => Promise<BlobStoreHarness>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let h: BlobStoreHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.dispose();
    });

    it('round-trips bytes and strings and reports a stat', async () => {
      const bytes = new Uint8Array([0, 1, 2, 250, 255]);
      const stat = await h.store.write({ bucket: h.bucket, name: 'in/a.bin' }, bytes, { contentType: 'application/octet-stream' });
      expect(stat).toMatchObject({ bucket: h.bucket, name: 'in/a.bin', size: 5, contentType: 'application/octet-stream' });
      expect(stat.generation).toMatch(/^\d+$/);
      expect(Number.isNaN(Date.parse(stat.updatedAt))).toBe(false);
      expect([...(await h.store.read({ bucket: h.bucket, name: 'in/a.bin' }))]).toEqual([...bytes]);

      await h.store.write({ bucket: h.bucket, name: 'note.txt' }, 'grüß dich', { contentType: 'text/plain' });
      expect(text(await h.store.read({ bucket: h.bucket, name: 'note.txt' }))).toBe('grüß dich');
      expect((await h.store.stat({ bucket: h.bucket, name: 'note.txt' }))?.size).toBe(Buffer.byteLength('grüß dich'));
    });

    it('throws BlobNotFoundError reading a missing object and stats it as null', async () => {
      await expect(h.store.read({ bucket: h.bucket, name: 'missing.pdf' })).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await h.store.stat({ bucket: h.bucket, name: 'missing.pdf' })).toBeNull();
    });

    it('gives every write of a name a strictly greater generation, also after a delete', async () => {
      const ref = { bucket: h.bucket, name: 'gen/doc.json' };
      const first = await h.store.write(ref, '1');
      const second = await h.store.write(ref, '2');
      expect(BigInt(second.generation)).toBeGreaterThan(BigInt(first.generation));
      expect((await h.store.stat(ref))?.generation).toBe(second.generation);
      await h.store.delete(ref);
      const third = await h.store.write(ref, '3');
      expect(BigInt(third.generation)).toBeGreaterThan(BigInt(second.generation));
    });

    it("honours ifGenerationMatch: '0' means must not exist, otherwise the current generation", async () => {
      const ref = { bucket: h.bucket, name: 'pre/cond.txt' };
      const created = await h.store.write(ref, 'v1', { ifGenerationMatch: '0' });
      await expect(h.store.write(ref, 'v2', { ifGenerationMatch: '0' })).rejects.toBeInstanceOf(PreconditionFailedError);
      const updated = await h.store.write(ref, 'v2', { ifGenerationMatch: created.generation });
      await expect(h.store.write(ref, 'v3', { ifGenerationMatch: created.generation })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(text(await h.store.read(ref))).toBe('v2');
      expect((await h.store.stat(ref))?.generation).toBe(updated.generation);
      await expect(
        h.store.write({ bucket: h.bucket, name: 'pre/absent.txt' }, 'x', { ifGenerationMatch: '12345' }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
    });

    it("lets exactly one of several concurrent ifGenerationMatch '0' writers win", async () => {
      const ref = { bucket: h.bucket, name: 'race/once.txt' };
      const outcomes = await Promise.allSettled(['a', 'b', 'c', 'd'].map((v) => h.store.write(ref, v, { ifGenerationMatch: '0' })));
      const winners = outcomes.filter((o) => o.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(PreconditionFailedError);
      const written = (winners[0] as PromiseFulfilledResult<{ generation: string }>).value;
      expect((await h.store.stat(ref))?.generation).toBe(written.generation);
    });

    it('lists objects under a prefix, sorted by name, names containing slashes', async () => {
      for (const name of ['inbox/2024/b.pdf', 'inbox/2024/a.pdf', 'inbox/2025/c.pdf', 'inboxed.pdf', 'out/x.json']) {
        await h.store.write({ bucket: h.bucket, name }, name);
      }
      const names = async (prefix: string) => (await h.store.list(h.bucket, prefix)).map((s) => s.name);
      expect(await names('inbox/')).toEqual(['inbox/2024/a.pdf', 'inbox/2024/b.pdf', 'inbox/2025/c.pdf']);
      expect(await names('inbox/2024/')).toEqual(['inbox/2024/a.pdf', 'inbox/2024/b.pdf']);
      expect(await names('inbox')).toEqual(['inbox/2024/a.pdf', 'inbox/2024/b.pdf', 'inbox/2025/c.pdf', 'inboxed.pdf']);
      expect(await names('')).toHaveLength(5);
      expect(await names('nothing/')).toEqual([]);
      const [first] = await h.store.list(h.bucket, 'inbox/2024/a');
      expect(first).toMatchObject({ name: 'inbox/2024/a.pdf', size: 'inbox/2024/a.pdf'.length });
    });

    it('reads exactly the generation a ref names: another one is not found, never the newer bytes', async () => {
      const ref = { bucket: h.bucket, name: 'inbox/2025/06/30/upload.pdf' };
      const first = await h.store.write(ref, 'first upload');
      expect(text(await h.store.read({ ...ref, generation: first.generation }))).toBe('first upload');
      expect((await h.store.stat({ ...ref, generation: first.generation }))?.generation).toBe(first.generation);

      const second = await h.store.write(ref, 'overwritten');
      await expect(h.store.read({ ...ref, generation: first.generation })).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await h.store.stat({ ...ref, generation: first.generation })).toBeNull();
      expect(text(await h.store.read({ ...ref, generation: second.generation }))).toBe('overwritten');
      // Without a generation: the current object, as before.
      expect(text(await h.store.read(ref))).toBe('overwritten');

      await h.store.delete(ref);
      await expect(h.store.read({ ...ref, generation: second.generation })).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('deletes objects; deleting a missing object is not an error', async () => {
      const ref = { bucket: h.bucket, name: 'del/me.txt' };
      await h.store.write(ref, 'bye');
      await h.store.delete(ref);
      expect(await h.store.stat(ref)).toBeNull();
      await expect(h.store.read(ref)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await h.store.list(h.bucket, 'del/')).toEqual([]);
      await expect(h.store.delete(ref)).resolves.toBeUndefined();
    });
  });
}

/**
 * The `ocr` function and the backlog prefix: a new object under it is left to the docai-backlog job (acked, no
 * record, no OCR); the same upload elsewhere is read as usual; an object under it that already has a record
 * (a dead-letter replay of a file the job failed) goes through the online path.
 */
import { http } from '@google-cloud/functions-framework';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topics } from '../../functions/core/messages.js';
import { invoiceIdFor } from '../../functions/core/pipeline/invoice-id.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { makeOcrHandler } from '../../functions/ocr.js';
import { tempDir } from '../helpers/runtime.js';
import { storageNotificationPush } from './cloud-events.js';
import { BUCKETS, fakeStageRuntime, serveFunction, type FakeStage, type FunctionServer } from './fakes.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BORN_DIGITAL_ONLY } from '../helpers/corpus.js';

let stage: FakeStage;
http('ocr-backlog', makeOcrHandler(async () => stage.runtime, () => 'backlog/'));

describe('ocr with a backlog prefix', () => {
  let ocr: FunctionServer;
  let pdf: Buffer;
  const cleanup: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    const samples = await tempDir('ocr-backlog');
    cleanup.push(samples.dispose);
    const manifest = await generateCorpus({ outDir: samples.dir, count: 1, seed: 5, mix: BORN_DIGITAL_ONLY });
    pdf = await readFile(join(samples.dir, manifest.documents[0]!.file));
    stage = await fakeStageRuntime({ dir: samples.dir + '/state' });
    cleanup.push(() => stage.dispose());
    ocr = await serveFunction('ocr-backlog');
    cleanup.push(ocr.close);
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  const upload = async (name: string) => {
    const stat = await stage.blobs.write({ bucket: BUCKETS.inbox, name }, pdf, { contentType: 'application/pdf' });
    return { bucket: BUCKETS.inbox, name, generation: stat.generation, size: pdf.length, contentType: 'application/pdf' };
  };

  it('acks a new object under the prefix without a record, and reads the same file elsewhere', async () => {
    const held = await upload('backlog/2024/a.pdf');
    expect(await ocr.post(storageNotificationPush(held, { deliveryAttempt: 1 }))).toBe(204);
    expect(await stage.store.get(invoiceIdFor(held.bucket, held.name, held.generation))).toBeNull();
    expect(stage.bus.of(Topics.ocrCompleted)).toHaveLength(0);

    const live = await upload('uploads/a.pdf');
    expect(await ocr.post(storageNotificationPush(live, { deliveryAttempt: 1 }))).toBe(204);
    expect(await stage.store.get(invoiceIdFor(live.bucket, live.name, live.generation))).toMatchObject({ status: 'OCR_DONE' });
    // A look-alike prefix is not the backlog.
    const near = await upload('backlog-other/a.pdf');
    expect(await ocr.post(storageNotificationPush(near, { deliveryAttempt: 1 }))).toBe(204);
    expect(await stage.store.get(invoiceIdFor(near.bucket, near.name, near.generation))).toMatchObject({ status: 'OCR_DONE' });
  });

  it('reads an object under the prefix that already has a FAILED record (a replay of a file the job failed)', async () => {
    const o = await upload('backlog/2024/b.pdf');
    const invoiceId = invoiceIdFor(o.bucket, o.name, o.generation);
    const now = new Date().toISOString();
    await stage.store.createIfAbsent({
      invoiceId, status: 'RECEIVED', revision: 1, source: { bucket: o.bucket, name: o.name, generation: o.generation },
      fileName: 'b.pdf', mimeType: 'application/pdf', sizeBytes: o.size, timings: {}, createdAt: now, updatedAt: now,
    });
    await stage.store.transition(invoiceId, 'FAILED', { rejection: { code: 'DOCAI_13', message: 'batch processing failed' } });
    expect(await ocr.post(storageNotificationPush(o, { deliveryAttempt: 1 }))).toBe(204);
    expect(await stage.store.get(invoiceId)).toMatchObject({ status: 'OCR_DONE' });
  });
});

/**
 * The docai-backlog job's parts: grouping files into batch requests, and reading batch output, with output
 * shards cut from saved real Document AI responses (../shared/data/docai-samples, skipped when absent) on the
 * project's Cloud Storage test server; and finding a request again whose operation name a dead run never saved.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { camelizeKeys, documentAiToOcrDocument } from '../../functions/adapters/gcp/docai-mapping.js';
import { createDocumentAiBatchService, inputResults, readBatchOutput, type DocumentAiBatchClientLike } from '../../functions/adapters/gcp/documentai-batch.js';
import { createRateGovernor } from '../../functions/adapters/gcp/rate-governor.js';
import { createGcsBlobStore } from '../../functions/adapters/gcp/gcs-blob-store.js';
import { closesGroup } from '../../functions/core/batch/docai-backlog.js';
import { parseBatchParams } from '../../functions/core/batch/params.js';
import { RetryableError } from '../../functions/core/errors.js';
import type { BlobStore } from '../../functions/core/ports.js';
import { sha256Hex } from '../../functions/core/pipeline/invoice-id.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import { VERSION } from '../helpers/docai-backlog-world.js';
import { splitIntoShards } from '../helpers/docai-shards.js';
import { createFakeDocumentAiBatch, ONE_PAGE_DOCUMENT } from '../helpers/fake-documentai-batch.js';
import { sharedDataDir } from '../helpers/fake-documentai.js';

const samples = path.join(sharedDataDir(), 'docai-samples');
const SHA = (c: string) => c.repeat(64);

describe('grouping files into batch requests', () => {
  /** The job's grouping over a listing: each file joins the open request unless closesGroup says otherwise. */
  const group = (pages: number[], limits: { files: number; pages: number }) => {
    const groups: number[][] = [];
    for (const [id, p] of pages.entries()) {
      const open = groups.at(-1);
      const state = { files: open?.length ?? 0, pages: (open ?? []).reduce((s, i) => s + pages[i]!, 0) };
      if (!open || closesGroup(state, { pages: p }, limits)) groups.push([id]);
      else open.push(id);
    }
    return groups;
  };
  it('cuts at the file limit and at the page limit, in order, never splitting or dropping a file', () => {
    const pages = [1, 2, 3, 1, 1, 1, 5, 200, 1];
    const groups = group(pages, { files: 3, pages: 6 });
    expect(groups).toEqual([[0, 1, 2], [3, 4, 5], [6], [7], [8]]);
    expect(groups.flat()).toEqual(pages.map((_, i) => i));
    expect(closesGroup({ files: 0, pages: 0 }, { pages: 500 }, { files: 1, pages: 10 })).toBe(false);
    expect(group(Array(12_001).fill(1), { files: 5000, pages: 10_000 }).map((g) => g.length)).toEqual([5000, 5000, 2001]);
    expect(group(Array(9).fill(2), { files: 5000, pages: 6 }).map((g) => g.length)).toEqual([3, 3, 3]);
  });

  it('refuses parameters beyond the documented limits (5,000 files per request, 5 requests in flight)', () => {
    expect(() => parseBatchParams('docai-backlog', { filesPerRequest: 5001 })).toThrow(/filesPerRequest/);
    expect(() => parseBatchParams('docai-backlog', { inFlight: 6 })).toThrow(/inFlight/);
    expect(() => parseBatchParams('docai-backlog', { prefix: '../x' })).toThrow(/prefix/);
    expect(() => parseBatchParams('docai-backlog', { surprise: 1 })).toThrow();
    expect(parseBatchParams('docai-backlog', { prefix: 'backlog/2024/' })).toMatchObject({ filesPerRequest: 1000, inFlight: 3 });
  });
});

describe('per-input results of an operation', () => {
  it('keys each status by its input (the content hash of the staged object) and keeps failed inputs with their error', () => {
    const results = inputResults({
      individualProcessStatuses: [
        { inputGcsSource: `gs://w/docai-backlog/job/g00001/in/${SHA('a')}`, status: {}, outputGcsDestination: 'gs://w/docai-backlog/job/g00001/out/77/0' },
        { inputGcsSource: `gs://w/docai-backlog/job/g00001/in/${SHA('b')}`, status: { code: 13, message: 'internal' } },
        { inputGcsSource: `gs://w/docai-backlog/job/g00001/in/${SHA('c')}`, status: { code: 0 } },
        { inputGcsSource: 'gs://w/elsewhere/not-ours.pdf', status: {} },
      ],
    });
    expect(results).toEqual([
      { sha256: SHA('a'), ok: true, output: 'gs://w/docai-backlog/job/g00001/out/77/0' },
      { sha256: SHA('b'), ok: false, code: 13, message: 'internal' },
      // Success without an output folder: reported, never taken as a document.
      { sha256: SHA('c'), ok: false, code: 13, message: 'no output destination' },
    ]);
    expect(inputResults(undefined)).toEqual([]);
  });
});

describe.skipIf(!existsSync(samples))('reading batch output cut from saved responses (Cloud Storage test server)', () => {
  let server: GcsTestServer;
  let store: BlobStore;
  const saved = (rel: string) => camelizeKeys(JSON.parse(readFileSync(path.join(samples, rel), 'utf8'))) as { text: string; pages: Array<Record<string, unknown>>; entities: unknown[] };
  beforeAll(async () => {
    server = await startGcsTestServer({ buckets: ['work'], defaultPageSize: 2 });
    store = createGcsBlobStore(new Storage({ apiEndpoint: server.url, projectId: 'p' }));
  });
  afterAll(async () => server?.close());

  it('merges the shards of one input (written out of order) into the document the whole response maps to', async () => {
    const whole = saved('pix2info/invoice/a. Energy invoice (stained).json');
    const shards = splitIntoShards(whole, 1);
    expect(shards).toHaveLength(2);
    expect(shards.map((s) => (s['shardInfo'] as { textOffset: string }).textOffset)).toEqual(['0', String((shards[0]!['text'] as string).length)]);
    const folder = 'docai-backlog/job/g00001/out/123/0';
    await store.write({ bucket: 'work', name: `${folder}/energy-1.json` }, JSON.stringify(shards[1]));
    await store.write({ bucket: 'work', name: `${folder}/energy-0.json` }, JSON.stringify(shards[0]));
    // Another input's folder beside it must not leak in (`0` vs `01`).
    await store.write({ bucket: 'work', name: 'docai-backlog/job/g00001/out/123/01/other-0.json' }, JSON.stringify(saved('toolbox/toolbox_invoice_test-0.json')));
    const merged = documentAiToOcrDocument(await readBatchOutput(store, `gs://work/${folder}`));
    const expected = documentAiToOcrDocument(whole);
    expect(merged.text).toBe(expected.text);
    expect(merged.pages).toEqual(expected.pages);
    const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    expect(sorted(merged.entities)).toEqual(sorted(expected.entities));
    expect(merged.entities.find((e) => e.type === 'total_amount')?.mentionText).toBe(expected.entities.find((e) => e.type === 'total_amount')?.mentionText);
  });

  it('reads a real saved batch shard (toolbox_invoice_test-0.json) as one input, and a missing shard or folder as errors', async () => {
    const shard = saved('toolbox/toolbox_invoice_test-0.json');
    await store.write({ bucket: 'work', name: 'docai-backlog/job/g00002/out/9/0/toolbox_invoice_test-0.json' }, JSON.stringify(shard));
    const doc = documentAiToOcrDocument(await readBatchOutput(store, 'gs://work/docai-backlog/job/g00002/out/9/0'));
    expect(doc.entities.find((e) => e.type === 'total_amount')?.mentionText).toContain('2140');

    const energy = splitIntoShards(saved('pix2info/invoice/a. Energy invoice (stained).json'), 1);
    await store.write({ bucket: 'work', name: 'docai-backlog/job/g00003/out/9/0/e-1.json' }, JSON.stringify(energy[1]));
    await expect(readBatchOutput(store, 'gs://work/docai-backlog/job/g00003/out/9/0')).rejects.toThrow(/shards/);
    await expect(readBatchOutput(store, 'gs://work/docai-backlog/job/g00004/out/9/0')).rejects.toBeInstanceOf(RetryableError);
  });
});

describe('finding a batch request whose operation name was lost (Cloud Storage test server, fake batch LRO)', () => {
  let server: GcsTestServer;
  let store: BlobStore;
  beforeAll(async () => {
    server = await startGcsTestServer({ buckets: ['work'], defaultPageSize: 2 });
    store = createGcsBlobStore(new Storage({ apiEndpoint: server.url, projectId: 'p' }));
  });
  afterAll(async () => server?.close());

  const bytes = new TextEncoder().encode('%PDF-1.4 one page');
  const sha = sha256Hex(bytes);
  const file = { name: 'backlog/a.pdf', generation: '1', size: bytes.length, updatedAt: '2026-01-01T00:00:00.000Z', sha256: sha, mimeType: 'application/pdf', pages: 1 };
  const since = new Date().toISOString();
  const at = (exclude: string[] = []) => ({ since, exclude });
  const serviceOver = (client: DocumentAiBatchClientLike) => createDocumentAiBatchService(client, { processorVersion: VERSION, store, bucket: 'work', governor: createRateGovernor({ requestsPerMinute: 60_000, burst: 100 }) });

  it('finds the operation of a group and attempt by its metadata, never an earlier attempt nor another group', async () => {
    const fake = createFakeDocumentAiBatch(store, 'work', () => ({ document: ONE_PAGE_DOCUMENT }), 0, `find-${Date.now()}`);
    const service = serviceOver(fake);
    await service.stage('job-f/g00001', sha, bytes, 'application/pdf');
    await service.stage('job-f/g00002', sha, bytes, 'application/pdf');
    expect(await service.findSubmitted('job-f/g00001', 1, at())).toEqual({ state: 'absent' });
    const first = await service.submit('job-f/g00001', [file], 1);
    expect(await service.findSubmitted('job-f/g00001', 1, at())).toEqual({ state: 'found', operation: first });
    // The group's second request (the first refused as a whole): the first operation is not it.
    expect(await service.findSubmitted('job-f/g00001', 2, at([first]))).toEqual({ state: 'absent' });
    const second = await service.submit('job-f/g00001', [file], 2);
    expect(await service.findSubmitted('job-f/g00001', 2, at([first]))).toEqual({ state: 'found', operation: second });
    expect(await service.findSubmitted('job-f/g00002', 1, at())).toEqual({ state: 'absent' });
  });

  it('answers unknown while an operation created since the intent shows no document, found once it does', async () => {
    const fake = createFakeDocumentAiBatch(store, 'work', () => ({ document: ONE_PAGE_DOCUMENT }), 2, `waiting-${Date.now()}`);
    const service = serviceOver(fake);
    await service.stage('job-w/g00001', sha, bytes, 'application/pdf');
    const operation = await service.submit('job-w/g00001', [file], 1);
    // Running, no document status yet: it may be this request (sending it again could pay twice).
    expect(await service.findSubmitted('job-w/g00001', 1, at())).toEqual({ state: 'unknown' });
    expect(await service.findSubmitted('job-w/g00001', 1, at())).toEqual({ state: 'unknown' });
    expect(await service.findSubmitted('job-w/g00001', 1, at())).toEqual({ state: 'found', operation });
    // Known to be another request (the job's own in flight): not waited for.
    const other = await service.submit('job-w/g00001', [file], 2);
    expect(await service.findSubmitted('job-w/g00002', 1, at([operation, other]))).toEqual({ state: 'absent' });
  });

  it('falls back to the output already written under the attempt folder when the operation is not listed', async () => {
    const fake = createFakeDocumentAiBatch(store, 'work', () => ({ document: ONE_PAGE_DOCUMENT }), 0, `unlisted-${Date.now()}`);
    const unlisted: DocumentAiBatchClientLike = {
      batchProcessDocuments: (r) => fake.batchProcessDocuments(r),
      checkBatchProcessDocumentsProgress: (n) => fake.checkBatchProcessDocumentsProgress(n),
      listOperationsAsync: async function* () {},
    };
    const service = serviceOver(unlisted);
    await service.stage('job-u/g00001', sha, bytes, 'application/pdf');
    const operation = await service.submit('job-u/g00001', [file], 1);
    // Nothing written yet: nothing to go by.
    expect(await service.findSubmitted('job-u/g00001', 1, at())).toEqual({ state: 'absent' });
    await service.poll(operation);
    expect(await service.findSubmitted('job-u/g00001', 1, at())).toEqual({ state: 'found', operation: operation });
    expect(await service.findSubmitted('job-u/g00001', 1, at([operation]))).toEqual({ state: 'absent' });
  });
});

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DocumentProcessorServiceClient } from '@google-cloud/documentai';
import { Storage } from '@google-cloud/storage';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { camelizeKeys, documentAiToOcrDocument } from '../../functions/adapters/gcp/docai-mapping.js';
import {
  createDocumentAiEngine,
  mergeDocumentShards,
  type DocumentAiClientLike,
} from '../../functions/adapters/gcp/documentai-engine.js';
import { createGcsBlobStore } from '../../functions/adapters/gcp/gcs-blob-store.js';
import { createRateGovernor } from '../../functions/adapters/gcp/rate-governor.js';
import type { UsageCounter } from '../../functions/adapters/gcp/usage-counter.js';
import { PermanentError, RetryableError } from '../../functions/core/errors.js';
import type { OcrLimits } from '../../functions/core/ports.js';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';
import type { Firestore } from '@google-cloud/firestore';
import { runOcrStage } from '../../functions/core/pipeline/ocr-stage.js';
import { loadOcrConfig } from '../../functions/platform/gcp/config.js';
import { documentAiEngineOptions } from '../../functions/platform/gcp/runtimes/ocr.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { fakeStageRuntime } from '../functions/fakes.js';

// Compile-time check: the real client satisfies the structural type the engine takes.
export const realClientFits = (c: DocumentProcessorServiceClient): DocumentAiClientLike => c;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = process.env.LEDGERX_SHARED_DATA ?? path.resolve(root, '../shared/data');
const samples = path.join(shared, 'docai-samples');
const VERSION = 'projects/p/locations/eu/processors/abc/processorVersions/pretrained-invoice-v2.0-2023-12-06';
const LIMITS: OcrLimits = { maxPages: 50, maxBytes: 50 * 1024 * 1024, timeoutMs: 60_000, languages: ['eng'] };
const noSleep = async () => {};

async function pdfWithPages(n: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < n; i++) doc.addPage([200, 200]);
  return doc.save();
}

function grpcError(code: number, message: string): Error {
  return Object.assign(new Error(`${code} ${message}`), { code });
}

class FakeClient implements DocumentAiClientLike {
  readonly online: unknown[] = [];
  readonly batches: unknown[] = [];
  constructor(
    private readonly onlineResult: () => Promise<unknown>,
    private readonly batchRun: (request: unknown) => Promise<unknown> = async () => {
      throw new Error('no batch expected');
    },
  ) {}
  async processDocument(request: unknown) {
    this.online.push(request);
    return [{ document: await this.onlineResult() }] as [object];
  }
  async batchProcessDocuments(request: unknown) {
    this.batches.push(request);
    const metadata = await this.batchRun(request);
    return [{ promise: async () => [{}, metadata] as [object, object] }] as [{ promise(): Promise<[object, object]> }];
  }
}

class MemoryUsage implements UsageCounter {
  readonly added: Array<[number, string]> = [];
  async addPages(pages: number, at: Date) {
    this.added.push([pages, at.toISOString().slice(0, 7)]);
  }
  async pagesIn(month: string) {
    return this.added.filter(([, m]) => m === month).reduce((a, [p]) => a + p, 0);
  }
  async months() {
    const months = [...new Set(this.added.map(([, m]) => m))].sort();
    return Promise.all(months.map(async (month) => ({ month, pages: await this.pagesIn(month) })));
  }
}

describe.skipIf(!existsSync(samples))('Document AI engine on saved real responses', () => {
  const toolboxPdf = () => new Uint8Array(readFileSync(path.join(samples, 'toolbox/toolbox_invoice_test.pdf')));
  const toolboxJson = () => JSON.parse(readFileSync(path.join(samples, 'toolbox/toolbox_invoice_test-0.json'), 'utf8')) as unknown;
  const energyJson = () =>
    JSON.parse(readFileSync(path.join(samples, 'pix2info/invoice/a. Energy invoice (stained).json'), 'utf8')) as unknown;

  it('sends a small PDF online to the pinned version and maps the real response', async () => {
    const client = new FakeClient(async () => toolboxJson());
    const usage = new MemoryUsage();
    const engine = createDocumentAiEngine(client, { processorVersion: VERSION, usage, clock: { now: () => new Date('2025-03-09T10:00:00Z') } });
    const doc = await engine.recognize({ bytes: toolboxPdf(), fileName: 'toolbox.pdf', declaredContentType: 'image/png' }, LIMITS);
    expect(client.online).toHaveLength(1);
    expect(client.online[0]).toMatchObject({ name: VERSION, rawDocument: { mimeType: 'application/pdf' }, skipHumanReview: true });
    expect(doc.pages).toHaveLength(1);
    const total = doc.entities.find((e) => e.type === 'total_amount');
    expect(total?.mentionText).toContain('2140');
    expect(doc.pages[0]?.textSource).toBe('docai');
    expect(usage.added).toEqual([[1, '2025-03']]);
  });

  it('merges batch output shards in order into the same document as one response', () => {
    const whole = camelizeKeys(energyJson()) as { text: string; pages: Array<Record<string, unknown>>; entities: unknown[] };
    const shards = splitIntoShards(whole);
    // Stored shard files come back from a listing in name order: give them out of order on purpose.
    const merged = mergeDocumentShards([
      { name: 'out/1/doc-1.json', json: shards[1] },
      { name: 'out/1/doc-0.json', json: shards[0] },
    ]);
    const expected = documentAiToOcrDocument(whole);
    const actual = documentAiToOcrDocument(merged);
    expect(actual.text).toBe(expected.text);
    expect(actual.pages).toEqual(expected.pages);
    // Shards hold the entities of their pages: same set, grouped by shard.
    const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    expect(actual.entities).toHaveLength(expected.entities.length);
    expect(sorted(actual.entities)).toEqual(sorted(expected.entities));
    expect(() => mergeDocumentShards([{ name: 'a-1.json', json: shards[1] }])).toThrow(/shards/);
  });

  describe('batch routing through Cloud Storage', () => {
    let server: GcsTestServer;
    beforeAll(async () => {
      server = await startGcsTestServer({ buckets: ['work'] });
    });
    afterAll(async () => server?.close());

    it('routes a 16-page PDF to batch processing, reads the shards it wrote and cleans up', async () => {
      const store = createGcsBlobStore(new Storage({ apiEndpoint: server.url, projectId: 'p' }));
      const whole = camelizeKeys(energyJson()) as Parameters<typeof splitIntoShards>[0];
      const client = new FakeClient(
        async () => {
          throw new Error('no online call expected');
        },
        async (request) => {
          const r = request as {
            inputDocuments: { gcsDocuments: { documents: Array<{ gcsUri: string }> } };
            documentOutputConfig: { gcsOutputConfig: { gcsUri: string } };
          };
          const input = r.inputDocuments.gcsDocuments.documents[0]!.gcsUri.replace('gs://work/', '');
          expect(server.object('work', input)?.contentType).toBe('application/pdf');
          const out = r.documentOutputConfig.gcsOutputConfig.gcsUri;
          const folder = `${out.replace('gs://work/', '')}op-1/0/`;
          const shards = splitIntoShards(whole);
          for (const [i, shard] of shards.entries()) {
            await store.write({ bucket: 'work', name: `${folder}doc-${i}.json` }, JSON.stringify(shard), { contentType: 'application/json' });
          }
          return { individualProcessStatuses: [{ status: { code: 0 }, outputGcsDestination: `gs://work/${folder}` }] };
        },
      );
      const usage = new MemoryUsage();
      const engine = createDocumentAiEngine(client, { processorVersion: VERSION, batch: { store, bucket: 'work' }, usage });
      const doc = await engine.recognize({ bytes: await pdfWithPages(16), fileName: 'big scan.pdf' }, LIMITS);
      expect(client.online).toHaveLength(0);
      expect(client.batches).toHaveLength(1);
      expect(client.batches[0]).toMatchObject({ name: VERSION, skipHumanReview: true });
      expect(doc.text).toBe(documentAiToOcrDocument(whole).text);
      expect(usage.added[0]?.[0]).toBe(2);
      expect(await store.list('work', '')).toEqual([]);
    });

    it("takes a 16-page upload through the ocr function's own settings to batch processing, and to OCR_DONE", async () => {
      server.createBucket('inbox');
      const store = createGcsBlobStore(new Storage({ apiEndpoint: server.url, projectId: 'p' }));
      const whole = camelizeKeys(energyJson()) as Parameters<typeof splitIntoShards>[0];
      const client = new FakeClient(
        async () => {
          throw new Error('no online call expected');
        },
        async (request) => {
          const out = (request as { documentOutputConfig: { gcsOutputConfig: { gcsUri: string } } }).documentOutputConfig.gcsOutputConfig.gcsUri;
          const folder = `${out.replace('gs://work/', '')}op-2/0/`;
          for (const [i, shard] of splitIntoShards(whole).entries()) {
            await store.write({ bucket: 'work', name: `${folder}doc-${i}.json` }, JSON.stringify(shard), { contentType: 'application/json' });
          }
          return { individualProcessStatuses: [{ status: { code: 0 }, outputGcsDestination: `gs://work/${folder}` }] };
        },
      );
      // The environment Terraform sets on ocr with documentai_batch_enabled = true.
      const config = loadOcrConfig({
        GOOGLE_CLOUD_PROJECT: 'p', LEDGERX_INBOX_BUCKET: 'inbox', LEDGERX_ARTIFACTS_BUCKET: 'work', LEDGERX_TOPIC_OCR_COMPLETED: 'ocr-completed',
        LEDGERX_TOPIC_FEATURES: 'features-computed', LEDGERX_TOPIC_INVOICE_SCORED: 'invoice-scored', LEDGERX_TOPIC_DEAD_LETTER: 'dead-letter',
        LEDGERX_MAX_DELIVERY_ATTEMPTS: '10', LEDGERX_DOCAI_LOCATION: 'eu', LEDGERX_DOCAI_PROCESSOR_VERSION: VERSION,
        LEDGERX_DOCAI_REQUESTS_PER_MINUTE: '60', LEDGERX_DOCAI_BATCH_ENABLED: 'true', LEDGERX_UPLOAD_MAX_BYTES: '41943040',
      });
      const usage = new MemoryUsage();
      const options = await documentAiEngineOptions(config, { blobs: store, db: { collection: () => ({}) } as unknown as Firestore, log: silentLogger });
      const stage = await fakeStageRuntime({ ocr: false, pipeline: config.pipeline });
      try {
        stage.deps.blobs = store;
        stage.deps.ocr = createDocumentAiEngine(client, { ...options, usage });
        const bytes = await pdfWithPages(16);
        const name = 'inbox/2025/06/30/long.pdf';
        const stat = await store.write({ bucket: 'inbox', name }, bytes, { contentType: 'application/pdf' });
        const outcome = await runOcrStage(stage.deps, { bucket: 'inbox', name, generation: stat.generation, size: bytes.length }, { log: silentLogger });
        expect(outcome.outcome).toBe('done');
        expect(client.batches).toHaveLength(1);
        expect(client.online).toHaveLength(0);
        const record = await stage.store.get((outcome as { invoiceId: string }).invoiceId);
        expect(record).toMatchObject({ status: 'OCR_DONE', pageCount: 2 });
        expect(usage.added.map(([pages]) => pages)).toEqual([2]);
      } finally {
        await stage.dispose();
      }
    });

    it('rejects a 16-page PDF when batch processing is not configured, and one beyond limits.maxPages', async () => {
      const client = new FakeClient(async () => ({}));
      const engine = createDocumentAiEngine(client, { processorVersion: VERSION });
      await expect(engine.recognize({ bytes: await pdfWithPages(16), fileName: 'a.pdf' }, LIMITS)).rejects.toMatchObject({
        code: 'TOO_MANY_PAGES',
      });
      await expect(
        engine.recognize({ bytes: await pdfWithPages(3), fileName: 'a.pdf' }, { ...LIMITS, maxPages: 2 }),
      ).rejects.toMatchObject({ code: 'TOO_MANY_PAGES' });
      expect(client.online).toHaveLength(0);
    });

    it('uses imageless mode up to 30 pages online', async () => {
      const client = new FakeClient(async () => toolboxJson());
      const engine = createDocumentAiEngine(client, { processorVersion: VERSION, imageless: true });
      await engine.recognize({ bytes: await pdfWithPages(30), fileName: 'a.pdf' }, LIMITS);
      expect(client.online[0]).toMatchObject({ imagelessMode: true });
    });
  });
});

/** Splits a camelCase Document after its first page the way batch output shards it (shard-relative anchors). */
function splitIntoShards(doc: { text: string; pages: Array<Record<string, unknown>>; entities: unknown[] }) {
  const secondPage = doc.pages[1] as { layout: { textAnchor: { textSegments: Array<{ startIndex: string | number }> } } };
  const cut = Number(secondPage.layout.textAnchor.textSegments[0]!.startIndex);
  const shift = (v: unknown, by: number): unknown => {
    if (Array.isArray(v)) return v.map((x) => shift(x, by));
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) =>
        k === 'textSegments'
          ? [k, (x as Array<Record<string, unknown>>).map((s) => ({ ...s, startIndex: String(Number(s['startIndex'] ?? 0) - by), endIndex: String(Number(s['endIndex'] ?? 0) - by) }))]
          : [k, shift(x, by)],
      ),
    );
  };
  const startOf = (e: unknown) => Number((e as { textAnchor?: { textSegments?: Array<{ startIndex?: unknown }> } }).textAnchor?.textSegments?.[0]?.startIndex ?? 0);
  const first = doc.entities.filter((e) => startOf(e) < cut);
  const second = doc.entities.filter((e) => startOf(e) >= cut);
  return [
    { ...doc, text: doc.text.slice(0, cut), pages: doc.pages.slice(0, 1), entities: first, shardInfo: { shardIndex: '0', shardCount: '2', textOffset: '0' } },
    {
      text: doc.text.slice(cut),
      pages: shift(doc.pages.slice(1), cut),
      entities: shift(second, cut),
      shardInfo: { shardIndex: '1', shardCount: '2', textOffset: String(cut) },
    },
  ];
}

describe('Document AI engine errors, retries and input checks', () => {
  const tinyPdf = () => pdfWithPages(1);
  const okDoc = { text: 'x', pages: [{ pageNumber: 1, dimension: { width: 100, height: 100, unit: 'pixels' } }] };

  it('retries RESOURCE_EXHAUSTED / UNAVAILABLE / 429 with exponential backoff, then succeeds', async () => {
    const failures = [grpcError(8, 'Quota exceeded'), grpcError(14, 'unavailable'), grpcError(429, 'Too Many Requests')];
    const client = new FakeClient(async () => {
      const next = failures.shift();
      if (next) throw next;
      return okDoc;
    });
    const sleeps: number[] = [];
    const engine = createDocumentAiEngine(client, {
      processorVersion: VERSION,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 1,
      retry: { baseDelayMs: 100, maxDelayMs: 300 },
    });
    const doc = await engine.recognize({ bytes: await tinyPdf(), fileName: 'a.pdf' }, LIMITS);
    expect(doc.pages).toHaveLength(1);
    expect(client.online).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 300]);
  });

  it('gives up after maxAttempts with a RetryableError', async () => {
    const client = new FakeClient(async () => {
      throw grpcError(4, 'deadline');
    });
    const engine = createDocumentAiEngine(client, { processorVersion: VERSION, sleep: noSleep, retry: { maxAttempts: 3 } });
    const attempt = engine.recognize({ bytes: await tinyPdf(), fileName: 'a.pdf' }, LIMITS);
    await expect(attempt).rejects.toBeInstanceOf(RetryableError);
    await expect(attempt).rejects.toMatchObject({ code: 'DOCAI_4' });
    expect(client.online).toHaveLength(3);
  });

  it('turns INVALID_ARGUMENT into a PermanentError with a reject reason, without retrying', async () => {
    const client = new FakeClient(async () => {
      throw grpcError(3, 'Unable to process the document: the file is password protected');
    });
    const engine = createDocumentAiEngine(client, { processorVersion: VERSION, sleep: noSleep });
    const attempt = engine.recognize({ bytes: await tinyPdf(), fileName: 'a.pdf' }, LIMITS);
    await expect(attempt).rejects.toBeInstanceOf(PermanentError);
    await expect(attempt).rejects.toMatchObject({ code: 'PDF_PASSWORD_PROTECTED' });
    expect(client.online).toHaveLength(1);
  });

  it('does not retry an oversized response; without batch it is a RetryableError', async () => {
    const client = new FakeClient(async () => {
      throw grpcError(8, 'Received message larger than max (9000000 vs. 4194304)');
    });
    const engine = createDocumentAiEngine(client, { processorVersion: VERSION, sleep: noSleep });
    await expect(engine.recognize({ bytes: await tinyPdf(), fileName: 'a.pdf' }, LIMITS)).rejects.toMatchObject({
      code: 'DOCAI_RESPONSE_TOO_LARGE',
    });
    expect(client.online).toHaveLength(1);
  });

  it.each([
    ['an empty file', new Uint8Array(0), 'FILE_EMPTY'],
    ['a text file', new TextEncoder().encode('hello, not an invoice'), 'UNSUPPORTED_TYPE'],
    ['a broken PDF', new TextEncoder().encode('%PDF-1.7\n garbage'), 'PDF_CORRUPT'],
  ])('rejects %s before any call', async (_label, bytes, code) => {
    const client = new FakeClient(async () => okDoc);
    const engine = createDocumentAiEngine(client, { processorVersion: VERSION });
    await expect(engine.recognize({ bytes, fileName: 'x' }, LIMITS)).rejects.toMatchObject({ code });
    expect(client.online).toHaveLength(0);
  });

  it('refuses an unpinned processor name at creation', () => {
    expect(() => createDocumentAiEngine(new FakeClient(async () => okDoc), { processorVersion: 'projects/p/locations/eu/processors/abc' })).toThrow();
  });

  it('passes every request, retries included, through the shared governor', async () => {
    let acquired = 0;
    const governor = { acquire: async () => void (acquired += 1) };
    let calls = 0;
    const client = new FakeClient(async () => {
      calls += 1;
      if (calls === 1) throw grpcError(14, 'unavailable');
      return okDoc;
    });
    const engine = createDocumentAiEngine(client, { processorVersion: VERSION, governor, sleep: noSleep });
    await engine.recognize({ bytes: await tinyPdf(), fileName: 'a.pdf' }, LIMITS);
    await engine.recognize({ bytes: await tinyPdf(), fileName: 'b.pdf' }, LIMITS);
    expect(acquired).toBe(3);
  });
});

describe('rate governor', () => {
  it('lets a burst through, then paces callers first come first served without dropping any', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const governor = createRateGovernor({
      requestsPerMinute: 60, // one per second
      burst: 2,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => governor.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(sleeps).toEqual([1000, 1000, 1000]);
    expect(now).toBe(3000);
    // After an idle minute the bucket is full again, but never above the burst.
    now += 60_000;
    sleeps.length = 0;
    await Promise.all([governor.acquire(), governor.acquire(), governor.acquire()]);
    expect(sleeps).toEqual([1000]);
  });

  it('defaults to 600 requests per minute', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const governor = createRateGovernor({
      burst: 1,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    await governor.acquire();
    await governor.acquire();
    expect(sleeps).toEqual([100]);
  });

  it('refuses a non-positive rate', () => {
    expect(() => createRateGovernor({ requestsPerMinute: 0 })).toThrow(RangeError);
  });
});

/**
 * The Document AI engine through the real `DocumentProcessorServiceClient` (gax, gRPC, its decoding) against the
 * fake Document AI gRPC server of test/helpers: what the client returns is not the REST JSON of the saved
 * responses (proto-loader fills unset messages with null and unset strings with '', bytes arrive as Buffers),
 * and the engine must map it to the same document.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentAiToOcrDocument } from '../../functions/adapters/gcp/docai-mapping.js';
import { createDocumentAiClient } from '../../functions/adapters/gcp/documentai-client.js';
import { createDocumentAiEngine } from '../../functions/adapters/gcp/documentai-engine.js';
import { createRateGovernor } from '../../functions/adapters/gcp/rate-governor.js';
import { createLocalOcrEngine } from '../../functions/adapters/local/ocr/index.js';
import type { OcrLimits } from '../../functions/core/ports.js';
import { generateCorpus } from '../../functions/generator/index.js';
import {
  documentFromOcr, savedDocument, sha256Of, sharedDataDir, startFakeDocumentAi, type FakeDocumentAi,
} from '../helpers/fake-documentai.js';
import { tempDir } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY } from '../helpers/corpus.js';

/**
 * Protobuf floats are float32 on the wire: numbers must agree within float32 precision (boxes are differences
 * of two coordinates), everything else exactly. Returns the paths that differ.
 */
function differences(actual: unknown, expected: unknown, where = '$'): string[] {
  if (typeof actual === 'number' && typeof expected === 'number') {
    return Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)) ? [] : [`${where}: ${actual} != ${expected}`];
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return [`${where}: length ${actual.length} != ${expected.length}`];
    return actual.flatMap((a, i) => differences(a, expected[i], `${where}[${i}]`));
  }
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
    return [...keys].filter((k) => k !== 'elapsedMs').flatMap((k) => differences((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${where}.${k}`));
  }
  return Object.is(actual, expected) ? [] : [`${where}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`];
}

const VERSION = 'projects/p/locations/eu/processors/abc/processorVersions/pretrained-invoice-v2.0-2023-12-06';
const LIMITS: OcrLimits = { maxPages: 15, maxBytes: 40 * 1024 * 1024, timeoutMs: 30_000, languages: ['eng'] };

describe('Document AI engine through the real client and the fake Document AI server', () => {
  let fake: FakeDocumentAi;
  let work: { dir: string; dispose: () => Promise<void> };
  let pdf: Uint8Array;
  beforeAll(async () => {
    fake = await startFakeDocumentAi();
    work = await tempDir('docai-client');
    const manifest = await generateCorpus({ outDir: work.dir, count: 1, seed: 21, mix: BORN_DIGITAL_ONLY, problemRates: { badFile: 0 } });
    pdf = new Uint8Array(await readFile(path.join(work.dir, manifest.documents[0]!.file)));
  });
  afterAll(async () => {
    await fake?.close();
    await work?.dispose();
  });

  const engine = () =>
    createDocumentAiEngine(createDocumentAiClient('eu', fake.endpoint), { processorVersion: VERSION, governor: createRateGovernor({ burst: 100 }) });

  it('maps a built response (with a page image) to the same document as its JSON', async () => {
    const local = await createLocalOcrEngine({ ocr: false }).recognize({ bytes: pdf, fileName: 'a.pdf' }, LIMITS);
    const document = documentFromOcr(local);
    (document.pages as Array<Record<string, unknown>>)[0]!.image = { content: Buffer.alloc(200_000, 7).toString('base64'), mimeType: 'image/png', width: 1700, height: 2200 };
    fake.answer(sha256Of(pdf), { document });
    const doc = await engine().recognize({ bytes: pdf, fileName: 'a.pdf' }, LIMITS);
    const expected = documentAiToOcrDocument(document, { processorVersion: VERSION });
    expect(differences(doc, expected)).toEqual([]);
    expect(doc.pages[0]!.lines.map((l) => l.text)).toEqual(local.pages[0]!.lines.map((l) => l.text));
    expect(fake.calls.at(-1)).toMatchObject({ name: VERSION, mimeType: 'application/pdf', sha256: sha256Of(pdf) });
  });

  const saved = savedDocument('toolbox/toolbox_invoice_test-0.json');
  it.skipIf(!saved)('maps a saved real response (../shared/data/docai-samples) as the REST JSON maps', async () => {
    const bytes = new Uint8Array(await readFile(path.join(sharedDataDir(), 'docai-samples/toolbox/toolbox_invoice_test.pdf')));
    fake.answer(sha256Of(bytes), { document: saved! });
    const doc = await engine().recognize({ bytes, fileName: 'toolbox.pdf' }, LIMITS);
    const expected = documentAiToOcrDocument(saved, { processorVersion: VERSION });
    expect(differences(doc, expected)).toEqual([]);
    expect(doc.entities.find((e) => e.type === 'total_amount')?.normalizedValue?.money?.amount).toBe(2140);
  });

  it('passes a gRPC error of the service on as the engine classifies it', async () => {
    fake.answer(sha256Of(pdf), { error: { code: 3, message: 'Unsupported input file format.' } });
    await expect(engine().recognize({ bytes: pdf, fileName: 'x.pdf' }, LIMITS)).rejects.toMatchObject({ name: 'PermanentError', code: 'UNSUPPORTED_TYPE' });
  });
});

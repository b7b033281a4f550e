/**
 * The e-invoice path of the OCR stage does not depend on the OCR engine: XML attachments of a PDF are read by
 * the stage (pdf-lib) when the engine does not return them (Document AI never does), and a standalone XML file
 * never reaches the engine. Checked on generated Factur-X PDFs, the fixtures, and the real ZUGFeRD / Factur-X
 * files of ../shared/data/zugferd-dev (skipped when absent) against the local engine's own reader (pdfjs).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../functions/core/errors.js';
import { OCR_DOCUMENT_SCHEMA_VERSION, type OcrDocument } from '../../functions/core/ocr-document.js';
import type { OcrEngine, OcrLimits } from '../../functions/core/ports.js';
import { recognizeUpload } from '../../functions/core/pipeline/einvoice-files.js';
import { pdfXmlAttachments } from '../../functions/core/pipeline/pdf-attachments.js';
import { runFeaturesStage } from '../../functions/core/pipeline/features-stage.js';
import { runOcrStage } from '../../functions/core/pipeline/ocr-stage.js';
import { Topics } from '../../functions/core/messages.js';
import { openPdf, readXmlAttachments } from '../../functions/adapters/local/ocr/pdf.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { BUCKETS, fakeStageRuntime, type FakeStage } from '../functions/fakes.js';
import { tempDir } from '../helpers/runtime.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from '../helpers/corpus.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(REPO, 'test/fixtures/einvoice');
const ZUGFERD = path.join(process.env.LEDGERX_SHARED_DATA ?? path.resolve(REPO, '../shared/data'), 'zugferd-dev');
const LIMITS: OcrLimits = { maxPages: 15, maxBytes: 1024 * 1024, timeoutMs: 60_000, languages: ['eng'] };

/** An engine shaped like the Document AI adapter: pages and entities, never a PDF's attachments. */
function engineWithoutAttachments(): OcrEngine & { calls: number } {
  const engine = {
    name: 'docai-like',
    calls: 0,
    async recognize(): Promise<OcrDocument> {
      engine.calls++;
      return {
        schemaVersion: OCR_DOCUMENT_SCHEMA_VERSION,
        mimeType: 'application/pdf',
        text: 'INVOICE No. WRONG-1\nTotal 1.00',
        pages: [{ pageNumber: 1, width: 612, height: 792, textSource: 'docai', lines: [], quality: null, languages: [] }],
        entities: [{ type: 'invoice_id', mentionText: 'WRONG-1', confidence: 0.99, properties: [] }],
        embeddedFiles: [],
        engine: { name: 'docai', version: 'test' },
        elapsedMs: 1,
      };
    },
  };
  return engine;
}

function pdfsUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? pdfsUnder(full) : entry.endsWith('.pdf') ? [full] : [];
  });
}

describe('e-invoice files read by the OCR stage', () => {
  let facturX: Uint8Array;
  let plainPdf: Uint8Array;
  let work: { dir: string; dispose: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir('einvoice-files');
    const fx = await generateCorpus({ outDir: path.join(work.dir, 'fx'), count: 1, seed: 5, mix: { bornDigital: 0, scan: 0, einvoicePdf: 1, einvoiceXml: 0 }, problemRates: NO_PROBLEMS });
    facturX = new Uint8Array(await readFile(path.join(work.dir, 'fx', fx.documents[0]!.file)));
    const plain = await generateCorpus({ outDir: path.join(work.dir, 'plain'), count: 1, seed: 6, mix: BORN_DIGITAL_ONLY, problemRates: NO_PROBLEMS });
    plainPdf = new Uint8Array(await readFile(path.join(work.dir, 'plain', plain.documents[0]!.file)));
  });
  afterAll(async () => work?.dispose());

  it('finds the factur-x.xml of a generated Factur-X PDF, and nothing in a plain PDF or in garbage', async () => {
    const files = await pdfXmlAttachments(facturX);
    expect(files.map((f) => f.name)).toEqual(['factur-x.xml']);
    expect(files[0]!.content).toMatch(/^<\?xml[\s\S]*CrossIndustryInvoice/);
    expect(await pdfXmlAttachments(plainPdf)).toEqual([]);
    expect(await pdfXmlAttachments(new TextEncoder().encode('%PDF-1.7 not really'))).toEqual([]);
  });

  it('adds the attachments to what an engine without them read, and sends standalone XML past the engine', async () => {
    const engine = engineWithoutAttachments();
    const pdf = JSON.parse((await recognizeUpload(engine, { bytes: facturX, fileName: 'fx.pdf' }, LIMITS)).json) as OcrDocument;
    expect(engine.calls).toBe(1);
    expect(pdf.embeddedFiles.map((f) => f.name)).toEqual(['factur-x.xml']);
    expect(pdf.entities[0]?.mentionText).toBe('WRONG-1');

    for (const name of ['ubl-invoice.xml', 'cii-d16b-invoice.xml']) {
      const bytes = new Uint8Array(readFileSync(path.join(FIXTURES, name)));
      const serialized = await recognizeUpload(engine, { bytes, fileName: `inbox/${name}` }, LIMITS);
      const doc = JSON.parse(serialized.json) as OcrDocument;
      expect(doc).toMatchObject({ mimeType: 'application/xml', pages: [], engine: { name: 'einvoice-xml' } });
      expect(doc.embeddedFiles).toEqual([{ name: `inbox/${name}`, mimeType: 'application/xml', content: readFileSync(path.join(FIXTURES, name), 'utf8').replace(/^\uFEFF/, '') }]);
      expect(serialized.pageCount).toBe(0);
    }
    expect(engine.calls).toBe(1);
    const xml = new Uint8Array(readFileSync(path.join(FIXTURES, 'ubl-invoice.xml')));
    await expect(recognizeUpload(engine, { bytes: xml, fileName: 'big.xml' }, { ...LIMITS, maxBytes: 100 })).rejects.toThrow(PermanentError);
  });

  it('leaves an engine that reads attachments itself alone (no second parse)', async () => {
    const engine = { ...engineWithoutAttachments(), readsAttachments: true };
    const doc = JSON.parse((await recognizeUpload(engine, { bytes: facturX, fileName: 'fx.pdf' }, LIMITS)).json) as OcrDocument;
    expect(doc.embeddedFiles).toEqual([]);
  });

  it('takes a Factur-X PDF read by an engine without attachments to an invoice from its XML', async () => {
    const stage: FakeStage = await fakeStageRuntime({ ocr: false });
    try {
      stage.deps.ocr = engineWithoutAttachments();
      const name = 'inbox/2025/06/30/fx.pdf';
      const stat = await stage.blobs.write({ bucket: BUCKETS.inbox, name }, facturX, { contentType: 'application/pdf' });
      await runOcrStage(stage.deps, { bucket: BUCKETS.inbox, name, generation: stat.generation, size: facturX.length }, { log: silentLogger });
      const [done] = stage.bus.of(Topics.ocrCompleted);
      await runFeaturesStage(stage.deps, done!, { log: silentLogger });
      const record = await stage.store.get(done!.invoiceId);
      expect(record?.status).toBe('FEATURES_DONE');
      expect(record?.invoice?.extraction.method).toBe('einvoice');
      expect(record?.invoice?.fields.invoice_id?.value).not.toBe('WRONG-1');
    } finally {
      await stage.dispose();
    }
  });

  describe.skipIf(!existsSync(ZUGFERD))('real ZUGFeRD / Factur-X files (../shared/data/zugferd-dev)', () => {
    it('reads the same XML attachments as the local engine (pdfjs)', async () => {
      const files = pdfsUnder(ZUGFERD);
      expect(files.length).toBeGreaterThan(40);
      let withXml = 0;
      for (const file of files) {
        const bytes = new Uint8Array(readFileSync(file));
        const ours = await pdfXmlAttachments(bytes);
        const opened = await openPdf(bytes);
        const pdfjs = await readXmlAttachments(opened.doc, 5 * 1024 * 1024).finally(() => opened.close());
        expect(ours.map((f) => f.content).sort(), path.relative(ZUGFERD, file)).toEqual(pdfjs.map((f) => f.content).sort());
        if (ours.length > 0) withXml++;
      }
      expect(withXml).toBeGreaterThanOrEqual(45);
    });
  });
});

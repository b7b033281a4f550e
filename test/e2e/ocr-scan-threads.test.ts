/**
 * The OCR pool reads scans on every core, whatever their file type: a scanner's PDF raises the number of
 * documents read at once as an image does, and a born-digital PDF lowers it back (the main thread keeps its core).
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPooledOcrEngine, type PooledOcrEngine } from '../../functions/adapters/local/ocr/pooled-engine.js';
import { generateCorpus } from '../../functions/generator/corpus.js';
import type { OcrLimits } from '../../functions/core/ports.js';
import { tempDir } from '../helpers/runtime.js';
import { NO_PROBLEMS } from '../helpers/corpus.js';

const LIMITS: OcrLimits = { maxPages: 2, maxBytes: 20 * 1024 * 1024, timeoutMs: 120_000, languages: ['eng'] };

describe('OCR threads follow the documents', () => {
  let engine: PooledOcrEngine;
  const files: Record<'bornDigital' | 'scan', Uint8Array> = {} as never;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const dir = await tempDir('ocr-scan-threads');
    dispose = dir.dispose;
    for (const kind of ['bornDigital', 'scan'] as const) {
      const out = join(dir.dir, kind);
      await generateCorpus({
        outDir: out, count: 1, seed: 5, scanFormats: ['pdf'],
        mix: { bornDigital: kind === 'bornDigital' ? 1 : 0, scan: kind === 'scan' ? 1 : 0, einvoicePdf: 0, einvoiceXml: 0 },
        problemRates: NO_PROBLEMS,
      });
      const pdf = (await readdir(out)).find((n) => n.endsWith('.pdf'))!;
      files[kind] = new Uint8Array(await readFile(join(out, pdf)));
    }
    engine = createPooledOcrEngine({ threads: 1, scanThreads: 2 });
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
    await dispose?.();
  });

  it('reads on every thread after a scanned PDF, and on one again after a born-digital one', async () => {
    const read = (kind: keyof typeof files) => engine.recognize({ bytes: files[kind], fileName: `${kind}.pdf` }, LIMITS);
    expect(engine.concurrency).toBe(1);
    expect((await read('bornDigital')).pages.every((p) => p.textSource === 'text-layer')).toBe(true);
    expect(engine.concurrency).toBe(1);
    expect((await read('scan')).pages.some((p) => p.textSource === 'ocr')).toBe(true);
    expect(engine.concurrency).toBe(2);
    // Two scans at once, one per thread, each read whole.
    const both = await Promise.all([read('scan'), read('scan')]);
    expect(both.map((d) => d.text)).toEqual([both[0]!.text, both[0]!.text]);
    await read('bornDigital');
    expect(engine.concurrency).toBe(1);
  }, 180_000);

  it('keeps one thread when its networks use several cores (a single scan: no second thread loading them again)', async () => {
    const wide = createPooledOcrEngine({ threads: 1, scanThreads: 2, engine: { scanEngine: 'ppocr', ppocrThreads: 2 } });
    try {
      expect((await wide.recognize({ bytes: files.scan, fileName: 'scan.pdf' }, LIMITS)).pages.some((p) => p.textSource === 'ocr')).toBe(true);
      expect(wide.concurrency).toBe(1);
    } finally {
      await wide.close();
    }
  }, 120_000);
});

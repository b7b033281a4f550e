import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalOcrEngine } from '../../functions/adapters/local/ocr/index.js';
import type { OcrDocument } from '../../functions/core/ocr-document.js';
import { generateCorpus } from '../../functions/generator/index.js';
import { BORN_DIGITAL_ONLY, NO_PROBLEMS } from './corpus.js';

/** OCR documents of `count` generated born-digital invoices, read by the local engine (text layer, no tesseract). */
export async function generatedOcrDocuments(dir: string, count: number, seed: number): Promise<OcrDocument[]> {
  await generateCorpus({
    outDir: dir, count, seed,
    mix: BORN_DIGITAL_ONLY,
    problemRates: NO_PROBLEMS,
  });
  const engine = createLocalOcrEngine();
  try {
    const docs: OcrDocument[] = [];
    for (const name of (await readdir(dir)).filter((f) => f.endsWith('.pdf')).sort()) {
      const bytes = new Uint8Array(await readFile(join(dir, name)));
      docs.push(await engine.recognize({ bytes, fileName: name }, { maxPages: 5, maxBytes: 20 << 20, timeoutMs: 60_000, languages: ['eng'] }));
    }
    return docs;
  } finally {
    await engine.close();
  }
}

/** A readable document that is no invoice (the plausibility check rejects it). */
export function meetingNotes(): OcrDocument {
  const text = 'Meeting notes\nAgenda: roadmap, hiring';
  return {
    schemaVersion: 1, mimeType: 'application/pdf', text, entities: [], embeddedFiles: [], engine: { name: 'test', version: '1' }, elapsedMs: 0,
    pages: [{
      pageNumber: 1, width: 600, height: 800, textSource: 'text-layer', quality: null, languages: ['eng'],
      lines: text.split('\n').map((line, i) => ({
        text: line, confidence: 1, box: { x: 0.1, y: 0.1 + i * 0.05, w: 0.5, h: 0.02 },
        tokens: line.split(' ').map((t, j) => ({ text: t, confidence: 1, box: { x: 0.1 + j * 0.1, y: 0.1 + i * 0.05, w: 0.08, h: 0.02 } })),
      })),
    }],
  };
}

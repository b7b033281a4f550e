import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseOcrDocument, type OcrDocument } from '../../functions/core/ocr-document.js';

/**
 * OCR documents of corpus files kept on disk between evaluation runs (tesseract takes ~10 s a receipt), keyed
 * by the file's content hash and the engine's identity (library versions, languages, a hash of the adapter's
 * source: `ocrEngineId` in evaluate.ts): a new engine, version or configuration misses the cache instead of
 * serving stale text. The folder lives under `reports/`
 * (git-ignored); delete it to force fresh OCR.
 */
export class OcrCache {
  constructor(private readonly dir: string, private readonly engineId: string) {}

  keyOf(bytes: Uint8Array): string {
    const content = createHash('sha256').update(bytes).digest('hex');
    const engine = createHash('sha256').update(this.engineId).digest('hex').slice(0, 16);
    return `${content}-${engine}`;
  }

  get(bytes: Uint8Array): OcrDocument | undefined {
    const file = path.join(this.dir, `${this.keyOf(bytes)}.json`);
    if (!existsSync(file)) return undefined;
    try {
      return parseOcrDocument(readFileSync(file, 'utf8'));
    } catch {
      return undefined; // a torn or outdated entry is read again
    }
  }

  put(bytes: Uint8Array, doc: OcrDocument): void {
    mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${this.keyOf(bytes)}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(doc));
    renameSync(`${file}.tmp`, file);
  }
}

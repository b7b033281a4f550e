import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_OCR_ENGINE_VERSION } from '../../functions/adapters/local/ocr/index.js';
import { buildDataset, type CorpusSpec } from '../../functions/training/dataset.js';
import { localOcrEngineIdentity } from '../../functions/training/ocr-identity.js';
import { silentLogger } from '../../functions/platform/logger.js';
import { BORN_DIGITAL_ONLY } from '../helpers/corpus.js';

/**
 * The training-set cache: corpora through the real pipeline are kept by generator recipe, feature schema and
 * OCR engine identity, so a rebuild reads them back and a new OCR engine reads the documents again.
 */
const work = mkdtempSync(path.join(tmpdir(), 'ledgerx-dataset-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const specs: CorpusSpec[] = [{ seed: 11, count: 12, suppliers: 4, mix: BORN_DIGITAL_ONLY }];
const cacheDir = path.join(work, 'cache');

async function build(ocrEngine?: string) {
  const phases = new Set<string>();
  const dataset = await buildDataset({ specs, cacheDir, logger: silentLogger, progress: (_d, _t, phase) => phases.add(phase), ...(ocrEngine ? { ocrEngine } : {}) });
  return { dataset, phases: [...phases] };
}

describe('training-set cache', () => {
  it('a rebuild with the same recipe and OCR engine reads the cache; another engine identity runs the pipeline again', async () => {
    const first = await build();
    expect(first.phases).toEqual(['generate seed 11', 'pipeline seed 11']);
    expect(first.dataset.rows.length).toBeGreaterThan(8);
    expect(first.dataset.meta.ocrEngine).toBe(localOcrEngineIdentity());

    const again = await build();
    expect(again.phases).toEqual([]);
    expect(again.dataset.cachePath).toBe(first.dataset.cachePath);
    expect(again.dataset.meta.sha256).toBe(first.dataset.meta.sha256);

    const other = await build('local|another-tesseract|eng|adapter-0000000000000000');
    expect(other.phases).toEqual(['generate seed 11', 'pipeline seed 11']);
    expect(other.dataset.cachePath).not.toBe(first.dataset.cachePath);
    expect(other.dataset.meta.ocrEngine).toBe('local|another-tesseract|eng|adapter-0000000000000000');
    // Both engines' rows stay cached side by side (a rollback of the OCR change reads the first ones again).
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(2);
    expect((await build()).phases).toEqual([]);
  });

  it('the local engine identity names the OCR libraries, the languages and the adapter source', () => {
    const prefix = `^local\\|${LOCAL_OCR_ENGINE_VERSION.replace(/[.+]/g, '\\$&')}\\|eng\\+deu\\+fra\\|adapter-[0-9a-f]{16}`;
    expect(localOcrEngineIdentity()).toMatch(new RegExp(`${prefix}\\|scan-ppocr$`));
    expect(localOcrEngineIdentity(undefined, 'tesseract')).toMatch(new RegExp(`${prefix}$`));
  });
});

/**
 * The identity of the local OCR engine a training corpus went through: the library versions, the default OCR
 * languages and a hash of the local OCR adapter's source. A generated scan costs seconds of tesseract, so the
 * dataset cache keeps corpora across runs; this identity is part of its key, so that a new OCR configuration
 * (thresholding, passes, scaling, another tesseract) reads the scans again instead of training on stale rows.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_OCR_ENGINE_VERSION } from '../adapters/local/ocr/index.js';
import { defaultScanEngine, type ScanEngine } from '../adapters/local/ocr/scan-engine.js';
import { PipelineConfigSchema } from '../core/pipeline/config.js';

const HERE = import.meta.dirname;

/**
 * The adapter's TypeScript sources, found from this module upwards: `../adapters/local/ocr` when run from
 * source, the repository's `functions/adapters/local/ocr` from the compiled CLI (dist/cli/, bundled) or
 * dist/functions/. Hashing the source in every case gives `tsx` and the built CLI the same identity (and cache).
 * Throws when no source is found: a cache key that cannot see an OCR change would serve stale rows.
 */
function adapterFiles(): { dir: string; files: string[] } {
  const candidates = [path.resolve(HERE, '../adapters/local/ocr')];
  for (let up = HERE, k = 0; k < 5; k++, up = path.dirname(up)) candidates.push(path.join(up, 'functions/adapters/local/ocr'));
  for (const dir of candidates) {
    const files = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.ts')).sort() : [];
    if (files.length > 0) return { dir, files };
  }
  throw new Error('the local OCR adapter source (functions/adapters/local/ocr) is not next to this build: the training-set cache cannot key on the OCR engine');
}

let sourceHash: string | undefined;

/**
 * `local|<library versions>|<languages>|adapter-<16 hex>` for OCR with `languages` (default: the pipeline's), with
 * `|scan-ppocr` when scans are read by PP-OCR; the source is hashed once per process. Also the key of the
 * evaluation's OCR cache.
 */
export function localOcrEngineIdentity(
  languages: readonly string[] = PipelineConfigSchema.shape.ocr.parse({}).languages,
  scanEngine: ScanEngine = defaultScanEngine(),
): string {
  if (sourceHash === undefined) {
    const { dir, files } = adapterFiles();
    const hash = createHash('sha256');
    for (const name of files) hash.update(name).update(readFileSync(path.join(dir, name)));
    sourceHash = hash.digest('hex').slice(0, 16);
  }
  return `local|${LOCAL_OCR_ENGINE_VERSION}|${languages.join('+')}|adapter-${sourceHash}${scanEngine === 'tesseract' ? '' : `|scan-${scanEngine}`}`;
}

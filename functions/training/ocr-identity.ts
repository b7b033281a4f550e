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
import { PipelineConfigSchema } from '../core/pipeline/config.js';

const HERE = import.meta.dirname;

/**
 * The adapter's TypeScript sources: next to this file when run from source, three levels up from the compiled
 * `dist/functions/training/` otherwise; the compiled files of the adapter when no source is shipped. Hashing the
 * source in both cases gives `tsx` and the built CLI the same identity (and so the same cache).
 */
function adapterFiles(): { dir: string; files: string[] } {
  for (const dir of [path.resolve(HERE, '../adapters/local/ocr'), path.resolve(HERE, '../../../functions/adapters/local/ocr')]) {
    const files = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.ts')).sort() : [];
    if (files.length > 0) return { dir, files };
  }
  const dir = path.resolve(HERE, '../adapters/local/ocr');
  return { dir, files: readdirSync(dir).filter((n) => n.endsWith('.js')).sort() };
}

let memo: string | undefined;

/** `local|<library versions>|<languages>|adapter-<16 hex>`; computed once per process. */
export function localOcrEngineIdentity(): string {
  if (memo) return memo;
  const { dir, files } = adapterFiles();
  const hash = createHash('sha256');
  for (const name of files) hash.update(name).update(readFileSync(path.join(dir, name)));
  const languages = PipelineConfigSchema.shape.ocr.parse({}).languages;
  memo = `local|${LOCAL_OCR_ENGINE_VERSION}|${languages.join('+')}|adapter-${hash.digest('hex').slice(0, 16)}`;
  return memo;
}

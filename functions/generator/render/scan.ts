import { createRequire } from 'node:module';
import path from 'node:path';
import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import sharp from 'sharp';

type PdfJs = typeof PdfJsModule;
import type { Rng } from '../rng.js';
import type { Degradations, ScanFormat } from '../schemas.js';
import { imagePdf } from './pdf.js';

let pdfjsPromise: Promise<PdfJs> | undefined;
// pdfjs is large: load it only when a scan is actually requested.
const loadPdfJs = () => (pdfjsPromise ??= import('pdfjs-dist/legacy/build/pdf.mjs'));

function standardFontDir(): string {
  const require = createRequire(import.meta.url);
  // pdfjs needs the metrics/glyph files of the 14 standard fonts to draw PDFs that do not embed them.
  return `${path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts')}${path.sep}`;
}

/** Renders page 1 of a PDF to PNG at `dpi` (pdfjs-dist on @napi-rs/canvas). Throws on an unreadable PDF. */
export async function rasterizePdf(pdf: Uint8Array, dpi: number): Promise<Buffer> {
  const pdfjs = await loadPdfJs();
  const doc = await pdfjs.getDocument({ data: new Uint8Array(pdf), standardFontDataUrl: standardFontDir(), verbosity: 0, isEvalSupported: false }).promise;
  try {
    const page = await doc.getPage(1);
    const viewport = page.getViewport({ scale: dpi / 72 });
    const factory = doc.canvasFactory as { create(w: number, h: number): { canvas: { toBuffer(mime: 'image/png'): Buffer }; context: unknown } };
    const { canvas, context } = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
    await page.render({ canvasContext: context as CanvasRenderingContext2D, viewport, canvas: canvas as unknown as HTMLCanvasElement, background: 'white' }).promise;
    return canvas.toBuffer('image/png');
  } finally {
    await doc.destroy();
  }
}

/** Draws the degradations of one scan or phone photo; `format` must be one of `formats`. */
export function drawDegradations(rng: Rng, formats: readonly ScanFormat[]): Degradations {
  const format = rng.pick(formats);
  const quarter = rng.chance(0.06) ? rng.pick([1, 2, 3]) : 0;
  return {
    dpi: rng.pick([150, 150, 200, 200]),
    rotationDegrees: Math.round(rng.float(-3.5, 3.5) * 10) / 10,
    quarterTurns: quarter,
    blurSigma: rng.chance(0.7) ? Math.round(rng.float(0.3, 1.1) * 100) / 100 : 0,
    noiseSigma: Math.round(rng.float(2, 14)),
    jpegQuality: format === 'jpeg' || format === 'pdf' ? rng.int(35, 80) : undefined,
    stain: rng.chance(0.3),
    shadow: rng.chance(0.35),
    format,
  };
}

/** mulberry32: a per-pixel noise source seeded from the document's Rng (millions of draws, so kept inline). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function overlaySvg(rng: Rng, w: number, h: number, d: Degradations): Buffer | undefined {
  const parts: string[] = [];
  if (d.stain) {
    const cx = Math.round(rng.float(0.15, 0.85) * w);
    const cy = Math.round(rng.float(0.15, 0.85) * h);
    const r = Math.round(rng.float(0.05, 0.12) * w);
    parts.push(
      `<radialGradient id="s"><stop offset="0.7" stop-color="#8b5a2b" stop-opacity="0.08"/><stop offset="0.93" stop-color="#6b4220" stop-opacity="0.35"/><stop offset="1" stop-color="#6b4220" stop-opacity="0"/></radialGradient>`,
      `<ellipse cx="${cx}" cy="${cy}" rx="${r}" ry="${Math.round(r * rng.float(0.8, 1.1))}" fill="url(#s)"/>`,
    );
  }
  if (d.shadow) {
    const fromLeft = rng.chance(0.5);
    parts.push(
      `<linearGradient id="g" x1="${fromLeft ? 0 : 1}" y1="0" x2="${fromLeft ? 0.45 : 0.55}" y2="0.2"><stop offset="0" stop-color="#000" stop-opacity="0.45"/><stop offset="1" stop-color="#000" stop-opacity="0"/></linearGradient>`,
      `<rect width="${w}" height="${h}" fill="url(#g)"/>`,
    );
  }
  if (parts.length === 0) return undefined;
  const defs = parts.filter((p) => p.includes('Gradient')).join('');
  const shapes = parts.filter((p) => !p.includes('Gradient')).join('');
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs>${defs}</defs>${shapes}</svg>`);
}

export interface ScanOutput {
  bytes: Uint8Array;
  extension: string;
  mimeType: string;
}

/**
 * Turns a born-digital PDF into a degraded scan: raster at the chosen dpi, grey-level noise, stain or
 * shadow, blur, skew, optional quarter turn, lossy encoding. `rng` also seeds the noise.
 */
export async function degradeToScan(rng: Rng, pdf: Uint8Array, d: Degradations, when: Date): Promise<ScanOutput> {
  const png = await rasterizePdf(pdf, d.dpi);
  const { data, info } = await sharp(png).greyscale().toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  const noise = mulberry32(rng.int(1, 2 ** 30));
  for (let i = 0; i < data.length; i++) {
    // Sum of uniforms approximates Gaussian sensor noise cheaply.
    const n = (noise() + noise() + noise() - 1.5) * 2 * d.noiseSigma;
    const v = data[i]! * 0.93 + 10 + n;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  let img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  const overlay = overlaySvg(rng, info.width, info.height, d);
  if (overlay) img = sharp(await img.png().toBuffer()).composite([{ input: overlay, blend: 'multiply' }]);
  if (d.blurSigma >= 0.3) img = img.blur(d.blurSigma);
  let buf = await img.png().toBuffer();
  if (d.rotationDegrees !== 0) buf = await sharp(buf).rotate(d.rotationDegrees, { background: '#d8d8d8' }).png().toBuffer();
  if (d.quarterTurns > 0) buf = await sharp(buf).rotate(d.quarterTurns * 90).png().toBuffer();
  const base = sharp(buf).withMetadata({ density: d.dpi });
  switch (d.format) {
    case 'png':
      return { bytes: await base.greyscale().png({ compressionLevel: 6 }).toBuffer(), extension: 'png', mimeType: 'image/png' };
    case 'jpeg':
      return { bytes: await base.jpeg({ quality: d.jpegQuality ?? 60 }).toBuffer(), extension: 'jpg', mimeType: 'image/jpeg' };
    case 'tiff':
      return { bytes: await base.greyscale().tiff({ compression: 'lzw' }).toBuffer(), extension: 'tiff', mimeType: 'image/tiff' };
    case 'pdf': {
      const jpg = await sharp(buf).jpeg({ quality: d.jpegQuality ?? 60 }).toBuffer();
      return { bytes: await imagePdf(jpg, 'jpeg', d.dpi, when), extension: 'pdf', mimeType: 'application/pdf' };
    }
  }
}

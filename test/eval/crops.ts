import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { decodeImagePage } from '../../functions/adapters/local/ocr/images.js';
import { openPdf } from '../../functions/adapters/local/ocr/pdf.js';
import { renderPage } from '../../functions/adapters/local/ocr/render.js';
import type { GreyImage } from '../../functions/adapters/local/ocr/grey-image.js';
import type { Box } from '../../functions/core/geometry.js';

/**
 * Page crops for the evaluation's HTML report: the page is rendered the way the OCR engine sees it (pdfjs +
 * @napi-rs/canvas for PDFs, sharp with EXIF orientation for images), cut around a field's box with some
 * context, and returned as a PNG data URI. Without a box, a small view of the whole page is returned.
 */
const RENDER_DPI = 110;
const MAX_PIXELS = 20_000_000;

export class PageImages {
  private readonly pages = new Map<string, Promise<GreyImage | null>>();

  private page(file: string, kind: string, pageNumber: number): Promise<GreyImage | null> {
    const key = `${file}#${pageNumber}`;
    let p = this.pages.get(key);
    if (!p) {
      p = load(file, kind, pageNumber).catch(() => null);
      this.pages.set(key, p);
    }
    return p;
  }

  /** A PNG data URI of the region around `box` on page `pageNumber` (or the whole page), or null. */
  async crop(file: string, kind: string, pageNumber: number, box: Box | undefined): Promise<string | null> {
    const img = await this.page(file, kind, pageNumber);
    if (!img) return null;
    const raw = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 1 } });
    if (!box || box.w <= 0 || box.h <= 0) {
      return dataUri(await raw.resize({ width: 260 }).png().toBuffer());
    }
    // Context: a few line heights above and below, most of the row to the left (where its label is).
    const padY = Math.max(box.h * 2.5, 0.015), padX = Math.max(box.w * 0.6, 0.25);
    const x0 = Math.max(0, box.x - padX), x1 = Math.min(1, box.x + box.w + padX * 0.5);
    const y0 = Math.max(0, box.y - padY), y1 = Math.min(1, box.y + box.h + padY);
    const rect = {
      left: Math.floor(x0 * img.width), top: Math.floor(y0 * img.height),
      width: Math.max(1, Math.floor((x1 - x0) * img.width)), height: Math.max(1, Math.floor((y1 - y0) * img.height)),
    };
    rect.width = Math.min(rect.width, img.width - rect.left);
    rect.height = Math.min(rect.height, img.height - rect.top);
    // Mark the box itself with a frame so the extracted value stands out in its context.
    const bx = Math.round((box.x - x0) * img.width), by = Math.round((box.y - y0) * img.height);
    const bw = Math.max(2, Math.round(box.w * img.width)), bh = Math.max(2, Math.round(box.h * img.height));
    const frame = Buffer.from(`<svg width="${rect.width}" height="${rect.height}"><rect x="${bx - 2}" y="${by - 2}" width="${bw + 4}" height="${bh + 4}" fill="none" stroke="#e0245e" stroke-width="2"/></svg>`);
    // sharp composites after resizing: frame the crop first, scale it down in a second pass.
    const framed = await raw.extract(rect).toColourspace('srgb').composite([{ input: frame }]).png().toBuffer();
    return dataUri(await sharp(framed).resize({ width: Math.min(rect.width, 640), withoutEnlargement: true }).png().toBuffer());
  }
}

function dataUri(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

async function load(file: string, kind: string, pageNumber: number): Promise<GreyImage | null> {
  const bytes = new Uint8Array(readFileSync(file));
  if (kind === 'image') return decodeImagePage(bytes, pageNumber - 1, { maxPixels: 80_000_000, maxSide: 20_000 });
  if (kind !== 'pdf') return null;
  const pdf = await openPdf(bytes);
  try {
    const page = await pdf.doc.getPage(pageNumber);
    try {
      return (await renderPage(page, RENDER_DPI, MAX_PIXELS)).image;
    } finally {
      page.cleanup();
    }
  } finally {
    await pdf.close();
  }
}

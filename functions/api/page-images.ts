/**
 * Page images of an invoice for the review page: rendered from the stored original (PDF pages with the project's
 * pdfjs + @napi-rs/canvas renderer, images as they are), encoded as PNG, and cached in the artifacts bucket
 * (`page-images/<invoiceId>/<page>.png`), so each page is rendered once whatever the number of instances.
 * An original is immutable (a re-upload is a new invoice), so a cached page never goes stale.
 */
import type { BlobStore } from '../core/ports.js';
import { BlobNotFoundError } from '../core/ports.js';
import { detectFileType } from '../core/invoice/file-type.js';
import type { InvoiceRecord } from '../core/invoice/record.js';
import { ApiProblem } from './problem.js';

/** Render resolution: enough to read small print next to the extracted boxes, small enough to send quickly. */
const DPI = 110;
const MAX_PIXELS = 6_000_000;
/** Images above this edge are scaled down (fit inside) before encoding. */
const MAX_EDGE = 3_000;

export const pageCacheName = (invoiceId: string, page: number) => `page-images/${invoiceId}/${page}.png`;

async function renderPdfPage(bytes: Uint8Array, page: number): Promise<Uint8Array> {
  const [{ openPdf }, { renderPage }, sharp] = await Promise.all([
    import('../adapters/local/ocr/pdf.js'),
    import('../adapters/local/ocr/render.js'),
    import('sharp').then((m) => m.default),
  ]);
  const pdf = await openPdf(bytes);
  try {
    if (page > pdf.doc.numPages) throw new ApiProblem('NOT_FOUND', `the document has ${pdf.doc.numPages} page(s)`);
    const { image } = await renderPage(await pdf.doc.getPage(page), DPI, MAX_PIXELS);
    return new Uint8Array(await sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 1 } }).png({ compressionLevel: 6 }).toBuffer());
  } finally {
    await pdf.close();
  }
}

async function renderImagePage(bytes: Uint8Array, page: number): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  const meta = await sharp(bytes).metadata();
  const pages = meta.pages ?? 1;
  if (page > pages) throw new ApiProblem('NOT_FOUND', `the image has ${pages} page(s)`);
  const png = await sharp(bytes, { page: page - 1, limitInputPixels: 100_000_000 })
    .rotate()
    .resize({ width: MAX_EDGE, height: MAX_EDGE, fit: 'inside', withoutEnlargement: true })
    .png({ compressionLevel: 6 })
    .toBuffer();
  return new Uint8Array(png);
}

/** The PNG of page `page` (1-based) of the invoice's original; throws ApiProblem NOT_FOUND / RENDER_FAILED. */
export async function pageImage(blobs: BlobStore, artifactsBucket: string, record: InvoiceRecord, page: number): Promise<{ png: Uint8Array; cached: boolean }> {
  const cacheRef = { bucket: artifactsBucket, name: pageCacheName(record.invoiceId, page) };
  try {
    return { png: await blobs.read(cacheRef), cached: true };
  } catch (err) {
    if (!(err instanceof BlobNotFoundError)) throw err;
  }
  let bytes: Uint8Array;
  try {
    bytes = await blobs.read({ bucket: record.source.bucket, name: record.source.name });
  } catch (err) {
    if (err instanceof BlobNotFoundError) throw new ApiProblem('NOT_FOUND', 'the original file is no longer stored');
    throw err;
  }
  const type = detectFileType(bytes);
  if (type === 'xml') throw new ApiProblem('NOT_FOUND', 'an XML e-invoice has no page images');
  if (type === 'unknown') throw new ApiProblem('NOT_FOUND', 'the original is not a renderable file');
  let png: Uint8Array;
  try {
    png = type === 'pdf' ? await renderPdfPage(bytes, page) : await renderImagePage(bytes, page);
  } catch (err) {
    if (err instanceof ApiProblem) throw err;
    throw new ApiProblem('RENDER_FAILED', 'the page cannot be rendered (corrupt or encrypted original)');
  }
  // A failed cache write costs one more render next time, never the answer: the page is returned either way.
  await blobs.write(cacheRef, png, { contentType: 'image/png' }).catch(() => undefined);
  return { png, cached: false };
}

/**
 * Rendering of a PDF page to a grey raster with pdfjs and @napi-rs/canvas, for pages without a usable
 * text layer (scans wrapped in a PDF).
 */
import { createRequire } from 'node:module';
import type { PDFPageProxy } from 'pdfjs-dist';
import { greyFromRgba, type GreyImage } from './grey-image.js';

/**
 * The canvas must come from the same @napi-rs/canvas copy that pdfjs polyfills `Path2D` from (pdfjs-dist pins
 * its own version): a Path2D of one native copy is rejected by a context of another ("not a valid enum value
 * of type CanvasFillRule"). Resolving from the pdfjs-dist folder picks pdfjs's copy, else the top-level one.
 */
const requireFromPdfjs = createRequire(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const { createCanvas } = requireFromPdfjs('@napi-rs/canvas') as CanvasModule;

/** The part of @napi-rs/canvas used here (the package is pdfjs-dist's own dependency, not ours). */
interface CanvasModule {
  createCanvas(width: number, height: number): {
    getContext(kind: '2d'): {
      fillStyle: string;
      fillRect(x: number, y: number, w: number, h: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    };
  };
}

export interface RenderedPage {
  image: GreyImage;
  /** Effective render resolution (lower than requested when the pixel cap applied). */
  dpi: number;
}

/** Renders a page at `dpi` (capped so the raster stays under `maxPixels`) on a white background. */
export async function renderPage(page: PDFPageProxy, dpi: number, maxPixels: number): Promise<RenderedPage> {
  const base = page.getViewport({ scale: 1 });
  let scale = dpi / 72;
  const pixels = base.width * scale * base.height * scale;
  if (pixels > maxPixels) scale *= Math.sqrt(maxPixels / pixels);
  const viewport = page.getViewport({ scale });
  const width = Math.max(1, Math.floor(viewport.width));
  const height = Math.max(1, Math.floor(viewport.height));
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  // @napi-rs/canvas implements the subset of the DOM canvas API that pdfjs uses; the types differ nominally.
  await page.render({
    canvas: canvas as unknown as HTMLCanvasElement,
    canvasContext: ctx as unknown as CanvasRenderingContext2D,
    viewport,
  }).promise;
  const pixelsRgba = ctx.getImageData(0, 0, width, height).data;
  return { image: greyFromRgba(pixelsRgba, width, height), dpi: scale * 72 };
}

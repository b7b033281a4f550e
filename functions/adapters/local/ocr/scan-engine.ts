import { z } from 'zod';

/**
 * What reads a scan first: `ppocr` (PP-OCRv4 on onnxruntime, paddle.ts; the default) or `tesseract`
 * (eng+deu+fra). PP-OCR is the default since it reads more receipt and invoice fields than tesseract on every
 * measured corpus and no field of the generated scans less, in less time (README, "PP-OCRv4, the default scan engine"). Its own
 * module: the CLI's main thread resolves it without loading the engines.
 */
export const SCAN_ENGINES = ['tesseract', 'ppocr'] as const;
export type ScanEngine = (typeof SCAN_ENGINES)[number];

/** The scan engine LEDGERX_SCAN_ENGINE names, `ppocr` when unset; a clear error for any other value. */
export function defaultScanEngine(env: NodeJS.ProcessEnv = process.env): ScanEngine {
  const parsed = z.enum(SCAN_ENGINES).default('ppocr').safeParse(env.LEDGERX_SCAN_ENGINE || undefined);
  if (!parsed.success) throw new Error(`LEDGERX_SCAN_ENGINE must be one of ${SCAN_ENGINES.join(', ')}, got ${JSON.stringify(env.LEDGERX_SCAN_ENGINE)}`);
  return parsed.data;
}

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CorpusBuilder } from './corpus.js';
import { Rng } from './rng.js';
import type { Manifest } from './schemas.js';

const DEMO_SEED = 20_250_630;

/**
 * Writes the fixed demo set used by `ledgerx demo` (14 files plus `manifest.json`) into `outDir`:
 * clean EN/DE/FR invoices, a Factur-X PDF, a standalone CII XML, a skewed JPEG scan, an image-only PDF
 * scan, an arithmetic error, an invalid VAT id, an exact duplicate, a near-duplicate, a future date, an
 * empty file and a truncated PDF. File names are fixed; with the same `asOf` (default: today) the bytes are too.
 * Throws when `outDir` cannot be written.
 */
export async function generateDemoSet(outDir: string, options: { asOf?: string } = {}): Promise<Manifest> {
  await mkdir(outDir, { recursive: true });
  const b = new CorpusBuilder(outDir, {
    seed: DEMO_SEED,
    // Dated relative to the day the demo runs, so that "future" and "overdue" mean what they say today.
    asOf: options.asOf ?? new Date().toISOString().slice(0, 10),
    spanDays: 120,
    supplierCount: 12,
    receiverCount: 2,
    scanFormats: ['jpeg', 'pdf'],
    languages: undefined,
  });
  const root = new Rng(DEMO_SEED);
  const r = (label: string) => root.fork(label);
  await b.newInvoice(r('en'), '01-invoice-en', { language: 'en', layout: 'classic' });
  const de = await b.newInvoice(r('de'), '02-rechnung-de', { language: 'de', layout: 'letter' });
  await b.newInvoice(r('fr'), '03-facture-fr', { language: 'fr', layout: 'banner' });
  await b.newInvoice(r('facturx'), '04-facturx-de', { kind: 'einvoice-pdf', language: 'de', layout: 'serif-boxed' });
  await b.newInvoice(r('xml'), '05-einvoice-cii', { kind: 'einvoice-xml', language: 'de' });
  await b.newInvoice(r('scan-jpeg'), '06-scan-skewed', {
    kind: 'scan',
    language: 'en',
    layout: 'banner',
    scan: { format: 'jpeg', rotationDegrees: 3.2, quarterTurns: 0, dpi: 200, jpegQuality: 55, shadow: true },
  });
  await b.newInvoice(r('scan-pdf'), '07-scan-image-only', {
    kind: 'scan',
    language: 'de',
    layout: 'compact',
    scan: { format: 'pdf', rotationDegrees: -1.1, quarterTurns: 0, dpi: 150, stain: true },
  });
  await b.newInvoice(r('arith'), '08-arithmetic-error', { language: 'de', layout: 'classic', force: { arithmetic: 'total-mismatch' } });
  await b.newInvoice(r('vat'), '09-invalid-vat-id', { language: 'fr', layout: 'compact', force: { invalidVatId: true } });
  const first = b.history[0]!;
  await b.exactDuplicate('10-duplicate-of-01', first);
  const deGenerated = b.history.find((g) => g.entry.file === de.file)!;
  await b.nearDuplicate(r('near'), '11-near-duplicate-of-02', deGenerated, 'born-digital');
  await b.newInvoice(r('future'), '12-future-date', { language: 'en', layout: 'serif-boxed', force: { futureDate: true } });
  await b.badFile(r('empty'), '13-empty', 'zero-byte', 'pdf');
  await b.badFile(r('truncated'), '14-truncated', 'truncated-pdf');
  const manifest = b.manifest(b.history.length);
  await writeFile(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

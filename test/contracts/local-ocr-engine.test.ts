import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalOcrEngine, SCAN_ENGINES } from '../../functions/adapters/local/ocr/index.js';
import { PermanentError, RejectReason } from '../../functions/core/errors.js';
import { OcrDocumentSchema, type OcrDocument } from '../../functions/core/ocr-document.js';
import type { OcrLimits } from '../../functions/core/ports.js';
import { blankPng, helveticaWidth, imagePdf, invoicePage, receiptOnTable, renderPdfToPng, textPdf } from '../fixtures/ocr/documents.js';
import { buildEncryptedPdf } from '../fixtures/ocr/encrypted-pdf.js';

const LIMITS: OcrLimits = { maxPages: 10, maxBytes: 5_000_000, timeoutMs: 90_000, languages: ['eng'] };
const engine = createLocalOcrEngine();
afterAll(() => engine.close());

function valid(doc: OcrDocument): OcrDocument {
  expect(() => OcrDocumentSchema.parse(doc)).not.toThrow();
  for (const page of doc.pages) {
    for (const line of page.lines) {
      for (const b of [line.box, ...line.tokens.map((t) => t.box)]) {
        expect(b.x).toBeGreaterThanOrEqual(0);
        expect(b.y).toBeGreaterThanOrEqual(0);
        expect(b.x + b.w).toBeLessThanOrEqual(1 + 1e-9);
        expect(b.y + b.h).toBeLessThanOrEqual(1 + 1e-9);
      }
    }
  }
  return doc;
}

async function rejection(promise: Promise<unknown>): Promise<PermanentError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PermanentError);
  return err as PermanentError;
}

const recognize = (bytes: Uint8Array, fileName = 'upload.bin', limits: Partial<OcrLimits> = {}, declaredContentType?: string) =>
  engine.recognize({ bytes, fileName, declaredContentType }, { ...LIMITS, ...limits });

describe('local OCR engine: born-digital PDFs (text layer)', () => {
  it('reads lines in reading order with normalized boxes, keeping table columns apart', async () => {
    const pdf = await textPdf([
      [
        { text: 'Invoice INV-2024-001', x: 50, y: 780, size: 18 },
        { text: 'Net amount', x: 50, y: 600 },
        { text: '100.00', x: 450, y: 600 },
        { text: 'Total due', x: 50, y: 580 },
        { text: '119.00', x: 450, y: 580 },
      ],
    ]);
    const doc = valid(await recognize(pdf, 'invoice.pdf'));
    expect(doc.mimeType).toBe('application/pdf');
    expect(doc.text.split('\n')).toEqual(['Invoice INV-2024-001', 'Net amount', '100.00', 'Total due', '119.00']);
    const page = doc.pages[0]!;
    expect(page).toMatchObject({ pageNumber: 1, width: 595, height: 842, textSource: 'text-layer', quality: null });
    const title = page.lines[0]!;
    expect(title.tokens.map((t) => t.text)).toEqual(['Invoice', 'INV-2024-001']);
    // Drawn 62 pt below the top edge with 18 pt type: the box sits near the top, origin top-left.
    expect(title.box.y).toBeGreaterThan(0.04);
    expect(title.box.y).toBeLessThan(0.08);
    expect(title.box.x).toBeCloseTo(50 / 595, 2);
    expect(page.lines[2]!.box.x).toBeCloseTo(450 / 595, 2);
    expect(page.lines.every((l) => l.confidence === 1 && l.tokens.every((t) => t.confidence === 1))).toBe(true);
    expect(doc.engine.name).toBe('local');
    expect(doc.elapsedMs).toBeGreaterThan(0);
  });

  it('joins words drawn in pieces and joins pages with form feeds', async () => {
    const w = await helveticaWidth('Rech', 12);
    const pdf = await textPdf([
      [
        { text: 'Rech', x: 50, y: 700 },
        { text: 'nung', x: 50 + w, y: 700 },
      ],
      [{ text: 'Page two of the invoice', x: 50, y: 700 }],
      [{ text: 'Page three of the invoice', x: 50, y: 700 }],
    ]);
    const doc = valid(await recognize(pdf, 'multi.pdf'));
    expect(doc.pages.map((p) => p.pageNumber)).toEqual([1, 2, 3]);
    expect(doc.text).toBe('Rechnung\fPage two of the invoice\fPage three of the invoice');
    // The first page has little text but nothing else to read (no image, no outlines): not rendered for OCR.
    expect(doc.pages[0]!.textSource).toBe('text-layer');
    expect(doc.pages[0]!.quality).toBeNull();
  });

  it('does not render a page with a few characters and nothing else to read (a page number)', async () => {
    const blank = valid(await recognize(await textPdf([[{ text: '2 / 3', x: 280, y: 40 }]]), 'blank.pdf'));
    expect(blank.pages[0]).toMatchObject({ textSource: 'text-layer', quality: null });
    expect(blank.text).toBe('2 / 3');
  });

  it('extracts an embedded Factur-X XML and skips non-XML attachments', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"><ram:ID xmlns:ram="urn:x">Größe 42</ram:ID></rsm:CrossIndustryInvoice>';
    const pdf = await textPdf([[{ text: 'Rechnung 42 vom 05.03.2018', x: 50, y: 700 }]], {
      attachments: [
        { name: 'factur-x.xml', bytes: new Uint8Array(Buffer.from(xml, 'utf8')), mimeType: 'text/xml' },
        { name: 'logo.png', bytes: new Uint8Array(await blankPng(10, 10)), mimeType: 'image/png' },
      ],
    });
    const doc = valid(await recognize(pdf, 'facturx.pdf'));
    expect(doc.embeddedFiles).toEqual([{ name: 'factur-x.xml', mimeType: 'application/xml', content: xml }]);
    expect(doc.text).toBe('Rechnung 42 vom 05.03.2018');
  });

  it('trusts the bytes over the declared content type', async () => {
    const pdf = await textPdf([[{ text: 'Hello world, invoice 1', x: 50, y: 700 }]]);
    const doc = valid(await recognize(pdf, 'photo.png', {}, 'image/png'));
    expect(doc.mimeType).toBe('application/pdf');
    expect(doc.text).toBe('Hello world, invoice 1');
  });

  it('processes a PDF protected by an owner password only', async () => {
    const pdf = buildEncryptedPdf({ userPassword: '', ownerPassword: 'secret', text: 'Invoice 77 total 12.50' });
    const doc = valid(await recognize(pdf, 'owner-only.pdf'));
    expect(doc.text).toBe('Invoice 77 total 12.50');
  });
});

describe('local OCR engine: standalone XML', () => {
  it('returns no pages and the XML as an embedded file (BOM and leading whitespace allowed)', async () => {
    const xml = '\n  <?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>';
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(xml, 'utf8')]);
    const doc = valid(await recognize(bytes, 'xrechnung.xml', {}, 'application/octet-stream'));
    expect(doc.pages).toEqual([]);
    expect(doc.text).toBe('');
    expect(doc.mimeType).toBe('application/xml');
    expect(doc.embeddedFiles).toEqual([{ name: 'xrechnung.xml', mimeType: 'application/xml', content: xml }]);
  });
});

/** A tiny PNG declaring huge dimensions (a decompression bomb): valid chunks, almost no pixel data. */
function hugePng(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const idat = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]));
}

describe('local OCR engine: rejected input', () => {
  it.each<[string, () => Promise<Uint8Array>, Partial<OcrLimits>, string]>([
    ['empty file', async () => new Uint8Array(0), {}, RejectReason.FILE_EMPTY],
    ['file over maxBytes', async () => textPdf([[{ text: 'x', x: 50, y: 700 }]]), { maxBytes: 100 }, RejectReason.FILE_TOO_LARGE],
    ['unknown type', async () => new Uint8Array(Buffer.from('MZ\x90\x00 executable')), {}, RejectReason.UNSUPPORTED_TYPE],
    ['html', async () => new Uint8Array(Buffer.from('<html><body>Invoice</body></html>')), {}, RejectReason.UNSUPPORTED_TYPE],
    ['corrupt PDF', async () => new Uint8Array(Buffer.from('%PDF-1.7\n' + 'garbage '.repeat(50) + '\n%%EOF\n')), {}, RejectReason.PDF_CORRUPT],
    ['truncated PDF', async () => (await textPdf([[{ text: 'Hello', x: 50, y: 700 }]])).slice(0, 400), {}, RejectReason.PDF_CORRUPT],
    ['user-password PDF', async () => buildEncryptedPdf({ userPassword: 'u', ownerPassword: 'o', text: 'x' }), {}, RejectReason.PDF_PASSWORD_PROTECTED],
    ['unknown security handler', async () => buildEncryptedPdf({ userPassword: '', ownerPassword: 'o', text: 'x', filter: 'VendorDRM' }), {}, RejectReason.PDF_ENCRYPTED],
    ['too many pages', async () => textPdf([[{ text: 'a', x: 50, y: 700 }], [{ text: 'b', x: 50, y: 700 }], [{ text: 'c', x: 50, y: 700 }]]), { maxPages: 2 }, RejectReason.TOO_MANY_PAGES],
    ['corrupt PNG', async () => new Uint8Array((await blankPng()).subarray(0, 60)), {}, RejectReason.IMAGE_CORRUPT],
    ['PNG declaring 100k x 100k pixels', async () => hugePng(100_000, 100_000), {}, RejectReason.IMAGE_TOO_LARGE],
  ])('%s', async (_name, make, limits, code) => {
    const err = await rejection(recognize(await make(), 'upload.bin', limits));
    expect(err.code).toBe(code);
  });

  it('rejects a PDF with no text at all when OCR is off (NO_TEXT_FOUND)', async () => {
    const textless = createLocalOcrEngine({ ocr: false });
    const pdf = await textPdf([[]]);
    const err = await rejection(textless.recognize({ bytes: pdf, fileName: 'blank.pdf' }, LIMITS));
    expect(err.code).toBe(RejectReason.NO_TEXT_FOUND);
    await textless.close();
  });

  it('leaves the caller\'s buffer intact', async () => {
    const pdf = await textPdf([[{ text: 'Hello world, invoice 1', x: 50, y: 700 }]]);
    const size = pdf.byteLength;
    await recognize(pdf, 'a.pdf');
    // pdfjs detaches buffers it is given: the engine must have passed a copy.
    expect(pdf.byteLength).toBe(size);
  });
});

describe.each(SCAN_ENGINES)('local OCR engine: scans and images (%s first)', (scanEngine) => {
  const scans = createLocalOcrEngine({ scanEngine });
  afterAll(() => scans.close());
  const recognize = (bytes: Uint8Array, fileName = 'upload.bin', limits: Partial<OcrLimits> = {}, declaredContentType?: string) =>
    scans.recognize({ bytes, fileName, declaredContentType }, { ...LIMITS, ...limits });

  it('deskews a rotated scan and reads its words', async () => {
    const scan = await renderPdfToPng(await textPdf([invoicePage()]), 150);
    // sharp rotates clockwise for positive angles: -3 tilts the page 3 degrees counter-clockwise.
    const tilted = await sharp(scan).rotate(-3, { background: '#ffffff' }).withDensity(150).png().toBuffer();
    const doc = valid(await recognize(new Uint8Array(tilted), 'scan.png', {}, 'application/pdf'));
    expect(doc.mimeType).toBe('image/png');
    const page = doc.pages[0]!;
    expect(page.textSource).toBe('ocr');
    expect(page.languages).toEqual(['eng']);
    expect(page.quality!.skewDegrees).toBeGreaterThan(2.5);
    expect(page.quality!.skewDegrees).toBeLessThan(3.5);
    expect(page.quality!.effectiveDpi).toBe(150);
    expect(page.quality!.score).toBeGreaterThan(0);
    for (const word of ['INVOICE', '4711', 'ACME', 'Total', '1234.50']) expect(doc.text).toContain(word);
    const tokens = page.lines.flatMap((l) => l.tokens);
    expect(tokens.every((t) => t.confidence > 0 && t.confidence <= 1)).toBe(true);
    // Reading order: the title comes first, the total last.
    expect(page.lines[0]!.text).toContain('INVOICE');
    expect(page.lines.at(-1)!.text).toContain('Total');
  });

  it('OCRs a PDF page that has no text layer (a scan wrapped in a PDF)', async () => {
    const scan = await renderPdfToPng(await textPdf([invoicePage()]), 100);
    const doc = valid(await recognize(await imagePdf(new Uint8Array(scan)), 'scanned.pdf'));
    expect(doc.pages[0]!.textSource).toBe('ocr');
    expect(doc.pages[0]!.quality).not.toBeNull();
    expect(doc.text).toContain('INVOICE');
    expect(doc.text).toContain('Total');
  });

  // PP-OCR's alphabet has no ö, ß or €: those come from tesseract's reading in the page's language.
  it.each([
    ['German', 'rechnung.png', 'deu', [
      { text: 'Rechnung Nr. 2024-118', x: 60, y: 760, size: 24 },
      { text: 'Müller & Söhne GmbH, Straße 5', x: 60, y: 710, size: 18 },
      { text: 'Rechnungsdatum 15.03.2024', x: 60, y: 670, size: 18 },
      { text: 'Bezeichnung Menge Einzelpreis', x: 60, y: 630, size: 18 },
      { text: 'Gesamtbetrag 1.234,50 EUR zahlbar innerhalb von 14 Tagen', x: 60, y: 590, size: 16 },
      { text: 'Vielen Dank für Ihren Auftrag', x: 60, y: 550, size: 16 },
    ], ['Müller', 'Söhne', 'Straße', 'für']],
    ['French', 'facture.png', 'fra', [
      { text: 'Facture 2024/1587', x: 60, y: 760, size: 24 },
      { text: 'Date de facture 16/09/2024', x: 60, y: 710, size: 18 },
      { text: "Date d'échéance 16/10/2024", x: 60, y: 670, size: 18 },
      { text: 'Total TTC 1 443,37 €', x: 60, y: 630, size: 18 },
      { text: 'Conditions de paiement : Paiement à réception', x: 60, y: 590, size: 16 },
    ], ['échéance', 'à', 'réception', '€']],
  ])('reads a %s scan with its own model: its accents, ß and € kept, once each', async (_language, file, code, page, words) => {
    const scan = await renderPdfToPng(await textPdf([page]), 150);
    const doc = valid(await recognize(new Uint8Array(scan), file, { languages: ['eng', 'deu', 'fra'] }));
    expect(doc.pages[0]!.languages).toEqual([code]);
    for (const word of words) expect(doc.text).toContain(word);
    expect(doc.text.match(/€/g)?.length ?? 0).toBe(page.some((l) => l.text.includes('€')) ? 1 : 0);
  });

  it('keeps the £ of an English page whose amounts carry its only currency mark (PP-OCR has no £: read back)', async () => {
    const page = [
      { text: 'INVOICE 4711', x: 60, y: 760, size: 24 },
      { text: 'Northwind Services Ltd', x: 60, y: 710, size: 18 },
      { text: 'Maintenance contract 80.53', x: 60, y: 670, size: 18 },
      { text: 'Cloud hosting 315.82', x: 60, y: 630, size: 18 },
      { text: 'Amount Due £396.35', x: 60, y: 590, size: 18 },
    ];
    const scan = await renderPdfToPng(await textPdf([page]), 150);
    const doc = valid(await recognize(new Uint8Array(scan), 'invoice.png', { languages: ['eng', 'deu', 'fra'] }));
    expect(doc.pages[0]!.languages).toEqual(['eng']);
    expect(doc.text).toMatch(/£ ?396\.35/);
    // The mark is put back once, on the amount it was printed with.
    expect(doc.text.match(/£/g)).toHaveLength(1);
  });

  it('reads faint print on a receipt photographed on a dark table (margins cleared before thresholding)', async () => {
    const png = await receiptOnTable(['CORNER MART SDN BHD', 'INVOICE NO 17566', 'SUGAR 1KG 13.80', 'TOTAL SALES RM 82.80', 'CHANGE RM 0.00']);
    const doc = valid(await recognize(new Uint8Array(png), 'receipt.png'));
    expect(doc.pages[0]!.textSource).toBe('ocr');
    for (const word of ['CORNER', 'INVOICE', '17566', 'TOTAL', '82.80']) expect(doc.text).toContain(word);
  });

  it('reads every page of a multi-page TIFF', async () => {
    const page1 = await renderPdfToPng(await textPdf([[{ text: 'FIRST PAGE', x: 60, y: 760, size: 28 }]]), 100);
    const page2 = await renderPdfToPng(await textPdf([[{ text: 'SECOND PAGE', x: 60, y: 760, size: 28 }]]), 100);
    const tiff = await sharp([page1, page2], { join: { animated: true } }).tiff().toBuffer();
    const doc = valid(await recognize(new Uint8Array(tiff), 'fax.tiff'));
    expect(doc.mimeType).toBe('image/tiff');
    expect(doc.pages).toHaveLength(2);
    expect(doc.text.split('\f')[0]).toContain('FIRST');
    expect(doc.text.split('\f')[1]).toContain('SECOND');
  });

  it('rejects an image with nothing readable (NO_TEXT_FOUND)', async () => {
    const err = await rejection(recognize(new Uint8Array(await blankPng()), 'blank.png'));
    expect(err.code).toBe(RejectReason.NO_TEXT_FOUND);
  });

  it('stops OCR over the time budget (OCR_TIMEOUT), then recovers', async () => {
    const scan = new Uint8Array(await renderPdfToPng(await textPdf([invoicePage()]), 200));
    const fresh = createLocalOcrEngine({ scanEngine });
    try {
      // A cold worker (or the PP-OCR models) alone takes longer than 50 ms to start.
      const err = await rejection(fresh.recognize({ bytes: scan, fileName: 'slow.png' }, { ...LIMITS, timeoutMs: 50 }));
      expect(err.code).toBe(RejectReason.OCR_TIMEOUT);
      const doc = await fresh.recognize({ bytes: scan, fileName: 'slow.png' }, LIMITS);
      expect(doc.text).toContain('INVOICE');
    } finally {
      await fresh.close();
    }
  });
});

// Only PP-OCR turns pages: tesseract.js has no orientation model in the npm data packages (orientation.ts).
describe('local OCR engine: pages fed turned (ppocr first)', () => {
  const scans = createLocalOcrEngine({ scanEngine: 'ppocr' });
  afterAll(() => scans.close());

  it.each([
    ['upside down', 180],
    ['a quarter turn clockwise', 90],
    ['a quarter turn counter-clockwise', 270],
  ])('reads a page fed %s, in the frame of the upright page', async (_name, degrees) => {
    const scan = await renderPdfToPng(await textPdf([invoicePage()]), 150);
    const turned = await sharp(scan).rotate(degrees).withDensity(150).png().toBuffer();
    const page = valid(await scans.recognize({ bytes: new Uint8Array(turned), fileName: 'turned.png' }, LIMITS)).pages[0]!;
    const text = page.lines.map((l) => l.text).join('\n');
    for (const word of ['INVOICE', '4711', 'ACME', 'Total', '1234.50']) expect(text).toContain(word);
    expect(page.lines[0]!.text).toContain('INVOICE');
    expect(page.lines.at(-1)!.text).toContain('Total');
    // A4 portrait again: the boxes are in the upright page's frame, and its size with them.
    expect(page.width).toBeLessThan(page.height);
  });
});

const SHARED_DATA = process.env.LEDGERX_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const ZUGFERD = path.join(SHARED_DATA, 'zugferd-dev');
const INVOICE2DATA = path.join(SHARED_DATA, 'invoice2data', 'compare');

describe.skipIf(!existsSync(ZUGFERD) || !existsSync(INVOICE2DATA))('local OCR engine on the shared corpora', () => {
  it('reads the text layer and the embedded XML of ZUGFeRD / Factur-X invoices', async () => {
    type Entry = {
      file: string;
      attachments?: string[];
      labels?: { invoice_number?: string };
      visible_in_text?: Record<string, boolean>;
    };
    const entries = JSON.parse(readFileSync(path.join(ZUGFERD, 'labels.json'), 'utf8')) as Entry[];
    const picked = entries.filter((e) => (e.attachments?.length ?? 0) > 0 && existsSync(path.join(ZUGFERD, e.file))).slice(0, 8);
    expect(picked.length).toBeGreaterThan(0);
    for (const entry of picked) {
      const doc = valid(await recognize(new Uint8Array(readFileSync(path.join(ZUGFERD, entry.file))), path.basename(entry.file)));
      expect(doc.pages.every((p) => p.textSource === 'text-layer'), entry.file).toBe(true);
      expect(doc.embeddedFiles.map((f) => f.name), entry.file).toEqual(expect.arrayContaining(entry.attachments!.filter((a) => /\.xml$/i.test(a))));
      expect(doc.embeddedFiles[0]!.content, entry.file).toMatch(/^\s*</);
      const number = entry.labels?.invoice_number;
      if (number && entry.visible_in_text?.invoice_number) expect(doc.text, entry.file).toContain(number);
    }
  });

  it('reads the invoice number from the born-digital invoice2data PDFs', async () => {
    const pdfs = readdirSync(INVOICE2DATA).filter((f) => f.endsWith('.pdf')).slice(0, 6);
    for (const file of pdfs) {
      const doc = valid(await recognize(new Uint8Array(readFileSync(path.join(INVOICE2DATA, file))), file));
      expect(doc.pages.every((p) => p.textSource === 'text-layer'), file).toBe(true);
      const label = JSON.parse(readFileSync(path.join(INVOICE2DATA, file.replace(/\.pdf$/, '.json')), 'utf8')) as unknown;
      const first = (Array.isArray(label) ? label[0] : label) as { invoice_number?: string };
      if (first.invoice_number) expect(doc.text.replace(/\s/g, ''), file).toContain(first.invoice_number.replace(/\s/g, ''));
    }
  });

  it('OCRs the invoice2data PNG renders and finds their invoice numbers', async () => {
    const pngs = readdirSync(INVOICE2DATA).filter((f) => f.endsWith('.png')).slice(0, 2);
    for (const file of pngs) {
      const doc = valid(await recognize(new Uint8Array(readFileSync(path.join(INVOICE2DATA, file))), file));
      expect(doc.pages[0]!.textSource, file).toBe('ocr');
      const label = JSON.parse(readFileSync(path.join(INVOICE2DATA, file.replace(/\.png$/, '.json')), 'utf8')) as unknown;
      const first = (Array.isArray(label) ? label[0] : label) as { invoice_number?: string };
      // Low-resolution renders (Flipkart is ~67 dpi) cost a character or two; allow two edits, not more.
      if (first.invoice_number) {
        expect(closestEditDistance(doc.text.replace(/\s/g, ''), first.invoice_number.replace(/\s/g, '')), file).toBeLessThanOrEqual(2);
      }
    }
  });
});

/** Smallest Levenshtein distance between `needle` and any substring of `haystack` (approximate search). */
function closestEditDistance(haystack: string, needle: string): number {
  let prev = new Array<number>(haystack.length + 1).fill(0);
  for (let i = 1; i <= needle.length; i++) {
    const cur = [i];
    for (let j = 1; j <= haystack.length; j++) {
      const cost = needle[i - 1] === haystack[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return Math.min(...prev);
}

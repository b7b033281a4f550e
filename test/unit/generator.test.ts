import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jsvat from 'jsvat-next';
import { isValidIBAN } from 'ibantools';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus, generateDemoSet, GenerateOptionsSchema, type GenerateOptions, type Manifest, type ManifestEntry } from '../../functions/generator/index.js';
import { BORN_DIGITAL_ONLY } from '../helpers/corpus.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'ledgerx-gen-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const OPTIONS: Omit<GenerateOptions, 'outDir'> = {
  seed: 42,
  count: 36,
  supplierCount: 12,
  mix: { bornDigital: 0.62, scan: 0.08, einvoicePdf: 0.15, einvoiceXml: 0.15 },
  problemRates: {
    missingField: 0.15, arithmetic: 0.2, invalidVatId: 0.3, invalidIban: 0.3, futureDate: 0.1, dueBeforeIssue: 0.1,
    unusualAmount: 0.1, exactDuplicate: 0.06, businessDuplicate: 0.06, nearDuplicate: 0.06, badFile: 0.08,
  },
};

const cents = (n: number) => Math.round(n * 100);
const has = (d: ManifestEntry, type: string) => d.problems.some((p) => p.type === type);
const isImage = (d: ManifestEntry) => d.kind === 'scan' || d.badFile === 'non-invoice-image';

async function pdfText(bytes: Uint8Array): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  const page = await doc.getPage(1);
  const content = await page.getTextContent();
  await doc.destroy();
  return content.items.map((i) => ('str' in i ? i.str + (i.hasEOL ? '\n' : '') : '')).join('');
}

describe('generateCorpus', () => {
  let dirA: string;
  let a: Manifest;
  let b: Manifest;
  const read = (d: ManifestEntry) => readFileSync(path.join(dirA, d.file));

  beforeAll(async () => {
    dirA = tmp();
    a = await generateCorpus({ ...OPTIONS, outDir: dirA });
    b = await generateCorpus({ ...OPTIONS, outDir: tmp() });
  });

  it('writes the manifest it returns, one entry per file', () => {
    expect(JSON.parse(readFileSync(path.join(dirA, 'manifest.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(a)));
    expect(a.documents).toHaveLength(36);
    expect(new Set(a.documents.map((d) => d.file)).size).toBe(36);
    for (const d of a.documents) expect(read(d).length).toBe(d.sizeBytes);
  });

  it('is reproducible: same seed, same manifest and same bytes for PDFs and XML', () => {
    const strip = (m: Manifest) => ({ ...m, documents: m.documents.map((d) => (isImage(d) ? { ...d, sha256: '', sizeBytes: 0 } : d)) });
    expect(strip(b)).toEqual(strip(a));
    const pdfs = a.documents.filter((d) => !isImage(d));
    expect(pdfs.length).toBeGreaterThan(20);
    pdfs.forEach((d, i) => expect(b.documents.find((x) => x.file === d.file)?.sha256, d.file).toBe(pdfs[i]!.sha256));
  });

  it('changes with the seed', async () => {
    const c = await generateCorpus({ ...OPTIONS, count: 3, mix: BORN_DIGITAL_ONLY, seed: 43, outDir: tmp() });
    expect(c.documents.map((d) => d.sha256)).not.toEqual(a.documents.slice(0, 3).map((d) => d.sha256));
  });

  it('covers every kind and the injected problems it was asked for', () => {
    const kinds = new Set(a.documents.map((d) => d.kind));
    expect([...kinds].sort()).toEqual(['bad-file', 'born-digital', 'einvoice-pdf', 'einvoice-xml', 'scan']);
    const types = new Set(a.documents.flatMap((d) => d.problems.map((p) => p.type)));
    for (const t of ['missing-field', 'invalid-vat-id', 'invalid-iban', 'future-date', 'unusual-amount']) expect(types).toContain(t);
    expect(types.has('line-sum-mismatch') || types.has('total-mismatch')).toBe(true);
  });

  it('keeps net, VAT and totals consistent to the cent unless an arithmetic problem says otherwise', () => {
    for (const d of a.documents.filter((x) => x.truth)) {
      const t = d.truth!;
      const net = cents(t.fields.net_amount);
      expect(t.vat.reduce((s, v) => s + cents(v.amount), 0), d.file).toBe(net);
      expect(t.vat.reduce((s, v) => s + cents(v.tax_amount), 0), d.file).toBe(cents(t.fields.total_tax_amount));
      for (const v of t.vat) expect(Math.abs(cents(v.amount) * v.tax_rate - cents(v.tax_amount) * 100), d.file).toBeLessThanOrEqual(50);
      expect(t.line_items.length).toBeGreaterThanOrEqual(1);
      expect(t.line_items.length).toBeLessThanOrEqual(12);
      expect(new Set(t.vat.map((v) => v.tax_rate)).size).toBeLessThanOrEqual(2);
      const lineSum = t.line_items.reduce((s, l) => s + cents(l.amount), 0);
      const linesOk = t.line_items.every((l) => cents(l.amount) === Math.round(l.quantity * cents(l.unit_price)));
      if (has(d, 'line-sum-mismatch')) expect(lineSum === net && linesOk, d.file).toBe(false);
      else {
        expect(linesOk, d.file).toBe(true);
        expect(lineSum, d.file).toBe(net);
      }
      if (t.fields.total_amount !== undefined) {
        const sum = net + cents(t.fields.total_tax_amount);
        if (has(d, 'total-mismatch')) expect(cents(t.fields.total_amount)).not.toBe(sum);
        else expect(cents(t.fields.total_amount), d.file).toBe(sum);
        expect(cents(t.fields.amount_due!)).toBe(cents(t.fields.total_amount) - cents(t.amount_paid ?? 0));
      } else expect(d.problems.find((p) => p.type === 'missing-field')?.field).toBe('total_amount');
      if (t.fields.due_date && t.fields.invoice_date) expect(t.fields.due_date < t.fields.invoice_date).toBe(has(d, 'due-before-issue'));
      if (t.fields.invoice_date) expect(t.fields.invoice_date > a.asOf).toBe(has(d, 'future-date'));
    }
  });

  it('prints VAT ids and IBANs with valid checksums unless a problem says otherwise', () => {
    const countries = Object.fromEntries(jsvat.countries.map((c) => [c.codes[0], c]));
    let checked = 0;
    for (const d of a.documents.filter((x) => x.truth)) {
      const f = d.truth!.fields;
      const supplier = a.suppliers.find((s) => s.id === d.supplierId)!;
      if (supplier.country !== 'US') {
        const valid = jsvat.checkVAT(f.supplier_tax_id!, [countries[supplier.country]!]).isValid;
        expect(valid, d.file).toBe(!has(d, 'invalid-vat-id'));
        expect(isValidIBAN(f.supplier_iban!), d.file).toBe(!has(d, 'invalid-iban'));
        checked++;
      }
      expect(jsvat.checkVAT(f.receiver_tax_id!, jsvat.countries).isValid).toBe(true);
    }
    expect(checked).toBeGreaterThan(5);
    for (const s of a.suppliers.filter((x) => x.country !== 'US')) {
      expect(jsvat.checkVAT(s.taxId, [countries[s.country]!]).isValid, s.id).toBe(true);
      expect(isValidIBAN(s.iban!), s.id).toBe(true);
    }
  });

  it('puts the invoice number and the total, as formatted, into the PDF text layer', async () => {
    const pdfs = a.documents.filter((d) => (d.kind === 'born-digital' || d.kind === 'einvoice-pdf') && d.truth);
    for (const d of pdfs) {
      const text = await pdfText(read(d));
      const printed = d.truth!.printed;
      if (printed.invoice_id) expect(text, d.file).toContain(printed.invoice_id);
      if (printed.total_amount) expect(text, d.file).toContain(printed.total_amount);
      expect(text).toContain(d.truth!.fields.supplier_name);
      expect(Boolean(printed.invoice_id)).toBe(!d.problems.some((p) => p.type === 'missing-field' && p.field === 'invoice_id'));
    }
  });

  it('embeds a CII factur-x.xml in e-invoice PDFs and writes standalone CII', async () => {
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false });
    const einvoices = a.documents.filter((d) => d.kind === 'einvoice-pdf' || d.kind === 'einvoice-xml');
    expect(einvoices.length).toBeGreaterThan(1);
    for (const d of einvoices) {
      let xml: string;
      if (d.kind === 'einvoice-pdf') {
        const doc = await pdfjs.getDocument({ data: new Uint8Array(read(d)), verbosity: 0 }).promise;
        const attachments = (await doc.getAttachments()) as Record<string, { content: Uint8Array }>;
        await doc.destroy();
        xml = new TextDecoder().decode(attachments['factur-x.xml']!.content);
      } else xml = read(d).toString('utf8');
      const cii = parser.parse(xml).CrossIndustryInvoice;
      expect(cii.ExchangedDocument.ID?.toString()).toBe(d.truth!.fields.invoice_id);
      const sum = cii.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement.SpecifiedTradeSettlementHeaderMonetarySummation;
      expect(Number(sum.TaxBasisTotalAmount)).toBe(d.truth!.fields.net_amount);
      if (d.truth!.fields.total_amount !== undefined) expect(Number(sum.GrandTotalAmount)).toBe(d.truth!.fields.total_amount);
    }
  });

  it('writes scans as decodable images with their degradations recorded', async () => {
    const scans = a.documents.filter((d) => d.kind === 'scan');
    expect(scans.length).toBeGreaterThan(0);
    for (const d of scans) {
      const deg = d.degradations!;
      expect([150, 200]).toContain(deg.dpi);
      expect(Math.abs(deg.rotationDegrees)).toBeLessThanOrEqual(4);
      if (deg.format === 'pdf') {
        const doc = await PDFDocument.load(read(d));
        expect(doc.getPageCount()).toBe(1);
        expect(await pdfText(read(d))).toBe('');
      } else {
        const meta = await sharp(read(d)).metadata();
        expect(meta.format).toBe(deg.format === 'jpeg' ? 'jpeg' : deg.format);
        expect(meta.width).toBeGreaterThan(500);
        const stats = await sharp(read(d)).stats();
        expect(stats.channels[0]!.stdev).toBeGreaterThan(5);
      }
    }
  });

  it('writes bad files with the reject reason the pipeline should record', () => {
    const bad = a.documents.filter((d) => d.kind === 'bad-file');
    expect(bad.length).toBeGreaterThan(0);
    for (const d of bad) {
      expect(d.truth).toBeUndefined();
      expect(d.expectedReject).toBeDefined();
      if (d.badFile === 'zero-byte') expect(d.sizeBytes).toBe(0);
      if (d.badFile === 'truncated-pdf') {
        expect(read(d).subarray(0, 5).toString()).toBe('%PDF-');
        expect(read(d).toString('latin1')).not.toContain('%%EOF');
      }
    }
  });

  it('records duplicates against the document they copy', () => {
    for (const d of a.documents) {
      for (const p of d.problems.filter((x) => x.of)) {
        const original = a.documents.find((x) => x.file === p.of)!;
        expect(original, d.file).toBeDefined();
        if (p.type === 'exact-duplicate') expect(d.sha256).toBe(original.sha256);
        if (p.type === 'business-duplicate') expect(d.truth!.fields.invoice_id).toBe(original.truth!.fields.invoice_id);
        if (p.type === 'near-duplicate') {
          expect(d.supplierId).toBe(original.supplierId);
          expect(d.truth!.fields.invoice_id).not.toBe(original.truth!.fields.invoice_id);
          expect(Math.abs(d.truth!.fields.net_amount / original.truth!.fields.net_amount - 1)).toBeLessThanOrEqual(0.01);
        }
      }
    }
  });

  it('rejects invalid options', () => {
    expect(() => GenerateOptionsSchema.parse({ outDir: '', count: 1 })).toThrow();
    expect(() => GenerateOptionsSchema.parse({ outDir: 'x', count: 0 })).toThrow();
    expect(() => GenerateOptionsSchema.parse({ outDir: 'x', problemRates: { badFile: 2 } })).toThrow();
  });
});

describe('generateDemoSet', () => {
  it('writes the fixed demo files with stable names', async () => {
    const one = await generateDemoSet(tmp());
    expect(one.documents.map((d) => d.file)).toEqual([
      '01-invoice-en.pdf', '02-rechnung-de.pdf', '03-facture-fr.pdf', '04-facturx-de.pdf', '05-einvoice-cii.xml',
      '06-scan-skewed.jpg', '07-scan-image-only.pdf', '08-arithmetic-error.pdf', '09-invalid-vat-id.pdf',
      '10-duplicate-of-01.pdf', '11-near-duplicate-of-02.pdf', '12-future-date.pdf', '13-empty.pdf', '14-truncated.pdf',
    ]);
    expect(one.documents.slice(0, 3).map((d) => d.language)).toEqual(['en', 'de', 'fr']);
    const byFile = Object.fromEntries(one.documents.map((d) => [d.file, d]));
    expect(byFile['08-arithmetic-error.pdf']!.problems[0]!.type).toBe('total-mismatch');
    expect(byFile['09-invalid-vat-id.pdf']!.problems[0]!.type).toBe('invalid-vat-id');
    expect(byFile['10-duplicate-of-01.pdf']!.sha256).toBe(byFile['01-invoice-en.pdf']!.sha256);
    expect(byFile['13-empty.pdf']!.expectedReject).toBe('FILE_EMPTY');
    expect(byFile['14-truncated.pdf']!.expectedReject).toBe('PDF_CORRUPT');
    expect(one.documents.find((d) => d.file === '06-scan-skewed.jpg')!.degradations).toMatchObject({ format: 'jpeg', rotationDegrees: 3.2 });
    expect(one.documents.find((d) => d.file === '07-scan-image-only.pdf')!.degradations!.format).toBe('pdf');
  });
});

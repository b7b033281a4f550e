import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoSet } from '../../functions/generator/index.js';
import type { Manifest } from '../../functions/generator/schemas.js';
import type { BatchResult } from '../../functions/platform/local-batch.js';
import { processFiles, tempDir, testRuntime } from '../helpers/runtime.js';

/**
 * The whole local chain on real generated files: Storage finalize -> ocr -> features -> inference on the
 * embedded stack, compared with the generator's ground truth.
 */
describe('local pipeline end to end (demo set)', () => {
  let manifest: Manifest;
  let results: Map<string, BatchResult>;
  const cleanup: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const samples = await tempDir('demo');
    cleanup.push(samples.dispose);
    manifest = await generateDemoSet(samples.dir);
    const { runtime, dispose } = await testRuntime();
    cleanup.push(dispose);
    results = await processFiles(runtime, samples.dir, manifest.documents.map((d) => d.file));
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  const byFile = (prefix: string) => {
    const entry = [...results.entries()].find(([file]) => file.startsWith(prefix));
    if (!entry) throw new Error(`no result for ${prefix}`);
    return entry[1];
  };
  const reasonCodes = (r: BatchResult) => r.record?.decision?.reasons.map((x) => x.code) ?? [];
  const validationFailures = (r: BatchResult) => (r.record?.validations ?? []).filter((v) => !v.passed).map((v) => v.code);

  it('brings every file to a terminal state', () => {
    expect(results.size).toBe(manifest.documents.length);
    for (const [file, r] of results) expect(['SCORED', 'REJECTED'], file).toContain(r.record?.status);
  });

  it('reads the key fields of born-digital, Factur-X and XML invoices exactly', () => {
    for (const doc of manifest.documents.filter((d) => ['born-digital', 'einvoice-pdf', 'einvoice-xml'].includes(d.kind) && d.problems.length === 0)) {
      const fields = results.get(doc.file)?.record?.invoice?.fields;
      const truth = doc.truth!.fields;
      expect(fields?.invoice_id?.value, doc.file).toBe(truth.invoice_id);
      expect(fields?.invoice_date?.value, doc.file).toBe(truth.invoice_date);
      expect(fields?.total_amount?.value, doc.file).toBeCloseTo(truth.total_amount!, 2);
      expect(fields?.currency?.value, doc.file).toBe(truth.currency);
    }
  });

  it('takes the e-invoice path for Factur-X and standalone XML', () => {
    expect(byFile('04-facturx').record?.invoice?.extraction.method).toBe('einvoice');
    expect(byFile('05-einvoice').record?.invoice?.extraction.method).toBe('einvoice');
    expect(byFile('01-invoice-en').record?.invoice?.extraction.method).toBe('ocr');
  });

  it('OCRs scans (skewed JPEG, image-only PDF) into scored records with page quality', () => {
    for (const prefix of ['06-scan', '07-scan']) {
      const r = byFile(prefix);
      expect(r.record?.status).toBe('SCORED');
      expect(r.record?.features?.is_scanned, prefix).toBe(1);
    }
    const jpeg = byFile('06-scan');
    expect(jpeg.record?.invoice?.fields.total_amount?.value).toBeCloseTo(manifest.documents.find((d) => d.file.startsWith('06-'))!.truth!.fields.total_amount!, 2);
  });

  it('flags arithmetic errors, invalid VAT ids and duplicates with specific codes', () => {
    expect(validationFailures(byFile('08-arithmetic'))).toEqual(expect.arrayContaining([expect.stringMatching(/^ARITH_/)]));
    expect(validationFailures(byFile('09-invalid-vat'))).toEqual(expect.arrayContaining([expect.stringMatching(/^VAT_ID/)]));
    const dup = byFile('10-duplicate');
    expect(dup.record?.decision?.decision).toBe('REJECT');
    expect(reasonCodes(dup)).toEqual(expect.arrayContaining(['DUP_CONTENT_HASH']));
    expect(reasonCodes(byFile('11-near-duplicate'))).toEqual(expect.arrayContaining(['DUP_NEAR']));
    // The original of the duplicate is not itself a duplicate: only later copies are flagged.
    expect(reasonCodes(byFile('01-invoice-en'))).not.toContain('DUP_CONTENT_HASH');
  });

  it('rejects bad files with the reason the generator expects, and keeps their records', () => {
    for (const doc of manifest.documents.filter((d) => d.kind === 'bad-file')) {
      const r = results.get(doc.file)!;
      expect(r.record?.status, doc.file).toBe('REJECTED');
      expect(r.record?.rejection?.code, doc.file).toBe(doc.expectedReject);
    }
  });

  it('says when the decision used rules alone', () => {
    const clean = byFile('02-rechnung');
    expect(clean.record?.decision?.basis).toBe('rules');
    expect(reasonCodes(clean)).toContain('NO_MODELS');
  });
});

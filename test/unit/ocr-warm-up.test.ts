import { describe, expect, it } from 'vitest';
import { ocrWarmUp } from '../../functions/cli/commands/process.js';

describe('what `ledgerx process` loads ahead for its inputs', () => {
  it('gives a folder of scans every core, at most one OCR thread per scan', () => {
    expect(ocrWarmUp(['a.jpg', 'b.png', 'c.tiff', 'd.jpeg'], 2)).toEqual({ scans: true, pdfs: false, threads: 2 });
    expect(ocrWarmUp(['a.jpg', 'b.png'], 8)).toEqual({ scans: true, pdfs: false, threads: 2 });
  });

  it('gives one scan alone one OCR thread whose PP-OCR networks use every core', () => {
    expect(ocrWarmUp(['receipt.jpg'], 2)).toEqual({ scans: true, pdfs: false, threads: 1, ppocrThreads: 2 });
    expect(ocrWarmUp(['receipt.jpg'], 1)).toEqual({ scans: true, pdfs: false });
  });

  it('keeps the default threads (a core for the main thread) for mostly born-digital input', () => {
    expect(ocrWarmUp(['a.pdf', 'b.pdf', 'c.pdf', 'd.jpg', 'e.png'], 2)).toEqual({ scans: true, pdfs: true });
    expect(ocrWarmUp(['a.pdf', 'b.xml'], 2)).toEqual({ scans: false, pdfs: true });
  });

  it('counts half scans as a scan batch and tells image types by extension, in any case', () => {
    expect(ocrWarmUp(['a.pdf', 'B.JPG', 'c.pdf', 'd.WebP'], 4)).toEqual({ scans: true, pdfs: true, threads: 2 });
  });
});

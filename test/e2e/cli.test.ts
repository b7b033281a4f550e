import { spawn } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../functions/generator/index.js';
import { tempDir } from '../helpers/runtime.js';
import { NO_PROBLEMS } from '../helpers/corpus.js';
import { ledgerx, LEDGERX_BIN } from '../helpers/cli.js';


describe('the ledgerx command on real files', () => {
  let inbox: string;
  let dataDir: string;
  const cleanup: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const a = await tempDir('cli-in');
    const b = await tempDir('cli-data');
    cleanup.push(a.dispose, b.dispose);
    inbox = a.dir;
    dataDir = b.dir;
    await generateCorpus({
      outDir: inbox, count: 4, seed: 5,
      mix: { bornDigital: 1, scan: 0, einvoicePdf: 1, einvoiceXml: 0 },
      problemRates: NO_PROBLEMS,
    });
    await writeFile(join(inbox, 'zero.pdf'), '');
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('process --json prints one line per input file and exits 0 even when one is bad', async () => {
    const { stdout, code } = await ledgerx(['--data-dir', dataDir, 'process', '--json', inbox]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const inputs = (await readdir(inbox)).filter((n) => !n.startsWith('.'));
    expect(lines).toHaveLength(inputs.length);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['file', 'invoiceId', 'status', 'decision', 'reasons', 'fields', 'validations', 'scores', 'timings']));
    }
    const zero = lines.find((l) => String(l.file).endsWith('zero.pdf'))!;
    const manifest = lines.find((l) => String(l.file).endsWith('manifest.json'))!;
    expect(manifest.reasons).toEqual([expect.objectContaining({ code: 'UNSUPPORTED_TYPE' })]);
    expect(zero.status).toBe('REJECTED');
    expect(zero.reasons).toEqual([expect.objectContaining({ code: 'FILE_EMPTY' })]);
    expect(lines.filter((l) => l.status === 'SCORED')).toHaveLength(4);
  });

  it('process reads a folder of scans with an OCR thread per core, twice the same scan included, one result each', async () => {
    const scans = await tempDir('cli-scans');
    const data = await tempDir('cli-scans-data');
    cleanup.push(scans.dispose, data.dispose);
    await generateCorpus({
      outDir: scans.dir, count: 2, seed: 11,
      mix: { bornDigital: 0, scan: 1, einvoicePdf: 0, einvoiceXml: 0 },
      problemRates: NO_PROBLEMS,
    });
    const images = (await readdir(scans.dir)).filter((n) => /\.(png|jpe?g|tiff?)$/i.test(n)).sort();
    expect(images.length).toBe(2);
    await copyFile(join(scans.dir, images[0]!), join(scans.dir, `copy-${images[0]!}`));
    const { stdout, code } = await ledgerx(['--data-dir', data.dir, 'process', '--json', ...[...images, `copy-${images[0]!}`].map((n) => join(scans.dir, n))]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; status: string; decision: string; reasons: Array<{ code: string }>; extraction: { method: string } });
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.status).toBe('SCORED');
    for (const line of lines) expect(line.extraction.method).toBe('ocr');
    // Read on two threads at once, the copy is still caught as the same file sent twice.
    const dups = lines.filter((l) => l.reasons.some((r) => r.code === 'DUP_CONTENT_HASH'));
    expect(dups).toHaveLength(1);
    expect(dups[0]!.decision).toBe('REJECT');
  }, 120_000);

  it('--no-einvoice reads Factur-X PDFs from their text', async () => {
    const data = await tempDir('cli-noe');
    cleanup.push(data.dispose);
    const { stdout } = await ledgerx(['--data-dir', data.dir, 'process', '--json', '--no-einvoice', inbox]);
    const methods = stdout.trim().split('\n').map((l) => (JSON.parse(l) as { extraction: { method: string } | null }).extraction?.method);
    expect(methods).not.toContain('einvoice');
    expect(methods).toContain('ocr');
  });

  it('exports what was processed as CSV and JSON lines', async () => {
    const csv = await ledgerx(['--data-dir', dataDir, 'export', '--format', 'csv']);
    const inputs = (await readdir(inbox)).filter((n) => !n.startsWith('.'));
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ledgerx_id,file,status,decision/);
    expect(rows).toHaveLength(1 + inputs.length);
    const jsonl = await ledgerx(['--data-dir', dataDir, 'export', '--format', 'jsonl']);
    const records = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l) as { fileName: string; status: string });
    expect(records.map((r) => r.fileName).sort()).toEqual([...inputs].sort());
    // manifest.json (not an invoice format) and the empty PDF are the two rejections.
    expect(records.filter((r) => r.status === 'REJECTED').map((r) => r.fileName).sort()).toEqual(['manifest.json', 'zero.pdf']);
  });

  it('usage shows the pages the local OCR engine read this month (the OCR cache serves repeats)', async () => {
    const { stdout, code } = await ledgerx(['--data-dir', dataDir, 'usage', '--json']);
    expect(code).toBe(0);
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as { month: string; pages: number });
    expect(rows).toEqual([{ month: new Date().toISOString().slice(0, 7), pages: 4 }]);
    const text = await ledgerx(['--data-dir', dataDir, 'usage', '--month', '2001-01']);
    expect(text.stdout).toBe('2001-01         0 pages\n');
  });

  it('lists dead letters (none after a clean run)', async () => {
    const { stdout, code } = await ledgerx(['--data-dir', dataDir, 'dead-letters', 'list']);
    expect(code).toBe(0);
    expect(stdout).toContain('no dead letters');
  });

  it.each([
    [['process', '/definitely/not/here'], /no such file or folder/],
    [['process', ''], /an empty path was given/],
    [['--data-dir', '', 'summary'], /--data-dir.*an empty path was given/],
    [['export', '--format', 'xml'], /csv or jsonl/],
    [['frobnicate'], /unknown command/],
  ])('exits 2 on a usage error: %s', async (args, message) => {
    const { stderr, code } = await ledgerx(['--data-dir', dataDir, ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('exits 2 on an unknown scan engine, naming the accepted ones', async () => {
    const { stderr, code } = await ledgerx(['--data-dir', dataDir, 'process', inbox], { LEDGERX_SCAN_ENGINE: 'paddle' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/LEDGERX_SCAN_ENGINE must be one of tesseract, ppocr/);
  });

  it('reads scans with PP-OCR when chosen: two copies of one scan at once are one invoice and its duplicate', async () => {
    const scans = await tempDir('cli-ppocr-in');
    const data = await tempDir('cli-ppocr-data');
    cleanup.push(scans.dispose, data.dispose);
    await generateCorpus({
      outDir: scans.dir, count: 1, seed: 5, scanFormats: ['png'],
      mix: { bornDigital: 0, scan: 1, einvoicePdf: 0, einvoiceXml: 0 },
      problemRates: NO_PROBLEMS,
    });
    const png = (await readdir(scans.dir)).find((n) => n.endsWith('.png'))!;
    await copyFile(join(scans.dir, png), join(scans.dir, `copy-${png}`));
    const { stdout, code } = await ledgerx(['--data-dir', data.dir, 'process', '--json', join(scans.dir, png), join(scans.dir, `copy-${png}`)], { LEDGERX_SCAN_ENGINE: 'ppocr' });
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; extraction: { method: string } | null; reasons: Array<{ code: string }> });
    expect(lines.map((l) => l.status)).toEqual(['SCORED', 'SCORED']);
    expect(lines.every((l) => l.extraction?.method === 'ocr')).toBe(true);
    expect(lines.filter((l) => l.reasons.some((r) => r.code === 'DUP_CONTENT_HASH'))).toHaveLength(1);
  }, 120_000);

  it('serve processes a file dropped into the watched folder', async () => {
    const data = await tempDir('cli-serve');
    cleanup.push(data.dispose);
    const child = spawn(process.execPath, [LEDGERX_BIN, '--data-dir', data.dir, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      await waitFor(() => stderr.includes('watching'), 30_000);
      const pdf = (await readdir(inbox)).find((n) => n.endsWith('.pdf') && n !== 'zero.pdf')!;
      await copyFile(join(inbox, pdf), join(data.dir, 'drop', pdf));
      await waitFor(() => stdout.includes('\n'), 60_000);
      const line = JSON.parse(stdout.trim().split('\n')[0]!) as { file: string; status: string };
      expect(line).toMatchObject({ file: pdf, status: 'SCORED' });
    } finally {
      child.kill('SIGTERM');
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

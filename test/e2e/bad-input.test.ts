import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEncryptedPdf } from '../fixtures/ocr/encrypted-pdf.js';
import { invoicePage, textPdf } from '../fixtures/ocr/documents.js';
import type { BatchResult } from '../../functions/platform/local-batch.js';
import { processFiles, tempDir, testRuntime } from '../helpers/runtime.js';

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">&lol2;</rsm:CrossIndustryInvoice>`;
const XXE = `<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>`;

/**
 * Every kind of bad input ends REJECTED with a specific reason code; the batch goes on, and the file and its
 * record stay (nothing is silently dropped).
 */
describe('bad input gets a clear end', () => {
  let results: Map<string, BatchResult>;
  const cleanup: Array<() => Promise<void>> = [];
  const expected: Record<string, string> = {
    'empty.pdf': 'FILE_EMPTY',
    'truncated.pdf': 'PDF_CORRUPT',
    'garbage.pdf': 'PDF_CORRUPT',
    'password.pdf': 'PDF_PASSWORD_PROTECTED',
    'unknown-handler.pdf': 'PDF_ENCRYPTED',
    'too-many-pages.pdf': 'TOO_MANY_PAGES',
    'oversized.png': 'FILE_TOO_LARGE',
    'notes.docx': 'UNSUPPORTED_TYPE',
    'readme.txt': 'UNSUPPORTED_TYPE',
    'blank.png': 'NO_TEXT_FOUND',
    'broken.jpg': 'IMAGE_CORRUPT',
    'billion-laughs.xml': 'XML_HOSTILE',
    'xxe.xml': 'XML_HOSTILE',
    'not-an-invoice.pdf': 'NOT_AN_INVOICE',
  };

  beforeAll(async () => {
    const files = await tempDir('bad');
    cleanup.push(files.dispose);
    const w = (name: string, data: Uint8Array | string) => writeFile(join(files.dir, name), data);
    const good = await textPdf([invoicePage()]);
    await w('good.pdf', good);
    await w('empty.pdf', new Uint8Array());
    await w('truncated.pdf', good.subarray(0, Math.floor(good.length / 2)));
    await w('garbage.pdf', '%PDF-1.7\n' + 'x'.repeat(500) + '\n%%EOF\n');
    await w('password.pdf', buildEncryptedPdf({ userPassword: 'secret', ownerPassword: 'owner', text: 'Invoice 1' }));
    await w('unknown-handler.pdf', buildEncryptedPdf({ userPassword: '', ownerPassword: 'owner', text: 'Invoice 2', filter: 'FancyCrypt' }));
    const many = await PDFDocument.create();
    for (let i = 0; i < 20; i++) many.addPage().drawText(`Page ${i + 1}`);
    await w('too-many-pages.pdf', await many.save());
    await w('oversized.png', await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer());
    await w('notes.docx', Buffer.from('PK\u0003\u0004 this is not a real docx'));
    await w('readme.txt', 'Just some notes, nothing to see.');
    await w('blank.png', await sharp({ create: { width: 800, height: 1000, channels: 3, background: '#ffffff' } }).png().toBuffer());
    await w('broken.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]));
    await w('billion-laughs.xml', BILLION_LAUGHS);
    await w('xxe.xml', XXE);
    await w('not-an-invoice.pdf', await textPdf([[
      { text: 'Meeting notes', x: 72, y: 760, size: 20 },
      { text: 'Agenda: quarterly planning and hiring', x: 72, y: 720, size: 12 },
      { text: 'Attendees: the whole team', x: 72, y: 700, size: 12 },
    ]]));

    const { runtime, dispose } = await testRuntime({ pipelineConfig: { ocr: { maxBytes: 2 * 1024 * 1024, maxPages: 15 } } });
    cleanup.push(dispose);
    results = await processFiles(runtime, files.dir, ['good.pdf', ...Object.keys(expected)]);
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it.each(Object.entries(expected))('%s ends REJECTED with %s', (file, code) => {
    const record = results.get(file)?.record;
    expect(record?.status).toBe('REJECTED');
    expect(record?.rejection?.code).toBe(code);
    expect(record?.source.name).toBe(`test/${file}`);
  });

  it('still processes the good file in the same batch', () => {
    expect(results.get('good.pdf')?.record?.status).toBe('SCORED');
  });
});

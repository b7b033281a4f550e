import { describe, expect, it } from 'vitest';
import { detectFileType, mimeTypeOf, type FileType } from '../../functions/core/invoice/file-type.js';

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : p)));

describe('detectFileType', () => {
  it.each<[string, Uint8Array, FileType]>([
    ['pdf', bytes('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj'), 'pdf'],
    ['pdf after junk bytes (tolerated by readers)', bytes([0, 0, 0], '%PDF-1.4\n'), 'pdf'],
    ['png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'png'],
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16]), 'jpeg'],
    ['tiff little endian', bytes([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), 'tiff'],
    ['tiff big endian', bytes([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]), 'tiff'],
    ['webp', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'webp'],
    ['xml with declaration', bytes('<?xml version="1.0" encoding="UTF-8"?><Invoice/>'), 'xml'],
    ['xml with BOM', bytes([0xef, 0xbb, 0xbf], '<?xml version="1.0"?><a/>'), 'xml'],
    ['xml with leading whitespace', bytes('\r\n  \t<?xml version="1.0"?><a/>'), 'xml'],
    ['xml without declaration, namespaced root', bytes('<rsm:CrossIndustryInvoice xmlns:rsm="urn:x"/>'), 'xml'],
    ['xml after a comment', bytes('<!-- generated --> <Invoice xmlns="urn:oasis"/>'), 'xml'],
    ['xml in UTF-16 LE', new Uint8Array([0xff, 0xfe, ...Buffer.from('<?xml version="1.0"?><a/>', 'utf16le')]), 'xml'],
    ['html is not xml', bytes('<html><body>hi</body></html>'), 'unknown'],
    ['html doctype is not xml', bytes('<!DOCTYPE html><html></html>'), 'unknown'],
    ['plain text', bytes('Invoice 123 total 45.00'), 'unknown'],
    ['zip / docx', bytes([0x50, 0x4b, 0x03, 0x04, 20, 0]), 'unknown'],
    ['RIFF that is not WebP (wav)', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), 'unknown'],
    ['empty', new Uint8Array(0), 'unknown'],
    ['truncated png signature', bytes([0x89, 0x50, 0x4e]), 'unknown'],
  ])('%s', (_name, input, expected) => {
    expect(detectFileType(input)).toBe(expected);
  });

  it('finds %PDF- only within the first KiB', () => {
    const late = new Uint8Array(2048);
    late.set(Buffer.from('%PDF-1.4'), 1500);
    expect(detectFileType(late)).toBe('unknown');
  });

  it('maps types to MIME types', () => {
    expect(mimeTypeOf('pdf')).toBe('application/pdf');
    expect(mimeTypeOf('tiff')).toBe('image/tiff');
    expect(mimeTypeOf('xml')).toBe('application/xml');
    expect(mimeTypeOf('unknown')).toBe('application/octet-stream');
  });
});

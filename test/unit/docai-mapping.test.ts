import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DocumentAiResponseError, documentAiToOcrDocument } from '../../functions/adapters/gcp/docai-mapping.js';
import { OcrDocumentSchema, type Entity, type OcrDocument } from '../../functions/core/ocr-document.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const SHARED = process.env.LEDGERX_SHARED_DATA ?? path.resolve(REPO_ROOT, '../shared/data');
const DIR = path.join(SHARED, 'docai-samples');

const entity = (doc: OcrDocument, type: string): Entity | undefined => doc.entities.find((e) => e.type === type);

// A small invoice text and the same Document in both JSON dialects.
const TEXT = 'Invoice 42\nTotal 62.86 EUR\n';
const camelDoc = {
  mimeType: 'application/pdf',
  text: TEXT,
  pages: [
    {
      pageNumber: 1,
      dimension: { width: 1700, height: 2200, unit: 'pixels' },
      detectedLanguages: [{ languageCode: 'fr' }, { languageCode: 'und' }],
      imageQualityScores: { qualityScore: 0.8, detectedDefects: [{ type: 'quality/defect_blurry', confidence: 0.7 }] },
      lines: [
        { layout: { textAnchor: { textSegments: [{ endIndex: '11' }] }, confidence: 0.98, boundingPoly: { normalizedVertices: [{ x: 0.1, y: 0.1 }, { x: 0.3, y: 0.1 }, { x: 0.3, y: 0.12 }, { x: 0.1, y: 0.12 }] } } },
        { layout: { textAnchor: { textSegments: [{ startIndex: '11', endIndex: '28' }] }, confidence: 0.9, boundingPoly: { vertices: [{ x: 170, y: 440 }, { x: 850, y: 440 }, { x: 850, y: 484 }, { y: 484, x: 170 }] } } },
      ],
      tokens: [
        { layout: { textAnchor: { textSegments: [{ endIndex: '8' }] }, confidence: 0.99 } },
        { layout: { textAnchor: { textSegments: [{ startIndex: '8', endIndex: '11' }] }, confidence: 0.97 } },
        { layout: { textAnchor: { textSegments: [{ startIndex: '11', endIndex: '17' }] }, confidence: 0.9 } },
        { layout: { textAnchor: { textSegments: [{ startIndex: '17', endIndex: '23' }] }, confidence: 0.9 } },
        { layout: { textAnchor: { textSegments: [{ startIndex: '23', endIndex: '28' }] }, confidence: 0.9 } },
      ],
    },
  ],
  entities: [
    {
      type: 'total_amount',
      mentionText: '62.86',
      confidence: 0.93,
      textAnchor: { textSegments: [{ startIndex: '17', endIndex: '22' }] },
      pageAnchor: { pageRefs: [{ boundingPoly: { normalizedVertices: [{ x: 0.2, y: 0.2 }, { x: 0.25, y: 0.2 }, { x: 0.25, y: 0.22 }, { x: 0.2, y: 0.22 }] } }] },
      normalizedValue: { text: '62.86 EUR', moneyValue: { currencyCode: 'EUR', units: '62', nanos: 860000000 } },
    },
    { type: 'invoice_date', mentionText: '1/2/2024', confidence: 0.5, normalizedValue: { text: '2024-02-01', dateValue: { year: 2024, month: 2, day: 1 } } },
    {
      type: 'line_item',
      mentionText: 'Widget 62.86',
      confidence: 1,
      properties: [
        { type: 'line_item/amount', mentionText: '62.86', confidence: 0.4, normalizedValue: { text: '62.86' } },
        { type: 'line_item/description', mentionText: 'Widget', confidence: 0.6 },
      ],
    },
    { type: 'invoice_id', textAnchor: { textSegments: [{ startIndex: '8', endIndex: '10' }] } },
  ],
};

/** The snake_case proto-JSON spelling of a camelCase document (as proto-plus MessageToDict writes it). */
function snake(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snake);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k === 'type' ? 'type_' : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(v)]),
  );
}

describe('documentAiToOcrDocument on inline documents', () => {
  it.each([
    ['camelCase, bare', camelDoc],
    ['camelCase, wrapped in {document}', { document: camelDoc }],
    ['snake_case proto JSON', snake(camelDoc)],
  ])('%s', (_name, input) => {
    const doc = documentAiToOcrDocument(input, { processorVersion: 'pretrained-invoice-v2.0-2023-12-06', elapsedMs: 1234 });
    expect(OcrDocumentSchema.safeParse(doc).success).toBe(true);
    expect(doc).toMatchObject({ text: TEXT, mimeType: 'application/pdf', engine: { name: 'docai', version: 'pretrained-invoice-v2.0-2023-12-06' }, elapsedMs: 1234 });
    const page = doc.pages[0]!;
    expect(page).toMatchObject({ pageNumber: 1, width: 1700, height: 2200, textSource: 'docai', languages: ['fra'] });
    expect(page.quality).toBeNull();
    expect(page.reportedQuality).toEqual({ score: 0.8, defects: { blurry: 0.7 } });
    expect(page.lines.map((l) => [l.text, l.confidence, l.tokens.map((t) => t.text)])).toEqual([
      ['Invoice 42', 0.98, ['Invoice', '42']],
      ['Total 62.86 EUR', 0.9, ['Total', '62.86', 'EUR']],
    ]);
    expect(page.lines[0]!.box).toEqual({ x: 0.1, y: 0.1, w: expect.closeTo(0.2, 9), h: expect.closeTo(0.02, 9) });
    // Pixel vertices are normalized by the page dimension.
    expect(page.lines[1]!.box).toEqual({ x: 0.1, y: 0.2, w: expect.closeTo(0.4, 9), h: expect.closeTo(0.02, 9) });

    expect(entity(doc, 'total_amount')).toMatchObject({
      mentionText: '62.86',
      confidence: 0.93,
      pageNumber: 1,
      box: { x: 0.2, y: 0.2 },
      normalizedValue: { text: '62.86 EUR', money: { currencyCode: 'EUR', amount: 62.86 } },
    });
    expect(entity(doc, 'invoice_date')?.normalizedValue).toEqual({ text: '2024-02-01', date: '2024-02-01' });
    const lineItem = entity(doc, 'line_item')!;
    expect(lineItem.properties.map((p) => [p.type, p.mentionText, p.normalizedValue?.money?.amount])).toEqual([
      ['line_item/amount', '62.86', 62.86],
      ['line_item/description', 'Widget', undefined],
    ]);
    // Proto3 JSON omits defaults: no confidence means 0; a missing mention text comes from the text anchor.
    expect(entity(doc, 'invoice_id')).toMatchObject({ mentionText: '42', confidence: 0 });
  });

  it('rejects JSON that is not a Document', () => {
    expect(() => documentAiToOcrDocument({ pages: 'nope' })).toThrow(DocumentAiResponseError);
    expect(() => documentAiToOcrDocument({ text: 5 })).toThrow(DocumentAiResponseError);
  });

  it('composes negative money from units and nanos', () => {
    const doc = documentAiToOcrDocument({
      text: '',
      entities: [{ type: 'total_amount', confidence: 1, normalizedValue: { moneyValue: { units: '-8', nanos: -790000000 } } }],
    });
    expect(doc.entities[0]!.normalizedValue?.money?.amount).toBe(-8.79);
  });
});

// ------------------------------------------------------------------------------------------ saved responses

interface Expected {
  file: string;
  /** entity type -> expected mention text and/or normalized value */
  entities?: Record<string, { mention?: string; date?: string; money?: number; currency?: string; text?: string }>;
  minPages?: number;
  quality?: boolean;
}

// Values as listed in docai-samples/SOURCE.md (and visible in the responses themselves).
const SAMPLES: Expected[] = [
  {
    file: 'web-app-demo/invoiceTestProto.json',
    entities: {
      invoice_id: { mention: '1001' },
      invoice_date: { mention: '2020/01/01', date: '2020-01-01' },
      total_amount: { mention: '2140.00', money: 2140 },
      total_tax_amount: { mention: '$140.00', money: 140, currency: 'USD' },
      net_amount: { mention: '2000.00', money: 2000 },
      supplier_name: { mention: 'Google Singapore' },
      currency: { mention: '$', text: 'USD' },
      line_item: {},
    },
  },
  { file: 'web-app-demo/ocrTestProto.json' },
  { file: 'web-app-demo/formTestProto.json' },
  {
    file: 'pix2info/invoice/a. Energy invoice (stained).json',
    minPages: 2,
    entities: {
      invoice_id: { mention: '12345678901' },
      invoice_date: { mention: '11/12/2022', date: '2022-12-11' },
      total_amount: { mention: '62,86', money: 62.86 },
      net_amount: { mention: '54,87', money: 54.87 },
      total_tax_amount: { mention: '7,99', money: 7.99 },
      currency: { mention: '€', text: 'EUR' },
      supplier_name: { mention: 'EDF' },
    },
  },
  { file: 'pix2info/invoice/b. Packing list with barcode.json' },
  { file: 'pix2info/expense/b. Enrichments.json', entities: { currency: { mention: '€' } } },
  {
    file: 'toolbox/toolbox_invoice_test-0.json',
    entities: {
      invoice_id: { mention: 'NO. 001' },
      invoice_date: { mention: '01/01/1970', date: '1970-01-01' },
      total_amount: { mention: '2140.00', money: 2140 },
      net_amount: { mention: '2000.00', money: 2000 },
      supplier_name: { mention: 'Company ABC' },
      currency: { mention: '$', text: 'USD' },
    },
  },
  { file: 'toolbox/toolbox_invoice_test-with-symbols.json', quality: true, entities: { quality_score: {} } },
  { file: 'toolbox/procurement_splitter_output.json', minPages: 7, entities: { invoice_statement: {} } },
];

describe.skipIf(!existsSync(DIR))('documentAiToOcrDocument on saved Document AI responses', () => {
  it.each(SAMPLES.map((s) => [s.file, s] as const))('%s', (_name, sample) => {
    const raw = JSON.parse(readFileSync(path.join(DIR, sample.file), 'utf8')) as Record<string, unknown>;
    const responseDoc = (raw['document'] ?? raw) as { text?: string; pages?: unknown[]; entities?: unknown[] };
    const doc = documentAiToOcrDocument(raw);

    expect(OcrDocumentSchema.safeParse(doc).success).toBe(true);
    expect(doc.text).toBe(responseDoc.text ?? '');
    expect(doc.pages).toHaveLength(responseDoc.pages?.length ?? 0);
    expect(doc.pages.length).toBeGreaterThanOrEqual(sample.minPages ?? 1);
    expect(doc.entities).toHaveLength(responseDoc.entities?.length ?? 0);
    for (const page of doc.pages) {
      expect(page.textSource).toBe('docai');
      if (!sample.quality) expect(page.reportedQuality).toBeUndefined();
      for (const line of page.lines) {
        expect(line.text.length).toBeGreaterThan(0);
        expect(doc.text).toContain(line.text);
      }
    }
    if (doc.text.length > 0 && doc.pages.some((p) => p.lines.length > 0)) {
      // Every non-blank character of the response is covered by some line of the mapped pages.
      const lineChars = doc.pages.flatMap((p) => p.lines).reduce((n, l) => n + l.text.replace(/\s/g, '').length, 0);
      expect(lineChars).toBe(doc.text.replace(/\s/g, '').length);
    }
    if (sample.quality) {
      expect(doc.pages[0]!.reportedQuality).toMatchObject({ score: expect.closeTo(0.918, 3), defects: { glare: expect.closeTo(0.667, 3) } });
    }
    for (const [type, want] of Object.entries(sample.entities ?? {})) {
      const got = entity(doc, type);
      expect(got, type).toBeDefined();
      if (want.mention !== undefined) expect(got!.mentionText, type).toBe(want.mention);
      if (want.date !== undefined) expect(got!.normalizedValue?.date, type).toBe(want.date);
      if (want.money !== undefined) expect(got!.normalizedValue?.money?.amount, type).toBe(want.money);
      if (want.currency !== undefined) expect(got!.normalizedValue?.money?.currencyCode, type).toBe(want.currency);
      if (want.text !== undefined) expect(got!.normalizedValue?.text, type).toBe(want.text);
    }
  });

  it('keeps nested line_item and vat properties with boxes and page numbers', () => {
    const doc = documentAiToOcrDocument(JSON.parse(readFileSync(path.join(DIR, 'toolbox/toolbox_invoice_test-0.json'), 'utf8')));
    const items = doc.entities.filter((e) => e.type === 'line_item');
    expect(items.length).toBe(3);
    expect(items[0]!.properties.map((p) => p.type)).toEqual(expect.arrayContaining(['line_item/description', 'line_item/amount']));
    const vat = entity(doc, 'vat')!;
    expect(vat.properties[0]).toMatchObject({ type: 'vat/tax_amount', mentionText: '$140.00', pageNumber: 1 });
    expect(vat.box!.w).toBeGreaterThan(0);
    expect(vat.box!.x).toBeGreaterThan(0.5);
  });
});

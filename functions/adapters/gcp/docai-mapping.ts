/**
 * Maps a Google Document AI `Document` (as JSON) onto the project's {@link OcrDocument}.
 *
 * Pure: no SDK import, so it is tested on saved responses and shared by the online and batch paths. Accepts the
 * REST/JSON form (camelCase), the proto-plus/`MessageToDict` form (snake_case, `type_`), bare or wrapped in
 * `{ document }`, and the objects the Node client returns (gax decodes with proto-loader's `defaults: true`:
 * every unset message field is `null` and every unset string `''`). Proto3 JSON omits default values, so an
 * absent number means 0 (a `startIndex`, a page index, a vertex coordinate, a confidence).
 */
import { z } from 'zod';
import type { Box } from '../../core/geometry.js';
import {
  OCR_DOCUMENT_SCHEMA_VERSION,
  OcrDocumentSchema,
  type Entity,
  type Line,
  type OcrDocument,
  type Page,
  type ReportedQuality,
  type Token,
} from '../../core/ocr-document.js';

// ------------------------------------------------------------------------------------------ input schema

/** int64 values arrive as JSON strings (proto3 JSON), int32 as numbers. */
const Int = z.union([z.number(), z.string().regex(/^-?\d+$/).transform(Number)]);
const Num = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?(e-?\d+)?$/i).transform(Number)]);

const TextAnchorIn = z.object({
  textSegments: z.array(z.object({ startIndex: Int.default(0), endIndex: Int.default(0) })).default([]),
  content: z.string().optional(),
});
const VertexIn = z.object({ x: Num.default(0), y: Num.default(0) });
const BoundingPolyIn = z.object({
  vertices: z.array(VertexIn).default([]),
  normalizedVertices: z.array(VertexIn).default([]),
});
const LayoutIn = z.object({
  textAnchor: TextAnchorIn.optional(),
  confidence: Num.default(0),
  boundingPoly: BoundingPolyIn.optional(),
});
const LayoutHolderIn = z.object({ layout: LayoutIn.optional() });
type LayoutHolderIn = z.infer<typeof LayoutHolderIn>;

const PageIn = z.object({
  pageNumber: Int.optional(),
  dimension: z.object({ width: Num, height: Num, unit: z.string().optional() }).optional(),
  image: z.object({ width: Int.optional(), height: Int.optional() }).optional(),
  layout: LayoutIn.optional(),
  blocks: z.array(LayoutHolderIn).default([]),
  paragraphs: z.array(LayoutHolderIn).default([]),
  lines: z.array(LayoutHolderIn).default([]),
  tokens: z.array(LayoutHolderIn).default([]),
  detectedLanguages: z.array(z.object({ languageCode: z.string().optional() })).default([]),
  imageQualityScores: z
    .object({
      qualityScore: Num.default(0),
      detectedDefects: z.array(z.object({ type: z.string().default(''), confidence: Num.default(0) })).default([]),
    })
    .optional(),
});
type PageIn = z.infer<typeof PageIn>;

const NormalizedValueIn = z.object({
  text: z.string().optional(),
  moneyValue: z.object({ currencyCode: z.string().optional(), units: Int.default(0), nanos: Int.default(0) }).optional(),
  dateValue: z.object({ year: Int.optional(), month: Int.optional(), day: Int.optional() }).optional(),
});

const PageRefIn = z.object({ page: Int.default(0), boundingPoly: BoundingPolyIn.optional() });

interface EntityIn {
  type: string;
  mentionText?: string | undefined;
  confidence: number;
  textAnchor?: z.infer<typeof TextAnchorIn> | undefined;
  pageAnchor?: { pageRefs: Array<z.infer<typeof PageRefIn>> } | undefined;
  normalizedValue?: z.infer<typeof NormalizedValueIn> | undefined;
  properties: EntityIn[];
}
const EntityIn: z.ZodType<EntityIn, unknown> = z.lazy(() =>
  z.object({
    type: z.string().default(''),
    mentionText: z.string().optional(),
    confidence: Num.default(0),
    textAnchor: TextAnchorIn.optional(),
    pageAnchor: z.object({ pageRefs: z.array(PageRefIn).default([]) }).optional(),
    normalizedValue: NormalizedValueIn.optional(),
    properties: z.array(EntityIn).default([]),
  }),
);

const DocumentIn = z.object({
  mimeType: z.string().default('application/octet-stream'),
  text: z.string().default(''),
  pages: z.array(PageIn).default([]),
  entities: z.array(EntityIn).default([]),
});
type DocumentIn = z.infer<typeof DocumentIn>;

// ------------------------------------------------------------------------------------------ public API

/** Thrown when the JSON is not a Document AI Document (a bug or an API change, not a bad upload). */
export class DocumentAiResponseError extends Error {
  override readonly name = 'DocumentAiResponseError';
}

export interface DocumentAiMappingOptions {
  /** Recorded as engine.version (the pinned processor version). */
  processorVersion?: string;
  /** Wall time of the Document AI call. */
  elapsedMs?: number;
  /**
   * Resolution assumed for page dimensions given in pixels when converting to points. Document AI does not
   * report it; the default 72 keeps 1 pixel = 1 point. Boxes are normalized and do not depend on it.
   */
  pixelsPerInch?: number;
}

/**
 * Converts a Document AI `Document` (camelCase REST JSON or snake_case proto JSON, bare or as `{document}`)
 * into a schema-valid {@link OcrDocument}: the response text unchanged; per page its size, lines (from lines,
 * else paragraphs, else blocks) with their tokens, normalized boxes and confidences, `textSource: 'docai'`,
 * `quality: null` (nothing measured) and `reportedQuality` from `imageQualityScores`; entities with mention text, normalized value (money, ISO date, text),
 * confidence, page and box, and nested properties (`line_item/*`, `vat/*`).
 *
 * @throws DocumentAiResponseError when the JSON does not have the shape of a Document.
 */
export function documentAiToOcrDocument(json: unknown, options: DocumentAiMappingOptions = {}): OcrDocument {
  const camel = withoutUnsetFields(camelizeKeys(json));
  const unwrapped = isRecord(camel) && isRecord(camel['document']) ? camel['document'] : camel;
  const parsed = DocumentIn.safeParse(unwrapped);
  if (!parsed.success) {
    throw new DocumentAiResponseError(`not a Document AI Document: ${z.prettifyError(parsed.error)}`);
  }
  const doc = parsed.data;
  const ppi = options.pixelsPerInch ?? 72;
  const pages = doc.pages.map((page, index) => mapPage(page, index, doc.text, ppi));
  return OcrDocumentSchema.parse({
    schemaVersion: OCR_DOCUMENT_SCHEMA_VERSION,
    mimeType: doc.mimeType,
    text: doc.text,
    pages,
    entities: doc.entities.map((e) => mapEntity(e, doc, pages)),
    embeddedFiles: [],
    engine: { name: 'docai', version: options.processorVersion ?? 'unknown' },
    elapsedMs: options.elapsedMs ?? 0,
  });
}

// ------------------------------------------------------------------------------------------ pages

function mapPage(page: PageIn, index: number, text: string, ppi: number): Page {
  const pixels = pageSizeInPixels(page);
  const toPoints = (v: number, unit: string | undefined): number =>
    unit === 'points' ? v : unit === 'inches' ? v * 72 : unit === 'cm' ? (v / 2.54) * 72 : (v / ppi) * 72;
  const unit = page.dimension?.unit;
  const width = pixels ? toPoints(pixels.width, unit) : 612;
  const height = pixels ? toPoints(pixels.height, unit) : 792;
  const reported = reportedQuality(page);
  const layoutLines = [page.lines, page.paragraphs, page.blocks].find((l) => l.length > 0) ?? [];
  return {
    pageNumber: page.pageNumber !== undefined && page.pageNumber > 0 ? page.pageNumber : index + 1,
    width,
    height,
    textSource: 'docai',
    lines: assignTokens(layoutLines, page.tokens, text, pixels),
    // Document AI gives a score and defect likelihoods, not the measures of PageQuality: those stay unmeasured.
    quality: null,
    ...(reported ? { reportedQuality: reported } : {}),
    languages: languages(page),
  };
}

/**
 * The page size in Document AI units: `dimension`, else the page image, else the page layout's pixel box
 * (splitter output carries only that). Null when nothing says it (US Letter is then assumed by the caller).
 */
function pageSizeInPixels(page: PageIn): { width: number; height: number } | null {
  if (page.dimension && page.dimension.width > 0 && page.dimension.height > 0) return page.dimension;
  if (page.image?.width && page.image.height) return { width: page.image.width, height: page.image.height };
  const vertices = page.layout?.boundingPoly?.vertices ?? [];
  const w = Math.max(0, ...vertices.map((v) => v.x));
  const h = Math.max(0, ...vertices.map((v) => v.y));
  return w > 0 && h > 0 ? { width: w, height: h } : null;
}

function span(anchor: z.infer<typeof TextAnchorIn> | undefined): { start: number; end: number } | null {
  const segments = anchor?.textSegments ?? [];
  if (segments.length === 0) return null;
  return { start: Math.min(...segments.map((s) => s.startIndex)), end: Math.max(...segments.map((s) => s.endIndex)) };
}

function anchorText(anchor: z.infer<typeof TextAnchorIn> | undefined, text: string): string {
  return (anchor?.textSegments ?? []).map((s) => text.slice(s.startIndex, s.endIndex)).join('');
}

function boxOf(poly: z.infer<typeof BoundingPolyIn> | undefined, pixels: { width: number; height: number } | null): Box | undefined {
  if (!poly) return undefined;
  let points = poly.normalizedVertices;
  if (points.length === 0 && poly.vertices.length > 0 && pixels) {
    points = poly.vertices.map((v) => ({ x: v.x / pixels.width, y: v.y / pixels.height }));
  }
  if (points.length === 0) return undefined;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

function element(holder: LayoutHolderIn, text: string, pixels: { width: number; height: number } | null): Token {
  return {
    text: anchorText(holder.layout?.textAnchor, text).trim(),
    box: boxOf(holder.layout?.boundingPoly, pixels) ?? { x: 0, y: 0, w: 0, h: 0 },
    confidence: clamp01(holder.layout?.confidence ?? 0),
  };
}

/** Document AI lists tokens per page, not per line: a token belongs to the line whose text span holds its start. */
function assignTokens(
  lines: LayoutHolderIn[],
  tokens: LayoutHolderIn[],
  text: string,
  pixels: { width: number; height: number } | null,
): Line[] {
  const spans = lines.map((l) => span(l.layout?.textAnchor));
  const mapped: Line[] = lines.map((l) => ({ ...element(l, text, pixels), tokens: [] }));
  const order = spans
    .map((s, i) => ({ s, i }))
    .filter((x): x is { s: { start: number; end: number }; i: number } => x.s !== null)
    .sort((a, b) => a.s.start - b.s.start);
  const sortedTokens = tokens
    .map((t) => ({ t, s: span(t.layout?.textAnchor) }))
    .filter((x) => x.s !== null)
    .sort((a, b) => a.s!.start - b.s!.start);
  let li = 0;
  for (const { t, s } of sortedTokens) {
    while (li < order.length && order[li]!.s.end <= s!.start) li++;
    const line = order[li];
    if (line && line.s.start <= s!.start) {
      const token = element(t, text, pixels);
      if (token.text !== '') mapped[line.i]!.tokens.push(token);
    }
  }
  return mapped.filter((l) => l.text !== '');
}

function reportedQuality(page: PageIn): ReportedQuality | undefined {
  const scores = page.imageQualityScores;
  if (!scores) return undefined;
  const defects: Record<string, number> = {};
  for (const d of scores.detectedDefects) {
    if (d.type !== '') defects[d.type.replace(/^quality\/defect_/, '')] = clamp01(d.confidence);
  }
  return { score: clamp01(scores.qualityScore), defects };
}

/** Document AI reports BCP-47 codes; the OCR model uses tesseract's ISO 639-3 codes. */
const ISO_639_3: Record<string, string> = {
  en: 'eng', de: 'deu', fr: 'fra', es: 'spa', it: 'ita', nl: 'nld', pt: 'por', pl: 'pol', sv: 'swe', da: 'dan',
  fi: 'fin', no: 'nor', nb: 'nor', cs: 'ces', ro: 'ron', hu: 'hun', tr: 'tur', ja: 'jpn', zh: 'chi_sim',
};

function languages(page: PageIn): string[] {
  const codes = page.detectedLanguages
    .map((l) => ISO_639_3[(l.languageCode ?? '').split('-')[0]!.toLowerCase()])
    .filter((c): c is string => c !== undefined);
  return [...new Set(codes)];
}

// ------------------------------------------------------------------------------------------ entities

/** Entity types whose normalized text is an amount even when Document AI sent no moneyValue. */
const AMOUNT_TYPE = /(^|\/)(\w*amount\w*|unit_price)$/;

function mapEntity(entity: EntityIn, doc: DocumentIn, pages: Page[]): Entity {
  const ref = entity.pageAnchor?.pageRefs[0];
  const pageIn = ref ? doc.pages[ref.page] : undefined;
  const pixels = pageIn ? pageSizeInPixels(pageIn) : null;
  const box = ref ? boxOf(ref.boundingPoly, pixels) : undefined;
  const normalizedValue = normalized(entity);
  return {
    type: entity.type,
    mentionText: entity.mentionText ?? anchorText(entity.textAnchor, doc.text),
    ...(normalizedValue ? { normalizedValue } : {}),
    confidence: clamp01(entity.confidence),
    ...(ref ? { pageNumber: pages[ref.page]?.pageNumber ?? ref.page + 1 } : {}),
    ...(box ? { box } : {}),
    properties: entity.properties.map((p) => mapEntity(p, doc, pages)),
  };
}

function normalized(entity: EntityIn): Entity['normalizedValue'] {
  const nv = entity.normalizedValue;
  if (!nv) return undefined;
  const out: NonNullable<Entity['normalizedValue']> = {};
  if (nv.text !== undefined) out.text = nv.text;
  if (nv.moneyValue) {
    out.money = {
      ...(nv.moneyValue.currencyCode ? { currencyCode: nv.moneyValue.currencyCode } : {}),
      amount: moneyAmount(nv.moneyValue.units, nv.moneyValue.nanos),
    };
  } else if (nv.text !== undefined && AMOUNT_TYPE.test(entity.type) && /^-?\d+(\.\d+)?$/.test(nv.text)) {
    // Some processor versions normalize amounts to a plain decimal text without a moneyValue.
    out.money = { amount: Number(nv.text) };
  }
  const d = nv.dateValue;
  if (d?.year && d.month && d.day) {
    out.date = `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** units + nanos / 1e9, composed as a decimal literal so that 62 + 860000000 nanos is exactly 62.86. */
function moneyAmount(units: number, nanos: number): number {
  const negative = units < 0 || nanos < 0;
  const literal = `${Math.abs(units)}.${String(Math.abs(nanos)).padStart(9, '0')}`;
  return (negative ? -1 : 1) * Number(literal);
}

// ------------------------------------------------------------------------------------------ helpers

/** A JSON object. Byte fields (page images: Buffers from the Node client) are values, never walked key by key. */
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/**
 * Drops the fields a decoder filled with defaults for what the message did not set: `null` (an unset message
 * field, as the Node client returns it) and `''` (proto3's default string), so that they read as absent.
 */
export function withoutUnsetFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUnsetFields);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === '') continue;
    out[key] = withoutUnsetFields(v);
  }
  return out;
}

/**
 * snake_case proto JSON -> camelCase REST JSON (`mention_text` -> `mentionText`; proto-plus appends `_` to
 * names that clash with Python builtins: `type_` -> `type`). Large base64 strings are passed by reference.
 */
export function camelizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelizeKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const camel = key.replace(/_+$/, '').replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    out[camel] = camelizeKeys(v);
  }
  return out;
}

import { z } from 'zod';
import { BoxSchema } from './geometry.js';

/**
 * The normalized OCR document: the one shape every OCR engine produces (pdf text layer, tesseract,
 * Document AI). Modelled after Document AI's `Document` so that its adapter maps onto it with no loss:
 * full text, pages with dimensions and quality, lines and tokens with boxes and confidence, typed entities
 * with mention text, normalized value and confidence.
 */
export const OCR_DOCUMENT_SCHEMA_VERSION = 1 as const;

export const TokenSchema = z.object({
  text: z.string(),
  box: BoxSchema,
  /** 0..1; 1 for text-layer tokens. */
  confidence: z.number().min(0).max(1),
});
export type Token = z.infer<typeof TokenSchema>;

export const LineSchema = z.object({
  text: z.string(),
  box: BoxSchema,
  confidence: z.number().min(0).max(1),
  tokens: z.array(TokenSchema),
});
export type Line = z.infer<typeof LineSchema>;

/** Image-quality measures of a rendered or scanned page; null for pages read from a text layer. */
export const PageQualitySchema = z.object({
  /** Variance of the Laplacian on the grey image; low means blurred (below ~100 is soft at 300 dpi). */
  blurVariance: z.number().nonnegative(),
  /** Detected skew in degrees before deskewing (positive = counter-clockwise). */
  skewDegrees: z.number(),
  /** Pixels per inch of the page as scanned/photographed. */
  effectiveDpi: z.number().nonnegative(),
  /** RMS contrast of the grey image, 0..1. */
  contrast: z.number().min(0).max(1),
  /** Combined 0..1 quality score (1 = clean). */
  score: z.number().min(0).max(1),
});
export type PageQuality = z.infer<typeof PageQualitySchema>;

/**
 * Quality as reported by an OCR service that does not expose the measures above (Document AI
 * `imageQualityScores`): its 0..1 score and defect likelihoods by name (blurry, glare, text_cutoff...).
 */
export const ReportedQualitySchema = z.object({
  score: z.number().min(0).max(1),
  defects: z.record(z.string(), z.number().min(0).max(1)),
});
export type ReportedQuality = z.infer<typeof ReportedQualitySchema>;

export const PageSchema = z.object({
  pageNumber: z.number().int().positive(),
  /** Page size in PDF points (1/72 inch); for images, pixels / dpi * 72. */
  width: z.number().positive(),
  height: z.number().positive(),
  /** Where the text of this page came from. */
  textSource: z.enum(['text-layer', 'ocr', 'docai', 'none']),
  lines: z.array(LineSchema),
  quality: PageQualitySchema.nullable(),
  /** The OCR service's own quality verdict, when it gives one instead of measures (Document AI). */
  reportedQuality: ReportedQualitySchema.optional(),
  /** Languages detected or used for OCR (ISO 639-3 tesseract codes, e.g. eng, deu, fra). */
  languages: z.array(z.string()).default([]),
});
export type Page = z.infer<typeof PageSchema>;

export const MoneySchema = z.object({ currencyCode: z.string().optional(), amount: z.number() });

export const NormalizedValueSchema = z.object({
  text: z.string().optional(),
  money: MoneySchema.optional(),
  /** ISO date YYYY-MM-DD. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
});

export type Entity = {
  type: string;
  mentionText: string;
  normalizedValue?: z.infer<typeof NormalizedValueSchema> | undefined;
  confidence: number;
  pageNumber?: number | undefined;
  box?: z.infer<typeof BoxSchema> | undefined;
  properties: Entity[];
};
export const EntitySchema: z.ZodType<Entity> = z.lazy(() =>
  z.object({
    type: z.string(),
    mentionText: z.string(),
    normalizedValue: NormalizedValueSchema.optional(),
    confidence: z.number().min(0).max(1),
    pageNumber: z.number().int().positive().optional(),
    box: BoxSchema.optional(),
    properties: z.array(EntitySchema).default([]),
  }),
) as z.ZodType<Entity>;

/** A file carried inside the document (e.g. ZUGFeRD/Factur-X XML in a PDF, or a standalone XML upload). */
export const EmbeddedFileSchema = z.object({
  name: z.string(),
  mimeType: z.string(),
  /** UTF-8 text content; only XML-like attachments are kept, bounded in size. */
  content: z.string(),
});
export type EmbeddedFile = z.infer<typeof EmbeddedFileSchema>;

export const OcrDocumentSchema = z.object({
  schemaVersion: z.literal(OCR_DOCUMENT_SCHEMA_VERSION),
  mimeType: z.string(),
  /** Full text: the lines of each page joined with \n, pages joined with \f. */
  text: z.string(),
  pages: z.array(PageSchema),
  entities: z.array(EntitySchema).default([]),
  embeddedFiles: z.array(EmbeddedFileSchema).default([]),
  engine: z.object({ name: z.string(), version: z.string() }),
  /** Wall time spent by the engine, for benchmarks and cost tracking. */
  elapsedMs: z.number().nonnegative(),
});
export type OcrDocument = z.infer<typeof OcrDocumentSchema>;

/** A stored OCR document (its JSON text), validated. */
export const parseOcrDocument = (json: string): OcrDocument => OcrDocumentSchema.parse(JSON.parse(json));

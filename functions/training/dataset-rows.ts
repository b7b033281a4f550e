/**
 * The labelled training set's rows and metadata (schemas, hash, matrix): what training and retraining read,
 * without the corpus builder (generator, local pipeline, OCR) that dataset.ts adds. The retraining job's
 * bundle imports only this.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FEATURE_NAMES } from '../core/features/schema.js';

export const DatasetRowSchema = z.object({
  file: z.string(),
  /** Split group: no supplier appears in two splits. */
  group: z.string(),
  kind: z.string(),
  language: z.string(),
  /** `scan` = a scan of unknown quality (production rows). */
  scanQuality: z.enum(['digital', 'scan-clean', 'scan-degraded', 'scan']),
  problems: z.array(z.string()),
  /** FEATURE_NAMES order; null = missing. */
  features: z.array(z.number().nullable()),
  quality: z.union([z.literal(0), z.literal(1)]),
  failure: z.union([z.literal(0), z.literal(1)]),
  reasons: z.array(z.string()),
  labelSource: z.enum(['truth', 'review']),
  /** The invoice this row is (production rows; generated rows of a pipeline run have theirs too). */
  invoiceId: z.string().optional(),
  /** How the file arrived (`generated` for corpus rows): a guarded slice of the promotion gate. */
  captureSource: z.string().optional(),
});
export type DatasetRow = z.infer<typeof DatasetRowSchema>;

export const DatasetMetaSchema = z.object({
  featureSchemaVersion: z.string(),
  featureNames: z.array(z.string()),
  corpora: z.array(z.object({ seed: z.number().int(), count: z.number().int(), suppliers: z.number().int(), mix: z.record(z.string(), z.number()) })),
  documents: z.number().int(),
  rows: z.number().int(),
  skipped: z.number().int(),
  sha256: z.string(),
  buildSeconds: z.number(),
  /** The OCR engine the documents went through (absent on caches written before it was part of the key). */
  ocrEngine: z.string().optional(),
  /** Pipeline settlement counts of a fresh build (absent on caches written before they were recorded). */
  settlement: z.object({
    files: z.number().int(),
    settledEvents: z.number().int(),
    filesSettledMoreThanOnce: z.number().int(),
    statuses: z.record(z.string(), z.number().int()),
  }).optional(),
});
export type DatasetMeta = z.infer<typeof DatasetMetaSchema>;
export type SettlementStats = NonNullable<DatasetMeta['settlement']>;

export interface Dataset {
  rows: DatasetRow[];
  meta: DatasetMeta;
  cachePath: string;
}

/** sha256 over the rows as stored (labels, features, groups): the model metadata's "training data hash". */
export function datasetHash(rows: readonly DatasetRow[]): string {
  const h = createHash('sha256');
  for (const r of rows) h.update(JSON.stringify(r)).update('\n');
  return h.digest('hex');
}

/** Reads a JSONL dataset; throws ZodError on a malformed row. */
export function readRows(file: string): DatasetRow[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().length > 0).map((l) => DatasetRowSchema.parse(JSON.parse(l)));
}

/** Rows as a float matrix (NaN for missing), row-major, FEATURE_NAMES order. */
export function toFeatureMatrix(rows: readonly DatasetRow[]): { rows: number; cols: number; data: Float32Array } {
  const cols = FEATURE_NAMES.length;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => r.features.forEach((v, f) => { data[i * cols + f] = v ?? Number.NaN; }));
  return { rows: rows.length, cols, data };
}

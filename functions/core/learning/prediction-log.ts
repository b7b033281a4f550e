/**
 * The prediction log: one entry per scoring of one invoice revision by one set of model versions. Drift,
 * performance monitoring and retraining read it; retraining joins it with review labels, so that models learn
 * the feature vectors they actually served.
 */
import { z } from 'zod';
import { DecisionSchema } from '../scoring/decision.js';

const IsoTime = z.iso.datetime({ offset: true });

/** One model's score of one invoice: the raw model output and the calibrated value the decision used. */
export const ModelScoreSchema = z.object({
  raw: z.number().nullable(),
  calibrated: z.number().nullable(),
});

/** Attributes of the invoice that slice metrics (the promotion gate's guarded slices, drift per segment). */
export const PredictionSlicesSchema = z.object({
  language: z.string().max(20).default('unknown'),
  /** `digital` or `scan`. */
  scan: z.string().max(20).default('digital'),
  /** `einvoice` or `document`. */
  einvoice: z.string().max(20).default('document'),
  /** How the file arrived: the first segment of its object name (`drop`, `inbox`, `batch`...). */
  captureSource: z.string().max(60).default('unknown'),
});
export type PredictionSlices = z.infer<typeof PredictionSlicesSchema>;

export const PredictionLogEntrySchema = z.object({
  invoiceId: z.string().min(1).max(300),
  revision: z.number().int().positive(),
  featureSchemaVersion: z.string().min(1),
  /** Feature values by name as served (null = missing). */
  features: z.record(z.string(), z.number().nullable()),
  /** Per model name (quality, failure, anomaly). */
  scores: z.record(z.string(), ModelScoreSchema),
  /** name -> version of every model that scored; empty when the decision used rules alone. */
  modelVersions: z.record(z.string(), z.string()),
  decision: DecisionSchema,
  basis: z.enum(['rules', 'models+rules']),
  slices: PredictionSlicesSchema.prefault({}),
  scoredAt: IsoTime,
});
export type PredictionLogEntry = z.infer<typeof PredictionLogEntrySchema>;
export type PredictionLogEntryInput = z.input<typeof PredictionLogEntrySchema>;

/** The stable key of a scoring: invoice, revision and the exact model versions (a re-score by new versions is a new entry). */
export function predictionKey(entry: Pick<PredictionLogEntry, 'invoiceId' | 'revision' | 'modelVersions'>): string {
  return `${entry.invoiceId}#${entry.revision}#${modelVersionsKey(entry.modelVersions)}`;
}

/** `anomaly@v1,failure@v1,quality@v1` (sorted), or `rules` without models. */
export function modelVersionsKey(versions: Record<string, string>): string {
  const entries = Object.entries(versions).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'rules' : entries.map(([n, v]) => `${n}@${v}`).join(',');
}

export const PredictionQuerySchema = z.object({
  /** Inclusive lower bound of scoredAt. */
  from: IsoTime.optional(),
  /** Exclusive upper bound of scoredAt. */
  to: IsoTime.optional(),
  /** Only entries scored by this model version. */
  model: z.object({ name: z.string().min(1), version: z.string().min(1) }).optional(),
  invoiceId: z.string().min(1).optional(),
  limit: z.number().int().positive().max(1000).default(100),
  cursor: z.string().optional(),
});
export type PredictionQuery = z.input<typeof PredictionQuerySchema>;

export interface PredictionPage {
  items: PredictionLogEntry[];
  /** Present when more entries match. */
  nextCursor?: string | undefined;
}

/**
 * Append-mostly log of scorings, bounded by a retention (each entry expires `retention` after scoredAt: a TTL
 * policy on GCP, {@link PredictionLog.prune} locally). `record` is idempotent per {@link predictionKey}: a
 * redelivered scoring overwrites its own entry with the same content. Queries are ordered by (scoredAt, key)
 * ascending and paged with an opaque cursor; an invalid cursor throws.
 */
export interface PredictionLog {
  record(entry: PredictionLogEntryInput): Promise<void>;
  query(query: PredictionQuery): Promise<PredictionPage>;
  /** Every entry of one invoice, oldest first. */
  forInvoice(invoiceId: string): Promise<PredictionLogEntry[]>;
  /** Deletes entries whose retention ended before `now`; returns how many. */
  prune(now: Date): Promise<number>;
}

/** Pages through every entry a query matches. */
export async function* iteratePredictions(log: PredictionLog, query: Omit<PredictionQuery, 'cursor'>): AsyncGenerator<PredictionLogEntry> {
  let cursor: string | undefined;
  do {
    const page = await log.query({ ...query, ...(cursor ? { cursor } : {}) });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** What the inference stage knows when it logs a scoring. */
export interface ScoringFacts {
  invoiceId: string;
  revision: number;
  featureSchemaVersion: string;
  features: Record<string, number | null>;
  /** Calibrated scores by model name and raw outputs (when models scored). */
  calibrated: Record<string, number | null>;
  raw: Record<string, number | null>;
  modelVersions: Record<string, string>;
  decision: PredictionLogEntry['decision'];
  basis: PredictionLogEntry['basis'];
  language?: string | undefined;
  objectName: string;
  scoredAt: Date;
}

const MODEL_OF_SCORE: Record<string, string> = { quality: 'quality', failureRisk: 'failure', anomaly: 'anomaly' };

/** The calibrated scores of a decision keyed by model name (quality, failure, anomaly). */
export function calibratedByModel(scores: Record<string, number | null | undefined>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [field, model] of Object.entries(MODEL_OF_SCORE)) if (scores[field] !== undefined) out[model] = scores[field] ?? null;
  return out;
}

/** The prediction-log entry of one scoring (slices from the record: language, scan, e-invoice, capture source). */
export function predictionEntryOf(facts: ScoringFacts): PredictionLogEntryInput {
  const scores: Record<string, { raw: number | null; calibrated: number | null }> = {};
  for (const name of Object.keys(facts.modelVersions)) scores[name] = { raw: facts.raw[name] ?? null, calibrated: facts.calibrated[name] ?? null };
  const segment = facts.objectName.includes('/') ? facts.objectName.slice(0, facts.objectName.indexOf('/')) : 'root';
  // Validated where it is written (PredictionLog.record parses its input), not twice.
  return {
    invoiceId: facts.invoiceId,
    revision: facts.revision,
    featureSchemaVersion: facts.featureSchemaVersion,
    features: facts.features,
    scores,
    modelVersions: facts.modelVersions,
    decision: facts.decision,
    basis: facts.basis,
    slices: {
      language: (facts.language ?? 'unknown').slice(0, 20),
      scan: facts.features.is_scanned === 1 ? 'scan' : 'digital',
      einvoice: facts.features.is_einvoice === 1 ? 'einvoice' : 'document',
      captureSource: segment.slice(0, 60) || 'root',
    },
    scoredAt: facts.scoredAt.toISOString(),
  };
}

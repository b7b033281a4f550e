/**
 * The training set of a retraining run as a snapshot with a hash: the base corpus (generated, labelled from
 * the generator's truth) plus every invoice of the prediction log that carries a review label, with the
 * feature vector it was served with. A review takes precedence over any label derived for the same invoice.
 * Snapshots are stored once under their sha256 (`training/snapshots/<sha>.jsonl`) and never rewritten.
 */
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../core/features/schema.js';
import { iterateEffectiveLabels, trainingLabelsOf, type LabelStore, type ReviewLabel } from '../core/learning/review-labels.js';
import type { PredictionLog, PredictionLogEntry } from '../core/learning/prediction-log.js';
import { BlobNotFoundError, PreconditionFailedError, type BlobStore } from '../core/ports.js';
import { applyReview } from './labels.js';
import { datasetHash, DatasetMetaSchema, DatasetRowSchema, type Dataset, type DatasetMeta, type DatasetRow } from './dataset-rows.js';

export interface SnapshotSources {
  base: number;
  /** Base rows whose label a review replaced. */
  baseReviewed: number;
  /** Production invoices added from the prediction log with their review label. */
  reviewed: number;
  /** Reviewed invoices left out: no logged scoring of that revision, or features of another schema. */
  reviewedWithoutPrediction: number;
  reviewedOtherSchema: number;
}

export interface TrainingSnapshot {
  rows: DatasetRow[];
  meta: DatasetMeta;
  sources: SnapshotSources;
}

/** The dataset row of one reviewed production invoice: the features it was served with, the review's labels. */
export function reviewedRow(entry: PredictionLogEntry, label: ReviewLabel): DatasetRow {
  const labels = trainingLabelsOf(label);
  const scan = entry.slices.scan === 'scan';
  return DatasetRowSchema.parse({
    file: entry.invoiceId,
    invoiceId: entry.invoiceId,
    // Each production invoice is its own group (its supplier key is not in the log): no row is in two splits.
    group: `invoice:${entry.invoiceId}`,
    kind: entry.slices.einvoice === 'einvoice' ? 'einvoice-pdf' : scan ? 'scan' : 'born-digital',
    language: entry.slices.language,
    scanQuality: scan ? 'scan' : 'digital',
    problems: [],
    features: FEATURE_NAMES.map((n) => entry.features[n] ?? null),
    quality: labels.quality ? 1 : 0,
    failure: labels.failure ? 1 : 0,
    reasons: ['reviewed', ...Object.keys(label.corrections).map((f) => `corrected:${f}`), `decision:${label.decision}`],
    labelSource: 'review',
    captureSource: entry.slices.captureSource,
  });
}

/** The scoring a label judged: the latest logged scoring of that revision (or the latest before it). */
function scoringFor(entries: readonly PredictionLogEntry[], label: ReviewLabel): PredictionLogEntry | null {
  const sameRevision = entries.filter((e) => e.revision === label.revision);
  const pool = sameRevision.length > 0 ? sameRevision : entries.filter((e) => e.revision < label.revision);
  return pool.reduce<PredictionLogEntry | null>((best, e) => (!best || e.scoredAt > best.scoredAt ? e : best), null);
}

export async function buildTrainingSnapshot(base: Dataset, labels: LabelStore, predictions: PredictionLog): Promise<TrainingSnapshot> {
  const reviews = new Map<string, ReviewLabel>();
  for await (const label of iterateEffectiveLabels(labels)) reviews.set(label.invoiceId, label);
  const sources: SnapshotSources = { base: base.rows.length, baseReviewed: 0, reviewed: 0, reviewedWithoutPrediction: 0, reviewedOtherSchema: 0 };
  const seen = new Set<string>();
  const rows: DatasetRow[] = base.rows.map((row) => {
    const label = row.invoiceId ? reviews.get(row.invoiceId) : undefined;
    if (!label) return row;
    seen.add(row.invoiceId!);
    sources.baseReviewed++;
    const l = applyReview({ quality: row.quality, failure: row.failure, reasons: row.reasons, source: row.labelSource }, trainingLabelsOf(label));
    return { ...row, quality: l.quality, failure: l.failure, reasons: l.reasons, labelSource: l.source };
  });
  for (const invoiceId of [...reviews.keys()].sort()) {
    if (seen.has(invoiceId)) continue;
    const label = reviews.get(invoiceId)!;
    const entry = scoringFor(await predictions.forInvoice(invoiceId), label);
    if (!entry) {
      sources.reviewedWithoutPrediction++;
      continue;
    }
    if (entry.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) {
      sources.reviewedOtherSchema++;
      continue;
    }
    rows.push(reviewedRow(entry, label));
    sources.reviewed++;
  }
  const meta: DatasetMeta = { ...base.meta, rows: rows.length, sha256: datasetHash(rows) };
  return { rows, meta, sources };
}

const snapshotName = (sha: string) => `training/snapshots/${sha}.jsonl`;

/** Stores the snapshot under its hash (create-only: an existing one is the same bytes); returns its URI. */
export async function saveSnapshot(blobs: BlobStore, bucket: string, snapshot: TrainingSnapshot): Promise<string> {
  const name = snapshotName(snapshot.meta.sha256);
  for (const [objectName, data] of [
    [`${name}.meta.json`, JSON.stringify({ ...snapshot.meta, sources: snapshot.sources }, null, 2)],
    [name, snapshot.rows.map((r) => JSON.stringify(r)).join('\n') + '\n'],
  ] as const) {
    try {
      await blobs.write({ bucket, name: objectName }, data, { ifGenerationMatch: '0', contentType: objectName.endsWith('.json') ? 'application/json' : 'application/x-ndjson' });
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  return `${bucket}/${name}`;
}

/** Loads a stored snapshot; throws BlobNotFoundError when it is missing and ZodError when a row is malformed. */
export async function loadSnapshot(blobs: BlobStore, bucket: string, sha256: string): Promise<Dataset> {
  const name = snapshotName(sha256);
  const text = Buffer.from(await blobs.read({ bucket, name })).toString('utf8');
  const rows = text.split('\n').filter((l) => l.trim()).map((l) => DatasetRowSchema.parse(JSON.parse(l)));
  const meta = DatasetMetaSchema.parse(JSON.parse(Buffer.from(await blobs.read({ bucket, name: `${name}.meta.json` })).toString('utf8')));
  if (datasetHash(rows) !== sha256) throw new BlobNotFoundError(`snapshot ${sha256} does not match its hash`);
  return { rows, meta, cachePath: `${bucket}/${name}` };
}

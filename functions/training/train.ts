/**
 * Training orchestration: dataset -> supplier-grouped split -> hyperparameter search -> calibration ->
 * threshold -> ONNX export (checked against the TypeScript model) -> the files of each model version and the
 * report (training/promotion.ts stores, registers and gates them).
 *
 * Models: `quality` (GBDT: P(every key field correct)), `failure` (GBDT and logistic regression are both
 * trained; the better on validation F1 ships, the other is reported as the baseline), `anomaly` (isolation
 * forest; raw scores mapped through training quantiles so 0.8 = rarer than 99 % of training invoices).
 * The validation split drives early stopping, the search, calibration and the threshold; test is touched once.
 */
import { createHash } from 'node:crypto';
import { FEATURE_NAMES, FEATURE_SCHEMA, FEATURE_SCHEMA_VERSION, type FeatureGroup } from '../core/features/schema.js';
import { calibrate, calibrateAll, fitIsotonic, fitPlatt, matrixFeatures, type Calibrator, type Curve, type FeatureOf, type PerMediumCalibrator } from '../core/training/calibration.js';
import { gbdtPredict, type GbdtModel } from '../core/training/gbdt-model.js';
import { trainGbdt, type GbdtOptions } from '../core/training/gbdt.js';
import { isolationForestScore, trainIsolationForest, type IsolationForestModel } from '../core/training/isolation-forest.js';
import { logisticPredict, trainLogistic, type LogisticModel } from '../core/training/logistic.js';
import { takeRows, takeValues, type Matrix } from '../core/training/matrix.js';
import { rocAuc, averagePrecision, expectedCalibrationError } from '../core/training/metrics.js';
import { gridSearch, randomSearch } from '../core/training/search.js';
import { stratifiedGroupSplitWithin } from '../core/training/split.js';
import { createRng } from '../core/training/random.js';
import type { Logger } from '../core/ports.js';
import { DEFAULT_DECISION_THRESHOLDS } from '../core/scoring/thresholds.js';
import { gbdtToOnnx } from '../adapters/onnx/export-gbdt.js';
import { isolationForestToOnnx } from '../adapters/onnx/export-isolation-forest.js';
import { logisticToOnnx } from '../adapters/onnx/export-logistic.js';
import type { OnnxArtifact } from '../adapters/onnx/artifact.js';
import { createPredictorForArtifact } from '../adapters/onnx/predictor.js';
import { silentLogger } from '../platform/logger.js';
import { toFeatureMatrix, type Dataset, type DatasetRow } from './dataset-rows.js';
import {
  calibrationCurve, chooseThreshold, featureDistributions, prCurve, quantileKnots, rocCurve, sliceMetrics, splitMetrics,
} from './evaluate.js';
import { ModelMetadataSchema, type ModelKind, type ModelMetadata, type ModelName, type SplitMetrics } from '../core/registry/model-metadata.js';
import { modelCard } from './model-card.js';
import { BASELINE_FILE, buildBaseline, type DriftBaseline } from '../core/monitoring/baseline.js';
import type { ModelReport, TrainingReport } from './report.js';

export const QUALITY_LABEL_RULE =
  'quality = 1 when invoice_id, invoice_date, supplier_name, currency, net_amount, total_tax_amount and total_amount all match the generator truth (ids on letters/digits, amounts to the cent, names normalized; a field the document omits must not be read from the page). See functions/training/labels.ts.';
export const FAILURE_LABEL_RULE =
  'failure = 1 when any: an injected blocking problem (missing field, line-sum or total mismatch, invalid VAT id or IBAN, future date, due before issue, exact or business duplicate); total_amount or amount_due extracted wrong; a required field (invoice_id, invoice_date, supplier_name, currency, total_amount) not extracted; a failed validation of severity error. See functions/training/labels.ts.';
export const ANOMALY_RULE =
  'unsupervised: isolation forest over what the invoice says and how it relates to its supplier\'s history and the population (feature groups chosen on validation among amounts, history, duplicates, dates; never capture quality, which the quality model covers); no label. Evaluated against weak labels (injected unusual-amount and duplicate problems).';

/**
 * Feature-group sets the anomaly model may isolate on, chosen on validation. Capture-quality groups (ocr,
 * image, layout, fields, extraction) are never candidates: over all features the forest mostly isolated scans
 * (rare in training), which says nothing about the invoice and is the quality model's job.
 */
const ANOMALY_GROUP_SETS: ReadonlyArray<readonly FeatureGroup[]> = [
  ['amounts', 'history', 'duplicates', 'dates'],
  ['amounts', 'history', 'duplicates'],
  ['history', 'duplicates'],
];

/** Anomaly score map: these training quantiles of the raw score go to these outputs (0.8 = 99th percentile). */
const ANOMALY_QUANTILES = [0, 0.5, 0.9, 0.99, 0.999, 1];
const ANOMALY_TARGETS = [0, 0.3, 0.6, 0.8, 0.95, 1];
/** The calibrated cut each model gets in production unless configured: what the pipeline actually does. */
const POLICY_THRESHOLD: Record<ModelName, number> = {
  quality: DEFAULT_DECISION_THRESHOLDS.minModelQuality,
  failure: DEFAULT_DECISION_THRESHOLDS.maxFailureRisk,
  anomaly: DEFAULT_DECISION_THRESHOLDS.maxAnomaly,
};
const ANOMALY_WEAK_PROBLEMS = new Set(['unusual-amount', 'exact-duplicate', 'business-duplicate', 'near-duplicate']);
/** The binary feature that tells the media apart for calibration (1 = some page was read by OCR). */
export const MEDIUM_FEATURE = 'is_scanned';
const MEDIUM_COLUMN = FEATURE_NAMES.indexOf(MEDIUM_FEATURE);
/**
 * A medium gets a curve of its own with at least this many validation rows and of each class among them;
 * below, its rows are calibrated by the pooled curve (a Platt fit on a handful of rows is noise).
 */
export const MIN_MEDIUM_ROWS = 60;
export const MIN_MEDIUM_CLASS_ROWS = 5;

export interface TrainOptions {
  dataset: Dataset;
  seed: number;
  /** Random-search trials per GBDT model. */
  trials?: number;
  logger?: Logger;
  onStep?: (step: string) => void;
  /** Extra sections for the report (e.g. shared-corpus evaluation). */
  extraReport?: Record<string, unknown>;
  /** Recorded in metadata.json (a resumed run passes the first attempt's, so files come out identical). */
  createdAt?: string;
  /**
   * Search trials train on at most this many training rows (a seeded stratified sample); the chosen parameters
   * are then fitted on the whole training split. Default 20,000: below it (every shipped corpus) the search
   * sees all rows; above it, 20 trials on 100,000 rows fit in minutes instead of an hour.
   */
  searchRows?: number;
}

interface Candidate {
  name: ModelName;
  kind: ModelKind;
  model: GbdtModel | LogisticModel | IsolationForestModel;
  artifact: OnnxArtifact;
  calibration: Calibrator;
  threshold: number;
  hyperparameters: Record<string, unknown>;
  /** Raw (uncalibrated) scores by split, from the TypeScript model. */
  raw: { validation: Float64Array; test: Float64Array };
  seconds: number;
}

/** One trained model ready to be stored and registered: its metadata, its files and its test-split outputs. */
export interface TrainedModel {
  name: ModelName;
  version: string;
  kind: ModelKind;
  metadata: ModelMetadata;
  /** model.onnx, model.json, metadata.json, README.md, test_data/{inputs,expected}.json */
  files: Record<string, Uint8Array | string>;
  test: SplitMetrics;
  /** Calibrated outputs and labels on the test split (row order of `TrainResult.testRows`): the gate's evidence. */
  testScores: Float64Array;
  testLabels: Float64Array;
  onnxMaxAbsDiff: number;
  report: ModelReport;
}

export interface TrainResult {
  version: string;
  models: TrainedModel[];
  /** The held-out rows every model was tested on (the champion is scored on the same ones). */
  testRows: DatasetRow[];
  testMatrix: Matrix;
  report: TrainingReport;
}

const round = (x: number, d = 6) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Trains, exports, writes and registers the three models; writes the report. Deterministic for a seed and a
 * dataset (model bytes are identical across runs): when a version folder already exists with the same model
 * hash nothing is overwritten (`reproduced: true`); a different hash under the same version throws.
 */
export async function trainModels(options: TrainOptions): Promise<TrainResult> {
  const log = options.logger ?? silentLogger;
  const step = options.onStep ?? (() => {});
  const { dataset, seed } = options;
  const rows = dataset.rows;
  const x = toFeatureMatrix(rows);
  const yQ = Float64Array.from(rows, (r) => r.quality);
  const yF = Float64Array.from(rows, (r) => r.failure);
  // The anomaly model has no label; it is searched and evaluated against the injected unusual problems.
  const yWeakAnomaly = Float64Array.from(rows, (r) => (r.problems.some((p) => ANOMALY_WEAK_PROBLEMS.has(p)) ? 1 : 0));
  // Split within scan / not scan: scans are few rows per supplier and would otherwise land wherever the large
  // born-digital suppliers leave room; this way the test split holds the corpus' scan share (the scan slice is
  // judged on its own).
  const split = stratifiedGroupSplitWithin(yF, rows.map((r) => r.group), rows.map((r) => (r.kind === 'scan' ? 'scan' : 'digital')), { seed, fractions: { train: 0.6, validation: 0.2, test: 0.2 } });
  const X = { train: takeRows(x, split.train), validation: takeRows(x, split.validation), test: takeRows(x, split.test) };
  const sub = (y: Float64Array) => ({ train: takeValues(y, split.train), validation: takeValues(y, split.validation), test: takeValues(y, split.test) });
  const Y = { quality: sub(yQ), failure: sub(yF), weakAnomaly: sub(yWeakAnomaly) };
  const testRows = split.test.map((i) => rows[i]!);
  const version = `v1-s${seed}-${dataset.meta.sha256.slice(0, 10)}`;
  log.info('training split', { train: split.train.length, validation: split.validation.length, test: split.test.length });

  step('quality: GBDT search');
  const searchRows = options.searchRows ?? 20_000;
  const quality = fitGbdtCandidate('quality', X, Y.quality, seed, options.trials ?? 8, searchRows);
  step('failure: GBDT search');
  const failureGbdt = fitGbdtCandidate('failure', X, Y.failure, seed + 1, options.trials ?? 8, searchRows);
  step('failure: logistic regression search');
  const failureLr = fitLogisticCandidate(X, Y.failure);
  const rowsOf = { validation: matrixFeatures(X.validation, FEATURE_NAMES), test: matrixFeatures(X.test, FEATURE_NAMES) };
  const f1Of = (c: Candidate, y: Float64Array) => splitMetrics(y, calibrateAll(c.calibration, c.raw.validation, rowsOf.validation), c.threshold).f1 ?? 0;
  const failure = f1Of(failureLr, Y.failure.validation) > f1Of(failureGbdt, Y.failure.validation) ? failureLr : failureGbdt;
  step('anomaly: isolation forest');
  const anomaly = fitAnomalyCandidate(X, Y.weakAnomaly.validation, seed);

  step('ONNX export and parity check');
  const candidates: Array<{ c: Candidate; y: Float64Array; vy: Float64Array; shipped: boolean; target: string }> = [
    { c: quality, y: Y.quality.test, vy: Y.quality.validation, shipped: true, target: QUALITY_LABEL_RULE },
    { c: failure, y: Y.failure.test, vy: Y.failure.validation, shipped: true, target: FAILURE_LABEL_RULE },
    { c: failure === failureLr ? failureGbdt : failureLr, y: Y.failure.test, vy: Y.failure.validation, shipped: false, target: FAILURE_LABEL_RULE },
    { c: anomaly, y: Y.weakAnomaly.test, vy: Y.weakAnomaly.validation, shipped: true, target: ANOMALY_RULE },
  ];

  const modelReports: ModelReport[] = [];
  const trained: TrainedModel[] = [];
  const createdAt = options.createdAt ?? new Date().toISOString();
  const trainDist = featureDistributions(FEATURE_NAMES, X.train.data, X.train.rows);
  const baseline = driftBaselineOf(X.validation, X.test, candidates.filter((k) => k.shipped).map((k) => k.c), rowsOf);

  for (const { c, y: testY, vy: validY, shipped, target } of candidates) {
    const testP = calibrateAll(c.calibration, c.raw.test, rowsOf.test);
    const validP = calibrateAll(c.calibration, c.raw.validation, rowsOf.validation);
    const onnxDiff = await onnxParity(c, X.test);
    const test = splitMetrics(testY, testP, c.threshold);
    const report: ModelReport = {
      name: shipped ? c.name : `${c.name} (${c.kind}, not shipped)`,
      kind: c.kind,
      shipped,
      target,
      threshold: c.threshold,
      hyperparameters: c.hyperparameters,
      validation: splitMetrics(validY, validP, c.threshold),
      test,
      testUncalibratedEce: c.kind === 'isolation-forest' ? null : round(expectedCalibrationError(testY, c.raw.test)),
      calibration: c.calibration.kind,
      testAtDecisionPolicy: splitMetrics(testY, testP, POLICY_THRESHOLD[c.name]),
      slices: {
        language: sliceMetrics(testRows.map((r) => r.language), testY, testP, c.threshold),
        scanQuality: sliceMetrics(testRows.map((r) => r.scanQuality), testY, testP, c.threshold),
        kind: sliceMetrics(testRows.map((r) => r.kind), testY, testP, c.threshold),
        captureSource: sliceMetrics(testRows.map((r) => r.captureSource ?? 'generated'), testY, testP, c.threshold),
        medium: sliceMetrics(mediaOf(X.test), testY, testP, c.threshold),
      },
      curves: { roc: rocCurve(testY, testP), pr: prCurve(testY, testP), calibration: calibrationCurve(testY, testP) },
      importance: importanceOf(c),
      onnxMaxAbsDiff: onnxDiff,
      trainingSeconds: c.seconds,
    };
    modelReports.push(report);
    if (!shipped) continue;

    const metadata: ModelMetadata = ModelMetadataSchema.parse({
      schemaVersion: 1,
      name: c.name,
      version,
      kind: c.kind,
      target,
      featureSchemaVersion: FEATURE_SCHEMA_VERSION,
      featureNames: [...FEATURE_NAMES],
      inputName: c.artifact.inputName,
      outputName: c.artifact.outputName,
      modelFile: 'model.onnx',
      modelSha256: c.artifact.sha256,
      explainerFile: 'model.json',
      explainerSha256: sha256(modelJson(c)),
      calibration: c.calibration,
      threshold: c.threshold,
      hyperparameters: c.hyperparameters,
      trainingData: {
        sha256: dataset.meta.sha256,
        seed,
        rows: { train: split.train.length, validation: split.validation.length, test: split.test.length },
        corpora: dataset.meta.corpora,
        labelRule: target,
      },
      metrics: { validation: report.validation, test, testAtDecisionPolicy: report.testAtDecisionPolicy, onnxMaxAbsDiffTest: onnxDiff, slices: report.slices },
      featureDistribution: trainDist,
      trainingSeconds: c.seconds,
      createdAt,
    });
    trained.push({
      name: c.name, version, kind: c.kind, metadata, files: modelFiles(c, metadata, X.test, testRows, baseline, rowsOf.test), test,
      testScores: testP, testLabels: testY, onnxMaxAbsDiff: onnxDiff, report,
    });
  }

  const report: TrainingReport = {
    version,
    createdAt,
    seed,
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    dataset: {
      sha256: dataset.meta.sha256, rows: rows.length, documents: dataset.meta.documents, skipped: dataset.meta.skipped,
      buildSeconds: dataset.meta.buildSeconds, corpora: dataset.meta.corpora,
      positives: { quality: rows.filter((r) => r.quality === 1).length, failure: rows.filter((r) => r.failure === 1).length },
    },
    split: {
      train: split.train.length, validation: split.validation.length, test: split.test.length,
      groups: {
        train: new Set(split.train.map((i) => rows[i]!.group)).size,
        validation: new Set(split.validation.map((i) => rows[i]!.group)).size,
        test: new Set(split.test.map((i) => rows[i]!.group)).size,
      },
    },
    targets: { qualityF1: 0.98, failureF1: 0.95, ece: 0.03 },
    models: modelReports,
    flattery: flatteryNotes(rows),
    extra: options.extraReport ?? {},
  };
  return { version, models: trained, testRows, testMatrix: X.test, report };
}

type Splits<T> = { train: T; validation: T; test: T };

/**
 * Platt or isotonic, whichever has the lower 5-fold cross-validated Brier score on the validation rows:
 * isotonic fits any monotone shape but, on a few hundred rows, learns steps at exactly 0 and 1 that are
 * overconfident on new suppliers; Platt is smoother. Small or one-sided validation sets get Platt (or identity).
 */
function fitCurve(raw: Float64Array, y: Float64Array): Curve {
  let pos = 0;
  for (const v of y) pos += v;
  if (pos === 0 || pos === y.length) return { kind: 'identity' };
  if (y.length < 400 || pos < 20 || y.length - pos < 20) return fitPlatt(raw, y);
  const folds = 5;
  const cvBrier = (fit: (p: Float64Array, y: Float64Array) => Calibrator): number => {
    let sum = 0;
    for (let k = 0; k < folds; k++) {
      const fitIdx: number[] = [];
      const holdIdx: number[] = [];
      for (let i = 0; i < y.length; i++) (i % folds === k ? holdIdx : fitIdx).push(i);
      const c = fit(Float64Array.from(fitIdx, (i) => raw[i]!), Float64Array.from(fitIdx, (i) => y[i]!));
      for (const i of holdIdx) sum += (calibrate(c, raw[i]!) - y[i]!) ** 2;
    }
    return sum / y.length;
  };
  return cvBrier(fitIsotonic) < cvBrier(fitPlatt) ? fitIsotonic(raw, y) : fitPlatt(raw, y);
}

/** 'ocr', 'text-layer' or 'unknown' per row of a feature matrix (the medium slice of the report). */
function mediaOf(x: Matrix): string[] {
  return Array.from({ length: x.rows }, (_, i) => {
    const v = x.data[i * x.cols + MEDIUM_COLUMN]!;
    return Number.isNaN(v) ? 'unknown' : v >= 0.5 ? 'ocr' : 'text-layer';
  });
}

/**
 * The calibration of a classifier, fitted on its validation rows: one curve per medium (text layer / OCR) when
 * it beats the pooled curve in 5-fold cross-validated Brier score on those rows, else the pooled curve. Scans
 * score on another raw scale than text layers (the same raw score is right less often), and a pooled curve
 * fitted on a validation split of mostly born-digital rows is mostly their curve: overconfident on scans. A
 * medium with too few rows (MIN_MEDIUM_ROWS, MIN_MEDIUM_CLASS_ROWS of each class) keeps the pooled curve.
 */
export function fitCalibration(raw: Float64Array, y: Float64Array, x: Matrix): Calibrator {
  const medium = Array.from({ length: x.rows }, (_, i) => x.data[i * x.cols + MEDIUM_COLUMN]!);
  const pick = (a: Float64Array, from: readonly number[]) => Float64Array.from(from, (i) => a[i]!);
  const fit = (idx: readonly number[]): PerMediumCalibrator => {
    const pooled = fitCurve(pick(raw, idx), pick(y, idx));
    const curveOf = (ocr: boolean): Curve => {
      const rows = idx.filter((i) => !Number.isNaN(medium[i]!) && (medium[i]! >= 0.5) === ocr);
      let pos = 0;
      for (const i of rows) pos += y[i]!;
      return rows.length < MIN_MEDIUM_ROWS || pos < MIN_MEDIUM_CLASS_ROWS || rows.length - pos < MIN_MEDIUM_CLASS_ROWS ? pooled : fitCurve(pick(raw, rows), pick(y, rows));
    };
    return { kind: 'per-medium', feature: MEDIUM_FEATURE, textLayer: curveOf(false), ocr: curveOf(true), pooled };
  };
  const all = Array.from(y.keys());
  const perMedium = fit(all);
  if (perMedium.textLayer === perMedium.pooled && perMedium.ocr === perMedium.pooled) return perMedium.pooled;
  const folds = 5;
  let pooledBrier = 0;
  let mediumBrier = 0;
  for (let k = 0; k < folds; k++) {
    const c = fit(all.filter((i) => i % folds !== k));
    for (let i = k; i < y.length; i += folds) {
      pooledBrier += (calibrate(c.pooled, raw[i]!) - y[i]!) ** 2;
      mediumBrier += (calibrate(c, raw[i]!, () => medium[i]) - y[i]!) ** 2;
    }
  }
  return mediumBrier < pooledBrier ? perMedium : perMedium.pooled;
}

/** A seeded sample of at most `max` row indices with both classes in their proportion (all rows when fewer). */
function stratifiedSample(y: Float64Array, max: number, seed: number): number[] | null {
  if (y.length <= max) return null;
  const rng = createRng(seed);
  const byClass = [0, 1].map((c) => Array.from(y.keys()).filter((i) => y[i] === c));
  const out: number[] = [];
  for (const idx of byClass) {
    const take = Math.round((idx.length / y.length) * max);
    for (let k = 0; k < take; k++) {
      const j = k + Math.floor(rng.next() * (idx.length - k));
      [idx[k], idx[j]] = [idx[j]!, idx[k]!];
      out.push(idx[k]!);
    }
  }
  return out.sort((a, b) => a - b);
}

function fitGbdtCandidate(name: ModelName, X: Splits<Matrix>, y: Splits<Float64Array>, seed: number, trials: number, searchRows: number): Candidate {
  const start = performance.now();
  let pos = 0;
  for (const v of y.train) pos += v;
  // Class weighting: the minority class weighs sqrt(imbalance) more (full inverse-frequency over-corrects calibration).
  const positiveWeight = round(Math.sqrt(Math.max(1e-6, y.train.length - pos) / Math.max(1, pos)), 4);
  const base: GbdtOptions = { nTrees: 400, earlyStoppingRounds: 30, positiveWeight, seed };
  const train = { x: X.train, y: y.train };
  const validation = { x: X.validation, y: y.validation };
  const sample = stratifiedSample(y.train, searchRows, seed + 17);
  const searchTrain = sample ? { x: takeRows(X.train, sample), y: takeValues(y.train, sample) } : train;
  const search = randomSearch<Record<string, number>>(
    {
      learningRate: { min: 0.03, max: 0.2, log: true },
      maxDepth: [3, 4, 5, 6],
      maxLeaves: [8, 15, 31],
      minSamplesLeaf: [5, 10, 20, 40],
      lambda: { min: 0.1, max: 10, log: true },
      featureSubsample: [0.6, 0.8, 1],
    },
    (params) => {
      const m = trainGbdt(searchTrain, { ...base, ...params }, validation).model;
      return averagePrecisionSafe(y.validation, gbdtPredict(m, X.validation));
    },
    { trials, seed },
  );
  const params = { ...base, ...search.best.params };
  const model = trainGbdt(train, params, validation).model;
  const rawValidation = gbdtPredict(model, X.validation);
  const calibration = fitCalibration(rawValidation, y.validation, X.validation);
  const threshold = chooseThreshold(y.validation, calibrateAll(calibration, rawValidation, matrixFeatures(X.validation, FEATURE_NAMES)));
  return {
    name, kind: 'gbdt', model, artifact: gbdtToOnnx(model, `ledgerx_${name}`), calibration, threshold,
    hyperparameters: { ...params, bestIteration: model.bestIteration, trees: model.trees.length, searchTrials: search.trials.length, searchScore: 'validation PR-AUC', ...(sample ? { searchRows: sample.length } : {}) },
    raw: { validation: rawValidation, test: gbdtPredict(model, X.test) },
    seconds: round((performance.now() - start) / 1000, 2),
  };
}

function fitLogisticCandidate(X: Splits<Matrix>, y: Splits<Float64Array>): Candidate {
  const start = performance.now();
  let pos = 0;
  for (const v of y.train) pos += v;
  const positiveWeight = round(Math.sqrt(Math.max(1e-6, y.train.length - pos) / Math.max(1, pos)), 4);
  const search = gridSearch<{ l2: number }>({ l2: [0.01, 0.1, 1, 10, 100] }, ({ l2 }) =>
    averagePrecisionSafe(y.validation, logisticPredict(trainLogistic(X.train, y.train, { l2, positiveWeight }), X.validation)));
  const model = trainLogistic(X.train, y.train, { l2: search.best.params.l2, positiveWeight });
  const rawValidation = logisticPredict(model, X.validation);
  const calibration = fitCalibration(rawValidation, y.validation, X.validation);
  const threshold = chooseThreshold(y.validation, calibrateAll(calibration, rawValidation, matrixFeatures(X.validation, FEATURE_NAMES)));
  return {
    name: 'failure', kind: 'logistic', model, artifact: logisticToOnnx(model, 'ledgerx_failure_lr'), calibration, threshold,
    hyperparameters: { l2: search.best.params.l2, positiveWeight, iterations: model.iterations, converged: model.converged, searchScore: 'validation PR-AUC' },
    raw: { validation: rawValidation, test: logisticPredict(model, X.test) },
    seconds: round((performance.now() - start) / 1000, 2),
  };
}

function fitAnomalyCandidate(X: Splits<Matrix>, weakValidation: Float64Array, seed: number): Candidate {
  const start = performance.now();
  const columnsOf = (groups: readonly FeatureGroup[]) => FEATURE_SCHEMA.flatMap((f, i) => (groups.includes(f.group) ? [i] : []));
  const fit = (p: { groups: readonly FeatureGroup[]; subsampleSize: number }) =>
    trainIsolationForest(X.train, { nTrees: 100, subsampleSize: p.subsampleSize, seed, features: columnsOf(p.groups) });
  const search = gridSearch<{ groups: readonly FeatureGroup[]; subsampleSize: number }>(
    { groups: [...ANOMALY_GROUP_SETS], subsampleSize: [128, 256] },
    (p) => averagePrecisionSafe(weakValidation, isolationForestScore(fit(p), X.validation)),
  );
  const best = search.best.params;
  const model = fit(best);
  const knots = quantileKnots(isolationForestScore(model, X.train), ANOMALY_QUANTILES);
  const rawValidation = isolationForestScore(model, X.validation);
  const calibration: Calibrator = { kind: 'isotonic', x: knots, y: ANOMALY_TARGETS };
  return {
    name: 'anomaly', kind: 'isolation-forest', model, artifact: isolationForestToOnnx(model, 'ledgerx_anomaly'), calibration,
    // The report's operating point: F1-best against the weak labels on validation. The decision policy keeps
    // its own cut (maxAnomaly, default 0.8 = rarer than 99 % of training invoices); both are reported.
    threshold: chooseThreshold(weakValidation, calibrateAll(calibration, rawValidation)),
    hyperparameters: {
      nTrees: 100, subsampleSize: best.subsampleSize, seed, featureGroups: best.groups, features: columnsOf(best.groups).map((i) => FEATURE_NAMES[i]),
      searchScore: 'validation PR-AUC against weak labels',
      search: search.trials.map((t) => ({ groups: t.params.groups.join('+'), subsampleSize: t.params.subsampleSize, validationPrAuc: round(t.score, 4) })),
      scoreMap: 'training quantiles [0, .5, .9, .99, .999, 1] -> [0, .3, .6, .8, .95, 1]',
    },
    raw: { validation: rawValidation, test: isolationForestScore(model, X.test) },
    seconds: round((performance.now() - start) / 1000, 2),
  };
}

function averagePrecisionSafe(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const ap = averagePrecision(y, p);
  return Number.isFinite(ap) ? ap : rocAuc(y, p);
}

/** Largest |ONNX Runtime - TypeScript| raw output over the test rows. */
async function onnxParity(c: Candidate, test: Matrix): Promise<number> {
  const predictor = createPredictorForArtifact(c.artifact);
  try {
    const onnx = await predictor.predict(test);
    let max = 0;
    for (let i = 0; i < onnx.length; i++) max = Math.max(max, Math.abs(onnx[i]! - c.raw.test[i]!));
    return max;
  } finally {
    await predictor.close();
  }
}

/** Feature importance: total split gain proxy for trees (hessian cover at splits), |coefficient| for LR. */
function importanceOf(c: Candidate): Array<{ feature: string; value: number }> {
  const imp = new Float64Array(FEATURE_NAMES.length);
  if (c.kind === 'logistic') {
    (c.model as LogisticModel).coefficients.forEach((b, f) => { imp[f] = Math.abs(b); });
  } else {
    const trees = (c.model as GbdtModel | IsolationForestModel).trees;
    for (const t of trees) {
      for (let n = 0; n < t.feature.length; n++) {
        const f = t.feature[n]!;
        if (f < 0) continue;
        // The drop in node value between children, weighted by cover: how much the split moved predictions.
        const l = t.left[n]!;
        const r = t.right[n]!;
        imp[f]! += c.kind === 'gbdt' ? t.cover[l]! * Math.abs(t.value[l]! - t.value[n]!) + t.cover[r]! * Math.abs(t.value[r]! - t.value[n]!) : 1;
      }
    }
  }
  const total = imp.reduce((s, v) => s + v, 0) || 1;
  return Array.from(imp, (v, f) => ({ feature: FEATURE_NAMES[f]!, value: round(v / total, 5) }))
    .sort((a, b) => b.value - a.value)
    .slice(0, 20);
}

function modelJson(c: Candidate): string {
  return JSON.stringify(c.model);
}

function sha256(s: string | Uint8Array): string {
  return createHash('sha256').update(s).digest('hex');
}

const GOLDEN_ROWS = 24;

/**
 * The files of one model version: `model.onnx`, `model.json`, `metadata.json`, `README.md` and `test_data/`
 * (golden rows evenly spaced over the test split, so both classes and several kinds appear).
 */
function modelFiles(c: Candidate, metadata: ModelMetadata, test: Matrix, testRows: readonly DatasetRow[], baseline: DriftBaseline, testFeatures: (row: number) => FeatureOf): Record<string, Uint8Array | string> {
  const n = Math.min(GOLDEN_ROWS, test.rows);
  const idx = Array.from({ length: n }, (_, k) => Math.floor((k * test.rows) / n));
  const inputs = idx.map((i) => Array.from(test.data.subarray(i * test.cols, (i + 1) * test.cols), (v) => (Number.isNaN(v) ? null : v)));
  const raw = idx.map((i) => c.raw.test[i]!);
  return {
    'model.onnx': c.artifact.bytes,
    'model.json': modelJson(c),
    'metadata.json': JSON.stringify(metadata, null, 2) + '\n',
    'README.md': modelCard(metadata, FEATURE_SCHEMA),
    [BASELINE_FILE]: JSON.stringify(baseline) + '\n',
    'test_data/inputs.json': JSON.stringify({ featureNames: FEATURE_NAMES, files: idx.map((i) => testRows[i]!.file), rows: inputs }) + '\n',
    'test_data/expected.json': JSON.stringify({
      output: metadata.outputName,
      raw,
      calibrated: idx.map((i) => calibrate(c.calibration, c.raw.test[i]!, testFeatures(i))),
      tolerance: 1e-5,
    }, null, 2) + '\n',
  };
}

/**
 * The drift baseline shipped with every model of a training run: the features of the held-out rows
 * (validation + test, what serving will look like; the training rows are what the trees memorised) and each
 * shipped model's calibrated scores on the same rows.
 */
function driftBaselineOf(validation: Matrix, test: Matrix, shipped: readonly Candidate[], rowsOf: Record<'validation' | 'test', (row: number) => FeatureOf>): DriftBaseline {
  const data = new Float32Array((validation.rows + test.rows) * validation.cols);
  data.set(validation.data.subarray(0, validation.rows * validation.cols), 0);
  data.set(test.data.subarray(0, test.rows * test.cols), validation.rows * validation.cols);
  const scores: Record<string, Float64Array> = {};
  for (const c of shipped) {
    const v = calibrateAll(c.calibration, c.raw.validation, rowsOf.validation);
    const t = calibrateAll(c.calibration, c.raw.test, rowsOf.test);
    const all = new Float64Array(v.length + t.length);
    all.set(v, 0);
    all.set(t, v.length);
    scores[c.name] = all;
  }
  return buildBaseline({
    featureSchemaVersion: FEATURE_SCHEMA_VERSION, names: FEATURE_NAMES, data, rows: validation.rows + test.rows,
    binary: new Set(FEATURE_SCHEMA.filter((f) => f.kind === 'binary').map((f) => f.name)), scores,
  });
}

/** Plain statements of where the generated corpus makes the models look better than they will be on real mail. */
function flatteryNotes(rows: readonly DatasetRow[]): string[] {
  const scans = rows.filter((r) => r.kind === 'scan').length;
  return [
    'Layouts, fonts, suppliers and problem types come from one generator: a model that learns its habits is tested on the same habits (the supplier-grouped split removes supplier leakage, not generator leakage).',
    'Most failure labels are caused by problems the validators were built to catch (arithmetic, VAT id, IBAN, dates, duplicates), so the val_* and dup_* features nearly determine them; real failures (wrong PO, disputed goods, changed bank details) are not in the labels at all.',
    `Scans are ${scans} of ${rows.length} rows (${((100 * scans) / Math.max(1, rows.length)).toFixed(1)} %), and the overall figures are mostly born-digital ones: read the scan-quality slices (degraded scans are where both models err); real mail may have more scans, photos and handwriting than that.`,
    'Born-digital PDFs dominate and their text layer is exact, so the quality label is positive for most rows: quality F1 (positive class) is high almost by construction; the negative-class recall in the confusion matrix is the honest figure.',
    'Problem rates were raised (about 3x the generator defaults) so failures are not rare; real positive rates are lower, which lowers precision at the same threshold.',
    'The public corpora in the shared data folder are tiny (tens of documents) and carry no failure labels beyond what extraction errors imply.',
  ];
}

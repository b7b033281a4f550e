/** The training report: what report.json holds (report-html.ts renders and writes it). */
import type { ModelKind, SplitMetrics } from '../core/registry/model-metadata.js';
import type { CurvePoint } from './evaluate.js';

export interface ModelReport {
  name: string;
  kind: ModelKind;
  shipped: boolean;
  target: string;
  threshold: number;
  hyperparameters: Record<string, unknown>;
  validation: SplitMetrics;
  test: SplitMetrics;
  testUncalibratedEce: number | null;
  /** The calibrator's kind (`per-medium`: one curve for text layers, one for OCR). */
  calibration?: string;
  /** Test metrics at the threshold the decision policy uses by default (decide(), DEFAULT_DECISION_THRESHOLDS). */
  testAtDecisionPolicy: SplitMetrics;
  slices: { language: Record<string, SplitMetrics>; scanQuality: Record<string, SplitMetrics>; kind: Record<string, SplitMetrics>; captureSource?: Record<string, SplitMetrics>; medium?: Record<string, SplitMetrics> };
  curves: { roc: CurvePoint[]; pr: CurvePoint[]; calibration: Array<{ predicted: number; observed: number; count: number }> };
  importance: Array<{ feature: string; value: number }>;
  onnxMaxAbsDiff: number;
  trainingSeconds: number;
}

export interface TrainingReport {
  version: string;
  createdAt: string;
  seed: number;
  featureSchemaVersion: string;
  dataset: { sha256: string; rows: number; documents: number; skipped: number; buildSeconds: number; corpora: unknown; positives: { quality: number; failure: number } };
  split: { train: number; validation: number; test: number; groups: { train: number; validation: number; test: number } };
  targets: { qualityF1: number; failureF1: number; ece: number };
  models: ModelReport[];
  flattery: string[];
  extra: Record<string, unknown>;
}

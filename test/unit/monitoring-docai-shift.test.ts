/**
 * The shift between the features the models were trained on (local OCR: pdf text layers and tesseract) and
 * the features of Document AI responses, as the drift report shows it. The current window is built from the
 * saved real Document AI responses of ../shared/data/docai-samples (mapped as the ocr function maps them,
 * then extracted and featurised as the features function does); the reference is the shipped production
 * model's training baseline. A control window of the model's own golden rows (local-pipeline features of its
 * test split) shows the same report quiet on those features. Skips when the corpus is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentAiToOcrDocument } from '../../functions/adapters/gcp/docai-mapping.js';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import { computeFeatures, FEATURE_NAMES, FEATURE_SCHEMA } from '../../functions/core/features/schema.js';
import { baselineFromSummary } from '../../functions/core/monitoring/baseline.js';
import { DriftConfigSchema } from '../../functions/core/monitoring/config.js';
import { columnsOf, computeDrift } from '../../functions/core/monitoring/drift.js';
import { driftReportHtml } from '../../functions/core/monitoring/report-html.js';
import type { DriftReport } from '../../functions/core/monitoring/report.js';
import { ModelMetadataSchema, RegistrySchema } from '../../functions/core/registry/model-metadata.js';
import { validateInvoice } from '../../functions/core/validation/index.js';
import { sharedDataDir } from '../helpers/fake-documentai.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const SAMPLES = path.join(sharedDataDir(), 'docai-samples');
const RESPONSES = ['toolbox/toolbox_invoice_test-0.json', 'pix2info/invoice/a. Energy invoice (stained).json', 'web-app-demo/invoiceTestProto.json'];
const present = existsSync(SAMPLES) && RESPONSES.every((f) => existsSync(path.join(SAMPLES, f)));
if (!present) console.warn('[docai-shift] ../shared/data/docai-samples absent: Document AI drift test skipped');

const CONFIDENCE = ['ocr_conf_mean', 'ocr_conf_p10', 'ocr_conf_min', 'ocr_low_conf_share', 'conf_invoice_id', 'conf_invoice_date', 'conf_supplier_name', 'conf_total_amount', 'key_fields_conf_mean', 'key_fields_conf_min'];
const IMAGE = FEATURE_SCHEMA.filter((f) => f.group === 'image').map((f) => f.name);
const NOW = new Date('2026-12-01T00:00:00Z');

function docaiFeatures(relative: string): Record<string, number> {
  const json = JSON.parse(readFileSync(path.join(SAMPLES, relative), 'utf8')) as unknown;
  const doc = documentAiToOcrDocument(json);
  const invoice = extractInvoice(doc, { einvoice: false, referenceDate: NOW });
  const validations = validateInvoice(invoice, { now: NOW });
  return computeFeatures({
    doc, invoice, validations, history: { count: 0, meanLogAmount: 0, stdLogAmount: 0, distinctIbans: 0, ibanSeenBefore: false },
    duplicates: { contentHash: 0, businessKey: 0, near: 0 }, fileSizeBytes: 200_000, now: NOW,
  });
}

function productionVersion(): { dir: string; metadata: ReturnType<typeof ModelMetadataSchema.parse> } {
  const registry = RegistrySchema.parse(JSON.parse(readFileSync(path.join(REPO, 'models/registry.json'), 'utf8')));
  const version = registry.models.quality!.versions.find((v) => v.stage === 'production')!.version;
  const dir = path.join(REPO, 'models/quality', version);
  return { dir, metadata: ModelMetadataSchema.parse(JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8'))) };
}

describe.skipIf(!present)('Document AI features against the local-OCR training baseline', () => {
  const { dir, metadata } = productionVersion();
  const baseline = baselineFromSummary({
    featureSchemaVersion: metadata.featureSchemaVersion, rows: metadata.trainingData.rows.train, features: metadata.featureDistribution,
    binary: new Set(FEATURE_SCHEMA.filter((f) => f.kind === 'binary').map((f) => f.name)),
  });
  const config = DriftConfigSchema.parse({});

  it('the report exposes the shift in confidence and image-quality features, with a chart for each', () => {
    const vectors = RESPONSES.map(docaiFeatures);
    // A window of Document AI traffic: the three real responses, as a day of such invoices would repeat them.
    const rows = Array.from({ length: 60 }, (_, i) => vectors[i % vectors.length]!);
    const drift = computeDrift(baseline, { rows: rows.length, features: columnsOf(rows, FEATURE_NAMES), scores: {} }, config);
    const drifted = new Set(drift.features.filter((f) => f.drifted).map((f) => f.name));
    const confidence = CONFIDENCE.filter((n) => drifted.has(n));
    const image = IMAGE.filter((n) => drifted.has(n));
    console.info(`[docai-shift] drifted: confidence ${confidence.join(', ')}; image ${image.join(', ')}; ${drift.driftedFeatures} of ${drift.features.length} in all`);
    expect(confidence.length).toBeGreaterThanOrEqual(3);
    expect(image.length).toBeGreaterThanOrEqual(2);
    // Document AI reads every page as an image with a reported quality score: the text-layer share is gone.
    expect(drifted.has('ocr_conf_mean')).toBe(true);
    const report: DriftReport = {
      id: 'drift-docai', createdAt: NOW.toISOString(), window: { from: NOW.toISOString(), to: NOW.toISOString() }, models: { quality: metadata.version },
      baseline: { model: 'quality', version: metadata.version, source: baseline.source, rows: baseline.rows }, status: drift.datasetDrifted ? 'drift' : 'ok',
      drift, performance: [], shares: { current: { rows: 60, reject: 0, lowConfidence: 0 }, previous: { rows: 0, reject: 0, lowConfidence: 0 }, failed: null },
      findingIds: [], html: null, durationMs: 0,
    };
    const html = driftReportHtml(report);
    for (const name of [...confidence, ...image]) expect(html).toContain(`aria-label="${name}:`);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=/);
  });

  it('a window of local-pipeline features (the model\'s golden rows) keeps the same features quiet', () => {
    const golden = JSON.parse(readFileSync(path.join(dir, 'test_data/inputs.json'), 'utf8')) as { featureNames: string[]; rows: Array<Array<number | null>> };
    const rows = golden.rows.map((r) => Object.fromEntries(golden.featureNames.map((n, i) => [n, r[i] ?? null])));
    const drift = computeDrift(baseline, { rows: rows.length, features: columnsOf(rows, FEATURE_NAMES), scores: {} }, config);
    const drifted = drift.features.filter((f) => f.drifted && [...CONFIDENCE, ...IMAGE].includes(f.name)).map((f) => f.name);
    console.info(`[docai-shift] golden rows drifted: ${drifted.join(', ') || 'none'}; ${drift.driftedFeatures} of ${drift.features.length} in all`);
    // The seed's baseline is the coarse quantile summary of metadata.json: a feature or two may still trip.
    expect(drifted.length).toBeLessThanOrEqual(3);
    expect(drift.datasetDrifted).toBe(false);
  });
});

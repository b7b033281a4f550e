import type { FeatureDefinition } from '../core/features/schema.js';
import { SplitMetricsSchema, type ModelMetadata, type SplitMetrics } from '../core/registry/model-metadata.js';
import type { Calibrator } from '../core/training/calibration.js';

const fmt = (x: number | null | undefined, d = 4) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));

/** Which columns the trees may split on, when training restricted them (the anomaly model). */
function splitFeatures(meta: ModelMetadata): string {
  const used = meta.hyperparameters.features;
  if (!Array.isArray(used)) return '';
  return `\nThe trees split only on ${used.map((n) => `\`${String(n)}\``).join(', ')} (feature groups chosen on validation); the other columns are read and ignored.\n`;
}

/** Test metrics by scan quality: where the overall figures hide the hard cases. */
function scanSlices(meta: ModelMetadata): string {
  const all = meta.metrics.slices as { scanQuality?: Record<string, unknown>; kind?: Record<string, unknown> } | undefined;
  const slices = all?.scanQuality;
  if (!slices) return '';
  // Every scan together (clean and degraded): the scan slice reported on its own.
  const entries = all.kind?.scan === undefined ? Object.entries(slices) : [...Object.entries(slices), ['all scans', all.kind.scan] as const];
  const rows = entries.flatMap(([k, v]) => {
    const m = SplitMetricsSchema.safeParse(v);
    return m.success ? [`| ${k} | ${m.data.rows} | ${m.data.positives} | ${fmt(m.data.f1)} | ${fmt(m.data.precision)} | ${fmt(m.data.recall)} | ${fmt(m.data.ece)} |`] : [];
  });
  return `
Test split by scan quality (same threshold):

| slice | rows | positives | F1 | precision | recall | ECE |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

/** The test metrics at the threshold `decide` applies by default, when the metadata has them. */
function policySection(meta: ModelMetadata): string {
  const parsed = SplitMetricsSchema.safeParse(meta.metrics.testAtDecisionPolicy);
  if (!parsed.success) return '';
  const rule = meta.name === 'quality' ? 'review below' : 'review above';
  return `
Test split at the decision policy's default cut (what the pipeline does unless configured: ${rule} ${parsed.data.threshold}):

${metricsTable(parsed.data)}
`;
}

function metricsTable(m: SplitMetrics | undefined): string {
  if (!m) return '_not available_';
  return [
    '| rows | positives | threshold | F1 | precision | recall | ROC-AUC | PR-AUC | ECE |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${m.rows} | ${m.positives} | ${fmt(m.threshold)} | ${fmt(m.f1)} | ${fmt(m.precision)} | ${fmt(m.recall)} | ${fmt(m.rocAuc)} | ${fmt(m.prAuc)} | ${fmt(m.ece)} |`,
    '',
    `Confusion at the threshold: TP ${m.confusion.tp}, FP ${m.confusion.fp}, TN ${m.confusion.tn}, FN ${m.confusion.fn}.`,
  ].join('\n');
}

const PURPOSE: Record<string, string> = {
  quality: 'Probability that the extraction can be trusted: every key header field was read correctly.',
  failure: 'Probability that the invoice fails or needs intervention downstream (blocking error, duplicate, wrong amount, missing required field).',
  anomaly: 'How unusual the invoice is against its supplier\'s history and the training population (0..1; 0.8 = rarer than 99 % of training invoices).',
};

/** The command that rebuilds this training set (the recipe of defaultCorpusSpecs: one document corpus, scans in corpora of their own). */
function trainCommand(meta: ModelMetadata): string {
  const t = meta.trainingData;
  const count = t.corpora.reduce((s, c) => s + c.count, 0);
  const scans = t.corpora.filter((c) => (c.mix.scan ?? 0) > 0.5).reduce((s, c) => s + c.count, 0);
  return `ledgerx train --seed ${t.seed} --count ${count} --scans ${scans}`;
}

function calibrationText(c: Calibrator): string {
  return c.kind === 'per-medium'
    ? `per medium by \`${c.feature}\`: ${c.textLayer.kind} for text layers, ${c.ocr.kind} for OCR, ${c.pooled.kind} pooled when the feature is missing`
    : c.kind;
}

/** The README.md model card of one shipped model version. */
export function modelCard(meta: ModelMetadata, schema: readonly FeatureDefinition[]): string {
  const t = meta.trainingData;
  return `# ${meta.name} ${meta.version}

${PURPOSE[meta.name] ?? ''}

- Kind: ${meta.kind}; ONNX file \`model.onnx\` (sha256 \`${meta.modelSha256}\`), TypeScript model \`model.json\` (explanations).
- Served by onnxruntime-node through \`createFileModelRegistry\` (functions/adapters/onnx/file-model-registry.ts): the production models' graphs merged into one session, one run per invoice.

## Inputs

One float32 row \`${meta.inputName}\` [N, ${meta.featureNames.length}] in the order of feature schema
\`${meta.featureSchemaVersion}\` (functions/core/features/schema.ts); NaN = missing. Features:
${meta.featureNames.map((n) => `\`${n}\``).join(', ')}.
${splitFeatures(meta)}${schema.length === meta.featureNames.length ? '' : '\n**Warning**: the feature schema in code no longer matches this model.\n'}
## Outputs

\`${meta.outputName}\`: ${meta.outputName === 'probabilities' ? 'float [N, 2], column 1 = positive class (raw, uncalibrated)' : 'float [N, 1], raw isolation score 2^(-E[h]/c(psi))'}.
The served score applies \`calibration\` (${calibrationText(meta.calibration)}) from metadata.json. The operating threshold on the calibrated score (F1-best on validation, used for the metrics below) is ${fmt(meta.threshold)}; the pipeline's decision policy applies its own configured cut (metrics at its default below).
Explanations: top-5 signed contributions per invoice (${meta.kind === 'logistic' ? 'exact: coefficient x standardized value' : meta.kind === 'gbdt' ? 'path-based (Saabas) in log-odds' : 'path-based (Saabas) in isolation steps saved: positive = made the invoice more unusual; the HIGH_ANOMALY reason names the top two'}).

## Label

${meta.target}

## Training data

Generated corpora (seeded, \`${trainCommand(meta)}\`): ${t.corpora.map((c) => `seed ${c.seed}: ${c.count} documents, ${c.suppliers} suppliers, mix ${JSON.stringify(c.mix)}`).join('; ')}.
Every document ran through the real local pipeline; labels compare its output with the generator truth.
Dataset sha256 \`${t.sha256}\`. Split by supplier (no supplier in two splits), within scans and born-digital documents apart (each split holds the corpus' scan share): train ${t.rows.train}, validation ${t.rows.validation}, test ${t.rows.test} rows.
Hyperparameters: \`${JSON.stringify(meta.hyperparameters)}\`.

## Metrics

Test split${meta.name === 'anomaly' ? ' (against weak labels: injected unusual amounts and duplicates)' : ''}:

${metricsTable(meta.metrics.test)}

Validation split:

${metricsTable(meta.metrics.validation)}
${policySection(meta)}${scanSlices(meta)}
## Limits

- Trained on generated invoices only: layouts, suppliers and problems come from one generator. Expect lower
  figures on real mail, especially scans and photos (see the scan-quality slices in the report).
- Valid only for feature schema \`${meta.featureSchemaVersion}\`; the pipeline refuses other vectors.
- \`featureDistribution\` in metadata.json is the drift baseline: compare production feature distributions to it.
`;
}

import { buildDataset, defaultCorpusSpecs, toFeatureMatrix } from '../../functions/models/dataset.js';
import { FEATURE_SCHEMA } from '../../functions/core/features/schema.js';
import { stratifiedGroupSplit } from '../../functions/core/training/split.js';
import { takeRows } from '../../functions/core/training/matrix.js';
import { isolationForestScore, trainIsolationForest } from '../../functions/core/training/isolation-forest.js';
import { rocAuc, averagePrecision } from '../../functions/core/training/metrics.js';
const ds = await buildDataset({ specs: defaultCorpusSpecs(42, 2560, 60), cacheDir: '.ledgerx/training' });
const rows = ds.rows;
const x = toFeatureMatrix(rows);
const split = stratifiedGroupSplit(Float64Array.from(rows, (r) => r.failure), rows.map((r) => r.group), { seed: 42, fractions: { train: 0.6, validation: 0.2, test: 0.2 } });
const WEAK = new Set(['unusual-amount', 'exact-duplicate', 'business-duplicate', 'near-duplicate']);
const y = Float64Array.from(split.test, (i) => (rows[i]!.problems.some((p) => WEAK.has(p)) ? 1 : 0));
const scan = split.test.map((i) => rows[i]!.kind === 'scan');
console.log('test', split.test.length, 'pos', y.reduce((a, b) => a + b), 'scans', scan.filter(Boolean).length);
const groups = [
  ['all', null],
  ['amounts,history,duplicates,dates', ['amounts', 'history', 'duplicates', 'dates']],
  ['amounts,history,duplicates', ['amounts', 'history', 'duplicates']],
  ['history,duplicates', ['history', 'duplicates']],
] as const;
for (const [label, gs] of groups) {
  const features = gs ? FEATURE_SCHEMA.flatMap((f, i) => ((gs as readonly string[]).includes(f.group) ? [i] : [])) : undefined;
  for (const psi of [256]) {
    const m = trainIsolationForest(takeRows(x, split.train), { nTrees: 100, subsampleSize: psi, seed: 42, features });
    const s = isolationForestScore(m, takeRows(x, split.test));
    const scanMean = s.filter((_, k) => scan[k]).reduce((a, b) => a + b, 0) / scan.filter(Boolean).length;
    const digMean = s.filter((_, k) => !scan[k]).reduce((a, b) => a + b, 0) / scan.filter((v) => !v).length;
    console.log(label, psi, 'n', features?.length ?? 61, 'auc', rocAuc(y, s).toFixed(3), 'ap', averagePrecision(y, s).toFixed(3), 'scan mean', scanMean.toFixed(3), 'digital mean', digMean.toFixed(3));
  }
}
console.log(FEATURE_SCHEMA.filter((f) => ['amounts', 'history', 'duplicates', 'dates'].includes(f.group)).map((f) => f.group + ':' + f.name).join(' '));

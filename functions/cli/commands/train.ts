import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { buildDataset, defaultCorpusSpecs } from '../../training/dataset.js';
import { evaluateSharedCorpora } from '../../training/shared-corpora.js';
import { newRunId, trainRegisterRecord } from '../../training/retrain.js';
import { writeReport } from '../../training/report-html.js';
import { createLogger } from '../../platform/logger.js';
import { UsageError } from '../errors.js';
import { actorOf, openLearning } from '../learning.js';
import type { CommonOptions } from '../runtime-options.js';

interface TrainOpts {
  seed: string;
  count: string;
  scans?: string;
  trials: string;
  reports: string;
  cache: string;
  rebuild?: boolean;
  promote: boolean;
  shared: boolean;
  actor?: string;
}

/**
 * `ledgerx train`: labelled corpus through the real pipeline (cached), three models, ONNX, the versions stored
 * under <data-dir>/models and registered with their lineage, an experiment run, the report; `--promote` (the
 * default) goes through the same promotion gate as retraining.
 */
export function define(command: Command, common: () => CommonOptions): void {
  command
    .option('--seed <n>', 'random seed (corpus, split, search, models)', '42')
    .option('--count <n>', 'generated documents (3 % scans, at most 300)', '4000')
    .option('--scans <n>', 'of which scans (default 3 % of --count, at most 300; each costs seconds of OCR)')
    .option('--trials <n>', 'random-search trials per GBDT model', '8')
    .option('--reports <folder>', 'where reports/models/<version>/ goes', 'reports/models')
    .option('--cache <folder>', 'dataset cache (JSONL)', '.ledgerx/training')
    .option('--rebuild', 're-run the pipeline even when a cached dataset exists')
    .option('--no-promote', 'register the new versions in staging only (default: through the promotion gate)')
    .option('--actor <id>', 'who trains (audit trail; default LEDGERX_ACTOR or the OS user)')
    .option('--no-shared', 'skip the evaluation on the public corpora in ../shared/data')
    .action(async (opts: TrainOpts) => {
      const seed = Number(opts.seed);
      const count = Number(opts.count);
      const trials = Number(opts.trials);
      const scans = opts.scans === undefined ? undefined : Number(opts.scans);
      if (scans !== undefined && (!Number.isInteger(scans) || scans < 0 || scans >= count)) throw new UsageError('--scans must be an integer in 0..count-1');
      if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
      if (!Number.isInteger(count) || count < 20) throw new UsageError('--count must be an integer >= 20');
      if (!Number.isInteger(trials) || trials < 1) throw new UsageError('--trials must be a positive integer');
      const { logLevel } = common();
      const logger = createLogger({ level: logLevel, destination: process.stderr, base: { app: 'ledgerx', command: 'train' } });
      const bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: '{phase} [{bar}] {value}/{total} | {duration_formatted}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 },
        cliProgress.Presets.shades_classic,
      );
      let phase = '';
      const started = performance.now();
      const dataset = await buildDataset({
        specs: defaultCorpusSpecs(seed, count, scans),
        cacheDir: resolve(opts.cache),
        rebuild: opts.rebuild === true,
        logger,
        progress: (done, total, p) => {
          if (p !== phase) {
            if (phase) bar.stop();
            phase = p;
            bar.start(total, 0, { phase: p });
          }
          bar.update(done, { phase: p });
        },
      });
      if (phase) bar.stop();
      process.stderr.write(`dataset: ${dataset.meta.rows} rows (${dataset.cachePath})\n`);
      const base = common();
      const learning = await openLearning(base, logger);
      try {
        const reportsDir = resolve(opts.reports);
        const runId = newRunId(new Date());
        const { run, result, outcomes, reportHtml } = await trainRegisterRecord({
          registry: learning.registry, artifacts: learning.artifacts, runs: learning.runs, dataset, kind: 'train', runId, seed, trials,
          config: learning.config, promote: opts.promote, actor: actorOf(opts.actor), reportsDir, logger, now: () => new Date(),
          parameters: { count, scans: scans ?? null }, onStep: (s) => process.stderr.write(`train: ${s}\n`),
        });
        if (opts.shared && outcomes.some((o) => o.outcome === 'promoted')) {
          process.stderr.write('train: evaluating the production models on the public corpora\n');
          const thresholds = Object.fromEntries(result.models.map((m) => [m.name, m.metadata.threshold]));
          result.report.extra = { ...result.report.extra, ...(await evaluateSharedCorpora({ models: learning.serving(0), thresholds, logger })) };
          writeReport(join(reportsDir, result.version), result.report);
        }
        const seconds = Math.round((performance.now() - started) / 1000);
        for (const m of result.models) {
          const t = m.test;
          const o = outcomes.find((x) => x.name === m.name);
          process.stdout.write(`${m.name}@${m.version} (${m.kind})${o && !o.written ? ' [reproduced, unchanged]' : ''}: test F1 ${t.f1?.toFixed(4)} P ${t.precision?.toFixed(4)} R ${t.recall?.toFixed(4)} ROC-AUC ${t.rocAuc?.toFixed(4)} ECE ${t.ece?.toFixed(4)} | ONNX max diff ${m.onnxMaxAbsDiff.toExponential(1)} | ${o?.outcome ?? '?'}${o?.gate ? ` (${o.gate.reasons.join(', ')})` : ''}${o?.requestId ? ` request ${o.requestId}` : ''}\n`);
        }
        process.stdout.write(`run: ${run.id}\nreport: ${reportHtml}\ntotal ${seconds} s\n`);
      } finally {
        learning.close();
      }
    });
}

import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedDataDir } from '../../functions/training/public-corpora.js';
import { runEvaluation, type EvalReport, type RunName } from '../eval/evaluate.js';

/**
 * Accuracy targets on the public born-digital corpora (the shared data folder; skipped when absent):
 * number, date and total all correct on >= 90 % of documents read from the page (e-invoice path off),
 * and on 100 % with the embedded e-invoice read. PNG renders (tesseract) are left to `npm run eval`.
 */
const dataDir = sharedDataDir();

describe.skipIf(!existsSync(dataDir))('extraction accuracy on the public corpora', () => {
  let report: EvalReport;
  beforeAll(async () => {
    report = await runEvaluation({ dataDir, includeImages: false });
  }, 170_000);

  const run = (name: RunName) => report.runs.find((r) => r.run === name);

  it.each<RunName>(['invoice2data', 'zugferd-dev (e-invoice off)'])('%s: >= 90 %% of documents with number, date and total all correct', (name) => {
    const r = run(name);
    if (!r) return; // corpus folder absent
    expect(r.allCore.total).toBeGreaterThan(0);
    expect(r.allCore.accuracy!, JSON.stringify(r.cases.filter((c) => c.allCoreCorrect === false).map((c) => c.file))).toBeGreaterThanOrEqual(0.9);
  });

  it('zugferd-dev with the e-invoice path on: 100 %', () => {
    const r = run('zugferd-dev (e-invoice on)');
    if (!r) return;
    expect(r.allCore.accuracy).toBe(1);
  });

  it('no document fails to be read', () => {
    const errors = report.runs.flatMap((r) => r.cases.filter((c) => c.error).map((c) => `${r.run}: ${c.file}: ${c.error}`));
    expect(errors).toEqual([]);
  });
});

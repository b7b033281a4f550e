import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedDataDir } from '../../functions/training/public-corpora.js';
import { plan, runEvaluation, type EvalReport, type RunName } from '../eval/evaluate.js';

/**
 * A small, fast sample of the public corpora (the shared data folder; skipped when absent): the first
 * development-part files of each born-digital corpus run through the evaluation, so that the harness and the
 * extraction on real documents are checked on every `npm test`. The full evaluation, with the held-out part,
 * the receipts (tesseract) and the reliability of the confidences, is `npm run eval`.
 */
const dataDir = sharedDataDir();
const PER_RUN = 3;

describe.skipIf(!existsSync(dataDir))('extraction on a sample of the public corpora (development part)', () => {
  let report: EvalReport;
  beforeAll(async () => {
    const runs = plan({ dataDir, parts: ['development'], includeImages: false });
    const sample = new Set(runs.flatMap((r) => r.cases.slice(0, PER_RUN).map((c) => c.absPath)));
    report = await runEvaluation({ dataDir, parts: ['development'], includeImages: false, filter: (c) => sample.has(c.absPath) });
  }, 120_000);

  const run = (name: RunName) => report.runs.find((r) => r.run === name);

  it('reads every sampled document, and none is rejected', () => {
    const bad = report.runs.flatMap((r) => r.cases.filter((c) => c.error || c.rejected).map((c) => `${r.run}: ${c.file}: ${c.error ?? c.rejected}`));
    expect(bad).toEqual([]);
    expect(report.runs.every((r) => r.cases.every((c) => c.part === 'development'))).toBe(true);
  });

  it.each<RunName>(['invoice2data', 'zugferd-dev (e-invoice off)', 'docai-samples'])('%s: number, date and total all correct on the sample', (name) => {
    const r = run(name);
    if (!r) return; // corpus folder absent
    const s = r.parts.development;
    expect(s.allCore.total).toBeGreaterThan(0);
    expect(s.allCore.correct, JSON.stringify(r.cases.filter((c) => c.allCoreCorrect === false).map((c) => c.file))).toBe(s.allCore.total);
  });

  it('zugferd-dev with the e-invoice path on: every field of the sample right', () => {
    const r = run('zugferd-dev (e-invoice on)');
    if (!r) return;
    expect(r.parts.development.allCore.accuracy).toBe(1);
    expect(r.cases.every((c) => c.documentType === 'invoice' || c.documentType === 'credit_note')).toBe(true);
  });

  it('reports a reliability table and times per page', () => {
    const rel = report.reliability.development!;
    expect(rel.all.extracted).toBeGreaterThan(0);
    expect(rel.all.buckets.reduce((s, b) => s + b.count, 0)).toBe(rel.all.extracted);
    for (const r of report.runs) expect(r.parts.development.msPerPage.extraction).not.toBeNull();
  });
});

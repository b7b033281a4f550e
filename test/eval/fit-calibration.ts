import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CALIBRATED_FIELDS, CalibrationTableSchema, MIN_CURVE_OBSERVATIONS, applyCurve, pageMedia, type CalibratedField, type CalibrationTable, type Curve, type Medium,
} from '../../functions/core/extraction/calibration.js';
import { extractInvoice } from '../../functions/core/extraction/extract-invoice.js';
import type { Invoice } from '../../functions/core/invoice/invoice.js';
import { sharedDataDir } from '../../functions/training/public-corpora.js';
import { ocrEngineId, plan, readCase } from './evaluate.js';
import { HIGH, reliability } from './reliability.js';
import type { ScoredField } from './scoring.js';
import { fieldCorrect, type Predicted } from './scoring.js';
import { SPLIT_SEED } from './split.js';

/**
 * `npx tsx test/eval/fit-calibration.ts [--write]`: fits the confidence calibration of the extractor
 * (functions/core/extraction/calibration.json) on the DEVELOPMENT part of the public corpora only, never on
 * the held-out part. Every development document is extracted with raw evidence scores (through the
 * evaluation's OCR cache); each scored field gives one observation (field, medium, raw score, right or not).
 * Per field and medium, isotonic regression (pool-adjacent violators) maps the raw score to the observed share
 * of right values, each block shrunk towards its mean raw score by PRIOR_WEIGHT pseudo-observations (small
 * blocks do not claim 100 %). It prints a 5-fold cross-validated reliability (folds by document group, so
 * renders of one invoice or receipts of one shop are never on both sides) and, with --write, writes the
 * table with the data snapshot it was fitted on: split seed, cases per corpus, a hash of the files and
 * labels, the OCR engine. Re-run it when the extraction rules or the OCR engine change.
 */

const PRIOR_WEIGHT = 2;
const FIELD_OF: Record<ScoredField, CalibratedField> = {
  invoice_number: 'invoice_id', invoice_date: 'invoice_date', total: 'total_amount', currency: 'currency', supplier: 'supplier_name',
};

export interface Observation { field: CalibratedField; medium: Medium; raw: number; correct: boolean; group: string }

/** Isotonic regression of `correct` on `raw`, each block shrunk towards its mean raw score; knots at block means. */
export function fitCurve(obs: readonly Pick<Observation, 'raw' | 'correct'>[], priorWeight = PRIOR_WEIGHT): Curve {
  const sorted = [...obs].sort((a, b) => a.raw - b.raw);
  const mean = sorted.reduce((s, o) => s + (o.correct ? 1 : 0), 0) / Math.max(1, sorted.length);
  type Block = { x: number; y: number; w: number };
  const pav = (blocks: Block[]): Block[] => {
    const out: Block[] = [];
    for (const b of blocks) {
      out.push({ ...b });
      while (out.length > 1 && out[out.length - 2]!.y / out[out.length - 2]!.w >= out[out.length - 1]!.y / out[out.length - 1]!.w) {
        const last = out.pop()!, prev = out.pop()!;
        out.push({ x: prev.x + last.x, y: prev.y + last.y, w: prev.w + last.w });
      }
    }
    return out;
  };
  // Equal raw scores form one block: the curve cannot tell them apart.
  const initial: Block[] = [];
  for (const o of sorted) {
    const last = initial[initial.length - 1];
    if (last && Math.abs(last.x / last.w - o.raw) < 1e-9) { last.x += o.raw; last.y += o.correct ? 1 : 0; last.w += 1; }
    else initial.push({ x: o.raw, y: o.correct ? 1 : 0, w: 1 });
  }
  // Each block's share of right values, shrunk towards the block's mean raw score (the evidence's own
  // estimate) by `priorWeight` pseudo-observations, so that a block of few observations cannot claim 100 %;
  // a knot at the block's mean raw score, linear between knots.
  const knots: Array<[number, number]> = pav(initial).map((b) => [round(b.x / b.w), round((b.y + priorWeight * (b.x / b.w)) / (b.w + priorWeight))]);
  // Non-decreasing by construction of the blocks, up to the shrinkage of blocks of different sizes.
  for (let i = 1; i < knots.length; i++) knots[i]![1] = Math.max(knots[i]![1], knots[i - 1]![1]);
  return { n: sorted.length, range: [round(sorted[0]?.raw ?? 0), round(sorted[sorted.length - 1]?.raw ?? 1)], knots: knots.length > 0 ? knots : [[0, round(mean)]] };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function fitTable(obs: readonly Observation[], fittedOn: Record<string, unknown>): CalibrationTable {
  const curves: Record<string, Curve> = {};
  for (const field of CALIBRATED_FIELDS) {
    const mine = obs.filter((o) => o.field === field);
    if (mine.length === 0) continue;
    curves[field] = fitCurve(mine);
    for (const medium of ['text', 'ocr'] as const) {
      const m = mine.filter((o) => o.medium === medium);
      if (m.length >= MIN_CURVE_OBSERVATIONS) curves[`${field}|${medium}`] = fitCurve(m);
    }
  }
  return CalibrationTableSchema.parse({ version: 1, method: 'isotonic', fittedOn, curves });
}

function calibrate(t: CalibrationTable, o: Observation): number {
  const own = t.curves[`${o.field}|${o.medium}`];
  const curve = own && own.n >= MIN_CURVE_OBSERVATIONS ? own : t.curves[o.field];
  return curve && curve.n >= MIN_CURVE_OBSERVATIONS ? applyCurve(curve, o.raw) : o.raw;
}

const FIELD_NAME: Record<CalibratedField, ScoredField> = Object.fromEntries(Object.entries(FIELD_OF).map(([k, v]) => [v, k])) as Record<CalibratedField, ScoredField>;

/** Reliability (as `npm run eval` prints it) of observations with the given confidences. */
function reliabilityOf(obs: readonly Observation[], conf: (o: Observation) => number) {
  return reliability(obs.map((o) => ({ fields: { [FIELD_NAME[o.field]]: { correct: o.correct, confidence: conf(o), predicted: 1 } } })));
}

const hashOf = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');
const fold = (group: string) => Number.parseInt(hashOf(`calibration-folds|${group}`).slice(0, 8), 16) % 5;

async function main(): Promise<void> {
  const dataDir = sharedDataDir();
  const cacheDir = path.resolve(import.meta.dirname, '../../reports/eval/ocr-cache');
  const runs = plan({ dataDir, parts: ['development'] }).filter((r) => !r.einvoice);
  const obs: Observation[] = [];
  const snapshot: string[] = [];
  const cases: Record<string, number> = {};
  for (const r of runs) {
    for (const c of r.cases) {
      cases[r.run] = (cases[r.run] ?? 0) + 1;
      snapshot.push(`${r.run}|${c.file}|${hashOf(new Uint8Array(readFileSync(c.absPath)))}|${JSON.stringify(c.truth)}`);
      // A document that cannot be read (no text at all) extracts no field: it has no confidence to calibrate.
      const doc = await readCase(c, cacheDir).catch((err: unknown) => {
        console.warn(`${c.file}: not read (${(err as Error).message}); no fields to calibrate`);
        return undefined;
      });
      if (!doc) continue;
      const inv: Invoice = extractInvoice(doc, { einvoice: false, rawConfidences: true });
      const media = pageMedia(doc);
      const predicted: Predicted = {
        invoice_number: inv.fields.invoice_id?.value, invoice_date: inv.fields.invoice_date?.value, total: inv.fields.total_amount?.value,
        currency: inv.fields.currency?.value, supplier: inv.fields.supplier_name?.value,
      };
      for (const name of c.scored) {
        const field = FIELD_OF[name];
        const f = inv.fields[field];
        if (!f || f.source === 'ocr-entity') continue;
        obs.push({ field, medium: media.mediumOf(f.pageNumber), raw: f.confidence, correct: fieldCorrect(name, predicted, c.truth), group: `${c.corpus}|${c.group}` });
      }
    }
  }
  const fittedOn = {
    part: 'development',
    splitSeed: SPLIT_SEED,
    cases,
    observations: obs.length,
    filesAndLabelsSha256: hashOf(snapshot.sort().join('\n')),
    ocrEngine: ocrEngineId(),
    priorWeight: PRIOR_WEIGHT,
  };
  const table = fitTable(obs, fittedOn);

  // Cross-validated reliability: each fold calibrated by a table fitted on the other four.
  const cv = new Map<Observation, number>();
  for (let k = 0; k < 5; k++) {
    const t = fitTable(obs.filter((o) => fold(o.group) !== k), {});
    for (const o of obs.filter((x) => fold(x.group) === k)) cv.set(o, calibrate(t, o));
  }
  const show = (label: string, conf: (o: Observation) => number) => {
    const r = reliabilityOf(obs, conf);
    const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
    console.log(`${label.padEnd(26)} right at >= ${HIGH}: ${pct(r.all.precision)} (${r.all.high})   right ones at >= ${HIGH}: ${pct(r.all.coverage)}   `
      + Object.entries(r.fields).map(([f, v]) => `${f} ${pct(v.precision)}/${pct(v.coverage)}`).join('  '));
    const below = obs.filter((o) => conf(o) < 0.5), above = obs.filter((o) => conf(o) >= 0.5);
    console.log(`${''.padEnd(26)} below 0.5: ${below.length} fields, ${pct(below.filter((o) => o.correct).length / Math.max(1, below.length))} right; at >= 0.5: ${above.length}, ${pct(above.filter((o) => o.correct).length / Math.max(1, above.length))} right`);
  };
  console.log(`${obs.length} observations on ${Object.values(cases).reduce((s, n) => s + n, 0)} development cases`);
  show('raw evidence scores', (o) => o.raw);
  show('calibrated, 5-fold CV', (o) => cv.get(o) ?? o.raw);
  show('calibrated, in-sample', (o) => calibrate(table, o));
  for (const [key, c] of Object.entries(table.curves)) console.log(`  ${key.padEnd(26)} n=${String(c.n).padStart(3)} ${c.knots.map(([x, y]) => `${x.toFixed(2)}->${y.toFixed(2)}`).join(' ')} in [${c.range.join(', ')}]`);
  if (process.argv.includes('--write')) {
    const file = path.resolve(import.meta.dirname, '../../functions/core/extraction/calibration.json');
    writeFileSync(file, `${JSON.stringify(table, null, 2)}\n`);
    console.log(`written: ${path.relative(process.cwd(), file)}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await main();

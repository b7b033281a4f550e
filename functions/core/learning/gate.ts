/**
 * The promotion gate: a challenger replaces the champion only when, on the same held-out rows, it beats the
 * champion's primary metric by the configured margin (or ranks as well and is clearly better calibrated) and
 * loses on no guarded slice (language, scan, e-invoice, capture source) by more than the tolerance. Pure: the
 * caller scores both models on the rows, with their calibrated probabilities.
 */
import { z } from 'zod';
import { averagePrecision, logLoss, rocAuc } from '../training/metrics.js';

export const GUARDED_SLICES = ['language', 'scan', 'einvoice', 'captureSource'] as const;
export type SliceFamily = (typeof GUARDED_SLICES)[number];

export const GatePolicySchema = z.object({
  /** Threshold-free, so that two models with different operating points compare fairly. */
  metric: z.enum(['prAuc', 'rocAuc']).default('prAuc'),
  /** The challenger must beat the champion by at least this much overall. */
  margin: z.number().min(0).max(1).default(0.002),
  /**
   * Or rank as well (its metric less than `margin` below the champion's) with a log loss lower by this share:
   * the decision policy cuts on calibrated probabilities, so at the same ranking the better-calibrated model
   * decides better. 0 turns this way off.
   */
  calibrationGain: z.number().min(0).max(1).default(0.1),
  /** A guarded slice may be at most this much worse than the champion's. */
  sliceTolerance: z.number().min(0).max(1).default(0.02),
  /** Slices with fewer rows (or one class only) are reported, not judged. */
  minSliceRows: z.number().int().positive().default(30),
  guardedSlices: z.array(z.enum(GUARDED_SLICES)).default([...GUARDED_SLICES]),
});
export type GatePolicy = z.infer<typeof GatePolicySchema>;

export interface GateInput {
  /** Labels of the held-out rows (1 = positive). */
  y: ArrayLike<number>;
  challenger: ArrayLike<number>;
  /** Null when there is no production version yet (or it cannot score these rows). */
  champion: ArrayLike<number> | null;
  /** Slice family -> one value per row. */
  slices: Partial<Record<SliceFamily, readonly string[]>>;
}

export interface SliceVerdict {
  family: SliceFamily;
  value: string;
  rows: number;
  champion: number | null;
  challenger: number | null;
  delta: number | null;
  verdict: 'ok' | 'worse' | 'not-judged';
}

export interface GateResult {
  pass: boolean;
  metric: GatePolicy['metric'];
  champion: number | null;
  challenger: number;
  delta: number | null;
  margin: number;
  /** Log loss of the calibrated probabilities on the same rows (lower is better); null without a champion. */
  logLoss: { champion: number; challenger: number } | null;
  /**
   * Machine-readable reasons: `NO_CHAMPION`, `BEATS_CHAMPION`, `BETTER_CALIBRATED` (ranks as well, log loss
   * lower by `calibrationGain`), `BELOW_MARGIN`, `SLICE_WORSE:<family>=<value>`, `NO_SIGNAL`.
   */
  reasons: string[];
  slices: SliceVerdict[];
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

function metricOf(metric: GatePolicy['metric'], y: ArrayLike<number>, p: ArrayLike<number>): number | null {
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i]! === 1 ? 1 : 0;
  if (pos === 0 || pos === y.length) return null;
  const v = metric === 'prAuc' ? averagePrecision(y, p) : rocAuc(y, p);
  return Number.isFinite(v) ? round(v) : null;
}

/** Decides one challenger against its champion. */
export function evaluateGate(input: GateInput, policyInput: z.input<typeof GatePolicySchema> = {}): GateResult {
  const policy = GatePolicySchema.parse(policyInput);
  const challenger = metricOf(policy.metric, input.y, input.challenger);
  if (challenger === null) {
    return { pass: false, metric: policy.metric, champion: null, challenger: Number.NaN, delta: null, margin: policy.margin, logLoss: null, reasons: ['NO_SIGNAL'], slices: [] };
  }
  if (!input.champion) {
    return { pass: true, metric: policy.metric, champion: null, challenger, delta: null, margin: policy.margin, logLoss: null, reasons: ['NO_CHAMPION'], slices: [] };
  }
  const champion = metricOf(policy.metric, input.y, input.champion);
  const delta = champion === null ? null : round(challenger - champion);
  const loss = { champion: round(logLoss(input.y, input.champion)), challenger: round(logLoss(input.y, input.challenger)) };
  const betterCalibrated = delta !== null && delta > -policy.margin && policy.calibrationGain > 0
    && loss.challenger <= loss.champion * (1 - policy.calibrationGain);
  const reasons: string[] = [];
  if ((delta === null || delta < policy.margin) && !betterCalibrated) reasons.push('BELOW_MARGIN');
  const slices: SliceVerdict[] = [];
  for (const family of policy.guardedSlices) {
    const keys = input.slices[family];
    if (!keys) continue;
    const groups = new Map<string, number[]>();
    keys.forEach((k, i) => groups.set(k, [...(groups.get(k) ?? []), i]));
    for (const [value, idx] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      const y = idx.map((i) => input.y[i]!);
      const a = idx.length >= policy.minSliceRows ? metricOf(policy.metric, y, idx.map((i) => input.champion![i]!)) : null;
      const b = idx.length >= policy.minSliceRows ? metricOf(policy.metric, y, idx.map((i) => input.challenger[i]!)) : null;
      const d = a === null || b === null ? null : round(b - a);
      const verdict: SliceVerdict['verdict'] = d === null ? 'not-judged' : d < -policy.sliceTolerance ? 'worse' : 'ok';
      if (verdict === 'worse') reasons.push(`SLICE_WORSE:${family}=${value}`);
      slices.push({ family, value, rows: idx.length, champion: a, challenger: b, delta: d, verdict });
    }
  }
  const pass = reasons.length === 0;
  if (pass) reasons.push(delta !== null && delta >= policy.margin ? 'BEATS_CHAMPION' : 'BETTER_CALIBRATED');
  return { pass, metric: policy.metric, champion, challenger, delta, margin: policy.margin, logLoss: loss, reasons, slices };
}

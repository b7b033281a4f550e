/**
 * Binary classification metrics. Labels are 0/1; scores are probabilities (or any monotone score where noted).
 * Every function throws RangeError when labels and scores differ in length.
 */

function check(y: ArrayLike<number>, p: ArrayLike<number>): void {
  if (y.length !== p.length) throw new RangeError(`${y.length} labels for ${p.length} scores`);
}

export interface ConfusionMatrix {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Predicted positive when score >= threshold. */
export function confusionMatrix(y: ArrayLike<number>, p: ArrayLike<number>, threshold: number): ConfusionMatrix {
  check(y, p);
  const cm = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < y.length; i++) {
    const pos = p[i]! >= threshold;
    if (y[i] === 1) {
      if (pos) cm.tp++;
      else cm.fn++;
    } else if (pos) cm.fp++;
    else cm.tn++;
  }
  return cm;
}

/** Precision, recall and F1 of a confusion matrix (0 where undefined, as scikit-learn's zero_division=0). */
export function precisionRecallF1(cm: ConfusionMatrix): { precision: number; recall: number; f1: number } {
  const precision = cm.tp + cm.fp > 0 ? cm.tp / (cm.tp + cm.fp) : 0;
  const recall = cm.tp + cm.fn > 0 ? cm.tp / (cm.tp + cm.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/** Area under the ROC curve (Mann-Whitney U with average ranks for ties); NaN when one class is absent. */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  check(y, score);
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]!] === score[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k]!] === 1) {
        rankSumPos += avgRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Distinct thresholds from high to low with cumulative true/false positives (ties handled as one step). */
function sweep(y: ArrayLike<number>, score: ArrayLike<number>): Array<{ threshold: number; tp: number; fp: number }> {
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const out: Array<{ threshold: number; tp: number; fp: number }> = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (y[order[i]!] === 1) tp++;
    else fp++;
    const next = order[i + 1];
    if (next === undefined || score[next] !== score[order[i]!]) out.push({ threshold: score[order[i]!]!, tp, fp });
  }
  return out;
}

/** Average precision (area under the precision-recall curve as scikit-learn computes it); NaN without positives. */
export function averagePrecision(y: ArrayLike<number>, score: ArrayLike<number>): number {
  check(y, score);
  let nPos = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) nPos++;
  if (nPos === 0) return Number.NaN;
  let ap = 0;
  let prevRecall = 0;
  for (const { tp, fp } of sweep(y, score)) {
    const recall = tp / nPos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/** Expected calibration error over `bins` equal-width probability bins (weighted |mean p - positive rate|). */
export function expectedCalibrationError(y: ArrayLike<number>, p: ArrayLike<number>, bins = 10): number {
  check(y, p);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < y.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p[i]! * bins)));
    sumP[b]! += p[i]!;
    sumY[b]! += y[i]!;
    count[b]! += 1;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(sumP[b]! - sumY[b]!) / Math.max(y.length, 1);
  return ece;
}

/** Mean log loss with probabilities clipped to [1e-15, 1 - 1e-15]. */
export function logLoss(y: ArrayLike<number>, p: ArrayLike<number>): number {
  check(y, p);
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(Math.max(p[i]!, 1e-15), 1 - 1e-15);
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / Math.max(y.length, 1);
}

export interface ThresholdChoice {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
}

/** The score threshold (predict positive when score >= threshold) with the highest F1. */
export function bestF1Threshold(y: ArrayLike<number>, score: ArrayLike<number>): ThresholdChoice {
  check(y, score);
  let nPos = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) nPos++;
  let best: ThresholdChoice = { threshold: 0.5, precision: 0, recall: 0, f1: 0 };
  for (const { threshold, tp, fp } of sweep(y, score)) {
    const r = precisionRecallF1({ tp, fp, fn: nPos - tp, tn: 0 });
    if (r.f1 > best.f1) best = { threshold, ...r };
  }
  return best;
}

export interface ClassificationReport extends ThresholdChoice {
  confusion: ConfusionMatrix;
  rocAuc: number;
  prAuc: number;
  ece: number;
  logLoss: number;
  rows: number;
  positives: number;
}

/** Every metric above at one threshold, in one JSON-friendly object (NaN metrics become null-like NaN). */
export function classificationReport(y: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): ClassificationReport {
  const confusion = confusionMatrix(y, p, threshold);
  return {
    threshold,
    ...precisionRecallF1(confusion),
    confusion,
    rocAuc: rocAuc(y, p),
    prAuc: averagePrecision(y, p),
    ece: expectedCalibrationError(y, p, 10),
    logLoss: logLoss(y, p),
    rows: y.length,
    positives: confusion.tp + confusion.fn,
  };
}

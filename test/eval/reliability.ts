import { SCORED_FIELDS, type ScoredField } from './scoring.js';

/**
 * Reliability of the field confidences: for each field, the extracted values by confidence bucket with how
 * many were right, and the two targets of a confidence a reviewer can act on: fields reported at
 * >= HIGH are right >= 97 % of the time (precision), and >= 80 % of the right fields reach HIGH (coverage,
 * so that lowering every confidence cannot meet the first target).
 */
export const HIGH = 0.9;
export const TARGETS = { precision: 0.97, coverage: 0.8 } as const;
export const BUCKETS: ReadonlyArray<readonly [number, number]> = [[0, 0.5], [0.5, 0.7], [0.7, 0.9], [0.9, 0.97], [0.97, 1.0001]];

export interface Bucket { range: readonly [number, number]; count: number; correct: number }

export interface FieldReliability {
  buckets: Bucket[];
  /** Extracted values (with a confidence) and how many were right. */
  extracted: number;
  correct: number;
  /** Values at >= HIGH and how many of them were right. */
  high: number;
  highCorrect: number;
  precision: number | null;
  coverage: number | null;
}

export interface Reliability {
  fields: Record<ScoredField, FieldReliability>;
  all: FieldReliability;
  meetsPrecision: boolean;
  meetsCoverage: boolean;
}

interface Outcome { correct: boolean; confidence: number | null; predicted: unknown }

function tally(outcomes: readonly Outcome[]): FieldReliability {
  const got = outcomes.filter((o) => o.predicted !== null && o.confidence !== null);
  const buckets = BUCKETS.map((range) => {
    const inside = got.filter((o) => o.confidence! >= range[0] && o.confidence! < range[1]);
    return { range, count: inside.length, correct: inside.filter((o) => o.correct).length };
  });
  const high = got.filter((o) => o.confidence! >= HIGH);
  const highCorrect = high.filter((o) => o.correct).length;
  const correct = got.filter((o) => o.correct).length;
  return {
    buckets, extracted: got.length, correct, high: high.length, highCorrect,
    precision: high.length ? highCorrect / high.length : null,
    coverage: correct ? highCorrect / correct : null,
  };
}

/** Reliability over the scored fields of `cases` (each case: field -> outcome). */
export function reliability(cases: ReadonlyArray<{ fields: Partial<Record<ScoredField, Outcome>> }>): Reliability {
  const fields = {} as Record<ScoredField, FieldReliability>;
  for (const f of SCORED_FIELDS) fields[f] = tally(cases.flatMap((c) => (c.fields[f] ? [c.fields[f]] : [])));
  const all = tally(cases.flatMap((c) => Object.values(c.fields)));
  return {
    fields, all,
    meetsPrecision: all.precision !== null && all.precision >= TARGETS.precision,
    meetsCoverage: all.coverage !== null && all.coverage >= TARGETS.coverage,
  };
}

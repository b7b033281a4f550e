/**
 * Small hyperparameter search (grid or seeded random) that trains on train and scores on validation.
 */
import { createRng } from './random.js';

/** A parameter's candidates: a list of choices, or a numeric range (log-uniform when `log`, rounded when `int`). */
export type ParamSpace = Record<string, readonly unknown[] | { min: number; max: number; log?: boolean; int?: boolean }>;

export interface Trial<P> {
  params: P;
  /** Higher is better (e.g. validation PR-AUC). */
  score: number;
}

export interface SearchResult<P> {
  best: Trial<P>;
  /** Every trial, best first. */
  trials: Trial<P>[];
}

function rank<P>(trials: Trial<P>[]): SearchResult<P> {
  const sorted = [...trials].sort((a, b) => (Number.isNaN(a.score) ? 1 : Number.isNaN(b.score) ? -1 : b.score - a.score));
  if (sorted.length === 0) throw new RangeError('search ran no trials');
  return { best: sorted[0]!, trials: sorted };
}

/**
 * Evaluates every combination of the listed choices (ranges are not allowed in a grid).
 * Throws RangeError when a range is given or the grid is empty; errors thrown by `evaluate` propagate.
 */
export function gridSearch<P extends Record<string, unknown>>(space: ParamSpace, evaluate: (params: P) => number): SearchResult<P> {
  let combos: Record<string, unknown>[] = [{}];
  for (const [key, spec] of Object.entries(space)) {
    if (!Array.isArray(spec)) throw new RangeError(`grid search needs a list of choices for ${key}`);
    combos = combos.flatMap((c) => (spec as unknown[]).map((v) => ({ ...c, [key]: v })));
  }
  return rank(combos.map((c) => ({ params: c as P, score: evaluate(c as P) })));
}

/** Draws `trials` parameter sets from the space (seeded) and evaluates each. */
export function randomSearch<P extends Record<string, unknown>>(
  space: ParamSpace,
  evaluate: (params: P) => number,
  options: { trials: number; seed: number },
): SearchResult<P> {
  if (!Number.isInteger(options.trials) || options.trials < 1) throw new RangeError('trials must be a positive integer');
  const rng = createRng(options.seed);
  const trials: Trial<P>[] = [];
  for (let t = 0; t < options.trials; t++) {
    const params: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(space)) {
      if (Array.isArray(spec)) {
        params[key] = spec[rng.int(spec.length)];
        continue;
      }
      const { min, max, log, int } = spec as { min: number; max: number; log?: boolean; int?: boolean };
      let v = log ? Math.exp(Math.log(min) + rng.next() * (Math.log(max) - Math.log(min))) : min + rng.next() * (max - min);
      if (int) v = Math.round(v);
      params[key] = v;
    }
    trials.push({ params: params as P, score: evaluate(params as P) });
  }
  return rank(trials);
}

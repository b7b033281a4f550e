import { createHash } from 'node:crypto';
import type { EvalCase } from '../../functions/training/public-corpora.js';

/**
 * The fixed development / held-out split of the public corpora. A case's side is decided by a hash of the
 * seed, its corpus and its group (see `EvalCase.group`: the renders of one invoice, the variants of one test
 * invoice, the receipts of one shop fall on one side), so it never changes between runs and never depends on
 * results. Rules are developed on the development part only; the held-out part is looked at as aggregates.
 * Changing the seed reshuffles everything and voids every held-out figure measured before: do not.
 */
export const SPLIT_SEED = 'ledgerx-eval-split-1';

export const PARTS = ['development', 'held-out'] as const;
export type Part = (typeof PARTS)[number];

export function partOf(c: Pick<EvalCase, 'corpus' | 'group'>): Part {
  const digest = createHash('sha256').update(`${SPLIT_SEED}|${c.corpus}|${c.group}`).digest('hex');
  return Number.parseInt(digest.slice(0, 8), 16) % 2 === 1 ? 'held-out' : 'development';
}

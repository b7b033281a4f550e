/**
 * Field comparison rules of the accuracy evaluation. Invoice numbers compare on letters and digits only
 * (printed "# BLR_1" vs label "#BLR_1"), amounts to the cent, dates as ISO strings, currencies as codes,
 * supplier names by a normalized fuzzy match (legal forms and punctuation ignored).
 */

import { normalizeId } from '../../functions/training/labels.js';
import type { ScoredField, Truth } from '../../functions/training/public-corpora.js';

export type { ScoredField, Truth };
export const SCORED_FIELDS: readonly ScoredField[] = ['invoice_number', 'invoice_date', 'total', 'currency', 'supplier'];
/** The fields that must all be right for a document to count as "fully correct". */
export const CORE_FIELDS: readonly ScoredField[] = ['invoice_number', 'invoice_date', 'total'];

export interface Predicted {
  invoice_number?: string | undefined;
  invoice_date?: string | undefined;
  total?: number | undefined;
  currency?: string | undefined;
  supplier?: string | undefined;
}

const LEGAL_FORMS = /\b(?:gmbh|ag|kg|co|bv|nv|inc|ltd|limited|llc|plc|sas|sarl|sa|spa|pvt|private|corp|corporation|company|spolka|akcyjna|spółka)\b/g;

export function normalizeName(s: string): string {
  return s.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z\d\s]/g, ' ')
    .replace(LEGAL_FORMS, ' ').replace(/\s+/g, ' ').trim();
}

function bigrams(s: string): string[] {
  const t = s.replace(/\s/g, '');
  const out: string[] = [];
  for (let i = 0; i < t.length - 1; i++) out.push(t.slice(i, i + 2));
  return out;
}

/** Dice coefficient on character bigrams of the normalized names. */
export function nameSimilarity(a: string, b: string): number {
  const x = bigrams(normalizeName(a)), y = bigrams(normalizeName(b));
  if (x.length === 0 || y.length === 0) return 0;
  const pool = new Map<string, number>();
  for (const g of y) pool.set(g, (pool.get(g) ?? 0) + 1);
  let common = 0;
  for (const g of x) { const n = pool.get(g) ?? 0; if (n > 0) { common++; pool.set(g, n - 1); } }
  return (2 * common) / (x.length + y.length);
}

/** Same supplier: one normalized name contains the other as whole words, or bigram similarity >= 0.8. */
export function sameSupplier(predicted: string, truth: string): boolean {
  const p = normalizeName(predicted), t = normalizeName(truth);
  if (!p || !t) return false;
  if (` ${p} `.includes(` ${t} `) || ` ${t} `.includes(` ${p} `)) return true;
  return nameSimilarity(p, t) >= 0.8;
}

export function fieldCorrect(field: ScoredField, predicted: Predicted, truth: Truth): boolean {
  const p = predicted[field], t = truth[field];
  if (p === undefined || t === undefined) return false;
  switch (field) {
    case 'invoice_number': return normalizeId(String(p)) === normalizeId(String(t));
    case 'total': return Math.abs(Number(p) - Number(t)) < 0.005;
    case 'supplier': return sameSupplier(String(p), String(t));
    default: return String(p).toUpperCase() === String(t).toUpperCase();
  }
}

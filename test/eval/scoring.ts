/**
 * Field comparison rules of the accuracy evaluation. Invoice numbers compare on letters and digits only
 * (printed "# BLR_1" vs label "#BLR_1"), amounts to the cent, dates as ISO strings, currencies as codes,
 * supplier names by a normalized fuzzy match (legal forms and punctuation ignored; Levenshtein distance from
 * fastest-levenshtein).
 */

import { distance } from 'fastest-levenshtein';
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

// Legal forms and their abbreviations (Malaysian "Sdn Bhd", "S/B" included) say nothing about which company it is.
const LEGAL_FORMS = /\b(?:gmbh|ag|kg|co|bv|nv|inc|ltd|limited|llc|plc|sas|sarl|sa|spa|pvt|private|corp|corporation|company|spolka|akcyjna|spółka|sdn|bhd|berhad|s b)\b/g;

export function normalizeName(s: string): string {
  return s.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z\d\s]/g, ' ')
    .replace(/\s+/g, ' ').replace(LEGAL_FORMS, ' ').replace(/\s+/g, ' ').trim();
}

/** 1 - Levenshtein distance / longer length, on the normalized names (1 = same). */
export function nameSimilarity(a: string, b: string): number {
  const x = normalizeName(a), y = normalizeName(b);
  if (!x || !y) return 0;
  return 1 - distance(x, y) / Math.max(x.length, y.length);
}

/**
 * Same supplier: the normalized names are at least 80 % alike (a few OCR slips), or one holds the other as
 * whole words and covers at least half of it (a legal name with or without an address line). A name cut to
 * its last word or two ("Restaurants" for "Gerbang Alaf Restaurants") is a miss.
 */
export function sameSupplier(predicted: string, truth: string): boolean {
  const p = normalizeName(predicted), t = normalizeName(truth);
  if (!p || !t) return false;
  const [short, long] = p.length <= t.length ? [p, t] : [t, p];
  if (` ${long} `.includes(` ${short} `) && short.length >= long.length / 2) return true;
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

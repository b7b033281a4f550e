import type { Box } from '../geometry.js';
import { findLabels, type LabelField, type LabelHit } from './labels.js';
import { below, rightOf, subBox, subExtent, textUnder, type PageLayout, type Segment } from './layout.js';

/**
 * The generic "label -> value" search: for every occurrence of a field's label, look for a value of the
 * right type inline after the label, then in the next column segment on the same row, then directly below
 * the label (column headers). Each found value becomes a scored candidate; field extractors pick the best.
 */

export type Relation = 'inline' | 'right' | 'below';

/** How much a value's position relative to its label is worth. */
export const RELATION_FACTOR: Record<Relation, number> = { inline: 1, right: 0.95, below: 0.85 };

export interface ParsedValue<T> {
  value: T;
  /** Offset and length of the value inside the text that was parsed. */
  index: number;
  length: number;
  raw: string;
  /** 0..1: how typical the printed form is (e.g. an amount with decimals or a currency mark). */
  quality: number;
}

export type ValueParser<T> = (text: string) => Array<ParsedValue<T>>;

export interface Candidate<T> {
  value: T;
  raw: string;
  score: number;
  relation: Relation;
  label: LabelHit;
  page: number;
  box: Box;
  /** Reading-order position: page + y (0..1) for tie-breaks "earliest" / "latest". */
  position: number;
  segment: Segment;
}

export interface SearchOptions {
  /** Which parsed value to keep on a row: the first after the label, or the rightmost (totals rows). */
  pick: 'first' | 'last';
  /** Words just before the label that change its meaning ("Due" Date, "Order" Date). */
  rejectBefore?: RegExp;
  /** Words just after the label that change its meaning (Total "HT", Total "netto"). */
  rejectAfter?: RegExp;
  /** Read a whole column downwards (all values under a column header) and keep the last one. */
  columnLast?: boolean;
  /** Maximum characters between the label and an inline value. */
  maxInlineGap?: number;
}

const LEADING_SEPARATORS = /^[\s:;#.\-–=|>]*/;

function pickOne<T>(values: Array<ParsedValue<T>>, pick: 'first' | 'last'): ParsedValue<T> | undefined {
  return pick === 'first' ? values[0] : values[values.length - 1];
}

/** Candidates for `field` over all pages. */
export function searchLabelled<T>(
  layouts: readonly PageLayout[],
  field: LabelField,
  parse: ValueParser<T>,
  options: SearchOptions,
): Array<Candidate<T>> {
  const out: Array<Candidate<T>> = [];
  for (const page of layouts) {
    for (const seg of page.segments) {
      const hits = findLabels(seg.text, field);
      for (let h = 0; h < hits.length; h++) {
        const hit = hits[h]!;
        const before = seg.text.slice(Math.max(0, hit.index - 24), hit.index);
        if (options.rejectBefore?.test(before)) continue;
        const end = hit.index + hit.length;
        const afterFull = seg.text.slice(end);
        if (options.rejectAfter?.test(afterFull)) continue;
        // An inline value stops at the next label of the same field on the row ("Date: x   Due Date: y").
        const nextHit = hits[h + 1];
        const after = nextHit ? seg.text.slice(end, nextHit.index) : afterFull;
        const sep = LEADING_SEPARATORS.exec(after)?.[0].length ?? 0;
        const inlineText = after.slice(sep);
        const position = page.page - 1 + seg.box.y;
        const make = (pv: ParsedValue<T>, relation: Relation, s: Segment, offset: number): Candidate<T> => ({
          value: pv.value, raw: pv.raw, relation, label: hit, page: page.page, segment: s,
          box: subBox(s, offset + pv.index, offset + pv.index + pv.length),
          score: hit.weight * RELATION_FACTOR[relation] * pv.quality,
          position,
        });
        const inline = pickOne(parse(inlineText).filter((v) => v.index <= (options.maxInlineGap ?? 40)), options.pick);
        if (inline) { out.push(make(inline, 'inline', seg, end + sep)); continue; }
        if (inlineText.trim() === '' || options.pick === 'last') {
          const extent = subExtent(seg, page, hit.index, end);
          const right = rightOf(page, seg, extent.x1);
          let found: Candidate<T> | undefined;
          const values: Array<{ pv: ParsedValue<T>; s: Segment }> = [];
          for (const r of right) {
            for (const pv of parse(r.text)) values.push({ pv, s: r });
            if (options.pick === 'first' && values.length > 0) break;
          }
          const chosen = options.pick === 'first' ? values[0] : values[values.length - 1];
          if (chosen) found = make(chosen.pv, 'right', chosen.s, 0);
          if (found) { out.push(found); continue; }
        }
        const extent = subExtent(seg, page, hit.index, end);
        const column = below(page, seg, extent.x0, extent.x1);
        const chain: Array<Candidate<T>> = [];
        // Without columnLast only the nearest row below counts: skipping down would read another column.
        for (const s of options.columnLast ? column : column.slice(0, 1)) {
          const under = textUnder(s, page, extent.x0, extent.x1);
          if (!under) { if (chain.length > 0) break; continue; }
          const pv = pickOne(parse(under.text), 'first');
          if (pv) chain.push(make(pv, 'below', s, under.from));
          else if (chain.length > 0 || !options.columnLast) break;
          if (!options.columnLast) break;
        }
        const chosen = options.columnLast ? chain[chain.length - 1] : chain[0];
        if (chosen) out.push(chosen);
      }
    }
  }
  return out;
}

/** Best candidate by score; ties go to the earliest (or latest) in reading order. */
export function best<T>(cands: ReadonlyArray<Candidate<T>>, prefer: 'earliest' | 'latest' = 'earliest'): Candidate<T> | undefined {
  let top: Candidate<T> | undefined;
  for (const c of cands) {
    if (!top || c.score > top.score + 1e-9) { top = c; continue; }
    if (Math.abs(c.score - top.score) <= 1e-9) {
      if (prefer === 'latest' ? c.position > top.position : c.position < top.position) top = c;
    }
  }
  return top;
}


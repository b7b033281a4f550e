import { union } from '../geometry.js';
import type { LineItem, VatLine } from '../invoice/invoice.js';
import type { Token } from '../ocr-document.js';
import { findLabels } from './labels.js';
import type { PageLayout, Segment } from './layout.js';
import { findAmounts, parseAmount, type DecimalSeparator } from './numbers.js';

/**
 * Line-item tables read from their column headers: the header row fixes the x-position of the
 * description, quantity, unit price and amount columns; each following row with an amount in the amount
 * column starts an item, rows without one continue the previous description. The table ends at a totals
 * label or a wide vertical gap.
 */

type Column = 'description' | 'quantity' | 'unit_price' | 'amount';
const HEADER_WORDS: Record<Column, RegExp> = {
  description: /^(?:description|item|items|product|produkt|product\s+title|artikel\p{L}*|bezeichnung|beschreibung|leistung|d[ée]signation|libell[ée]|omschrijving|service|services|title)$/iu,
  quantity: /^(?:qty|quantity|menge|anzahl|quantit[ée]|qt[ée]|aantal|hoeveelheid|nombre|units?)$/iu,
  unit_price: /^(?:unit\s*price|price|rate|preis|einzelpreis|nettopreis|vk-preis|prix(?:\s+unitaire)?|p\.u\.|prijs|unit)$/iu,
  amount: /^(?:amount|total|line\s*total|betrag|gesamt|gesamtpreis|nettobetrag|zeilenbetrag|nettowert|montant|montant\s+ht|bedrag|sum)$/iu,
};

interface Row { y: number; h: number; tokens: Token[]; segments: Segment[] }

function rows(page: PageLayout): Row[] {
  const out: Row[] = [];
  for (const seg of page.segments) {
    const cy = (seg.pt.y0 + seg.pt.y1) / 2;
    const row = out.find((r) => Math.abs(r.y - cy) < Math.min(r.h, seg.pt.h) * 0.6);
    if (row) { row.tokens.push(...seg.tokens); row.segments.push(seg); }
    else out.push({ y: cy, h: seg.pt.h, tokens: [...seg.tokens], segments: [seg] });
  }
  for (const r of out) r.tokens = joinDigitGroups(r.tokens.sort((a, b) => a.box.x - b.box.x));
  return out.sort((a, b) => a.y - b.y);
}

const LEADING_GROUP = /^[-−]?\d{1,3}$/;
const NEXT_GROUP = /^\d{3}(?:[.,]\d{1,4})?$/;

/**
 * Amounts grouped with spaces ("1 459,58", French and Swiss style) arrive as separate tokens; a table cell must
 * read them as one number, not as a quantity "1" and an amount "459,58". Joined only when the gap is no wider
 * than a space (a third of the digit group's width), so neighbouring columns never merge.
 */
function joinDigitGroups(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (const t of tokens) {
    const prev = out[out.length - 1];
    const gap = prev ? t.box.x - (prev.box.x + prev.box.w) : Infinity;
    const prevIsGroup = prev !== undefined && (LEADING_GROUP.test(prev.text) || /^[-−]?\d{1,3}(?: \d{3})+$/.test(prev.text));
    if (prev && prevIsGroup && NEXT_GROUP.test(t.text) && gap >= 0 && gap <= t.box.w / 3) {
      out[out.length - 1] = {
        text: `${prev.text} ${t.text}`,
        box: union([prev.box, t.box]),
        confidence: Math.min(prev.confidence, t.confidence),
      };
    } else {
      out.push(t);
    }
  }
  return out;
}

function headerColumns(row: Row): Partial<Record<Column, number>> | null {
  const cols: Partial<Record<Column, number>> = {};
  // Try single tokens and adjacent pairs ("Unit Price", "Montant HT").
  for (let i = 0; i < row.tokens.length; i++) {
    const t = row.tokens[i]!;
    const next = row.tokens[i + 1];
    const pair = next ? `${t.text} ${next.text}` : '';
    for (const col of Object.keys(HEADER_WORDS) as Column[]) {
      if (cols[col] !== undefined) continue;
      const word = t.text.replace(/[:.]$/, '');
      if (pair && HEADER_WORDS[col].test(pair)) cols[col] = (t.box.x + next!.box.x + next!.box.w) / 2;
      else if (HEADER_WORDS[col].test(word)) cols[col] = t.box.x + t.box.w / 2;
    }
  }
  return cols.description !== undefined && cols.amount !== undefined && Object.keys(cols).length >= 3 ? cols : null;
}

function field<T>(value: T, tokens: Token[], page: number, confidence: number, raw?: string) {
  return { value, confidence, source: 'table' as const, ...(raw ? { raw } : {}), pageNumber: page, box: union(tokens.map((t) => t.box)) };
}

/** Line items of every table found on the pages. */
export function extractLineItems(layouts: readonly PageLayout[], hint: DecimalSeparator | undefined): LineItem[] {
  const items: LineItem[] = [];
  for (const page of layouts) {
    const all = rows(page);
    for (let r = 0; r < all.length; r++) {
      const cols = headerColumns(all[r]!);
      if (!cols) continue;
      const amountX = cols.amount!;
      let current: LineItem | undefined;
      let lastY = all[r]!.y;
      for (let k = r + 1; k < all.length; k++) {
        const row = all[k]!;
        if (row.y - lastY > row.h * 5) break;
        const text = row.tokens.map((t) => t.text).join(' ');
        if (findLabels(text, 'total_amount').length > 0 || findLabels(text, 'net_amount').length > 0) break;
        lastY = row.y;
        const numeric = row.tokens.filter((t) => parseAmount(t.text.replace(/[€$£]/g, ''), hint) !== null);
        const money = numeric.filter((t) => /[.,]\d{2,4}$/.test(t.text));
        const amountTok = money.filter((t) => Math.abs(t.box.x + t.box.w / 2 - amountX) < 0.15).pop();
        const descTokens = row.tokens.filter((t) => !numeric.includes(t) && (cols.quantity === undefined || t.box.x + t.box.w < cols.quantity));
        if (amountTok) {
          const amount = field(parseAmount(amountTok.text, hint)!.value, [amountTok], page.page, 0.75, amountTok.text);
          current = { amount };
          if (descTokens.length > 0) {
            const description = field(descTokens.map((t) => t.text).join(' '), descTokens, page.page, 0.7);
            current.description = description;
          }
          const nearest = (x: number | undefined, pool: Token[]) => x === undefined ? undefined
            : pool.filter((t) => t !== amountTok).sort((a, b) => Math.abs(a.box.x + a.box.w / 2 - x) - Math.abs(b.box.x + b.box.w / 2 - x))[0];
          const q = nearest(cols.quantity, numeric);
          if (q && Math.abs(q.box.x + q.box.w / 2 - cols.quantity!) < 0.08) {
            const quantity = field(parseAmount(q.text, hint)!.value, [q], page.page, 0.6, q.text);
            current.quantity = quantity;
          }
          const u = nearest(cols.unit_price, money);
          if (u && Math.abs(u.box.x + u.box.w / 2 - cols.unit_price!) < 0.1) {
            const unit_price = field(parseAmount(u.text, hint)!.value, [u], page.page, 0.6, u.text);
            current.unit_price = unit_price;
          }
          items.push(current);
        } else if (current?.description && descTokens.length > 0 && numeric.length === 0) {
          current.description.value += `\n${descTokens.map((t) => t.text).join(' ')}`;
        }
      }
      break; // one table per page is the common case; a second header row is usually a repeated header
    }
  }
  return items;
}

const RATE_RE = /(\d{1,2}(?:[.,]\d{1,2})?)\s?%/;

/** VAT breakdown rows: a tax label with a percentage and one or two amounts (base, tax). */
export function extractVatLines(layouts: readonly PageLayout[], hint: DecimalSeparator | undefined): VatLine[] {
  const out: VatLine[] = [];
  const seen = new Set<number>();
  for (const page of layouts) {
    for (const row of rows(page)) {
      const text = row.tokens.map((t) => t.text).join(' ');
      if (findLabels(text, 'total_tax_amount').length === 0) continue;
      const rate = RATE_RE.exec(text);
      if (!rate) continue;
      const rateValue = parseAmount(rate[1] ?? '', ',');
      if (!rateValue || seen.has(rateValue.value)) continue;
      const amounts = findAmounts(text.slice((rate.index ?? 0) + rate[0].length), hint).filter((a) => a.hasDecimals);
      const last = amounts[amounts.length - 1];
      if (!last) continue;
      seen.add(rateValue.value);
      const box = union(row.tokens.map((t) => t.box));
      const line: VatLine = {
        tax_rate: { value: rateValue.value, confidence: 0.7, source: 'layout', pageNumber: page.page, box },
        tax_amount: { value: last.value, confidence: 0.6, source: 'layout', pageNumber: page.page, box, raw: last.raw },
      };
      const base = amounts[amounts.length - 2];
      if (base) line.amount = { value: base.value, confidence: 0.5, source: 'layout', pageNumber: page.page, box, raw: base.raw };
      out.push(line);
    }
  }
  return out;
}

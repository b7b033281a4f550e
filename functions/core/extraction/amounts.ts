import type { Box } from '../geometry.js';
import { subBox, type PageLayout, type Segment } from './layout.js';
import { findAmounts, type AmountMatch, type DecimalSeparator } from './numbers.js';
import { repairLabelWords } from './ocr-words.js';

/**
 * Total, net, tax and amount due, chosen jointly. Every money amount on the pages becomes a candidate with
 * the meaning of its label (the words left of it on its row, or the column header above it) as weights over
 * roles: a "Total" is most likely the total, a "Subtotal" the net, "Total VAT" the tax, "Cash" and "Change"
 * what was tendered and given back, "Rounding" an adjustment. The reading chosen is the one whose amounts
 * agree best with each other, not the first match: net + tax = total, the VAT lines add up to the tax, the
 * subtotal plus the rounding line gives the total, cash minus change gives the total, the same total printed
 * under two labels. What was agreed on is kept as evidence for the confidences. The body rows of a table column
 * (a VAT breakdown per rate, line items with their gross amounts) are parts, not candidates: a per-rate row adds
 * up as well as the document does (base + tax = gross of that rate), and taking it for the total was the
 * confident miss of such breakdowns; the column's sum (printed in a sum row, or equal to a labelled total) is
 * the evidence they give.
 */

export type Role = 'total' | 'net' | 'tax' | 'due' | 'tendered' | 'change' | 'rounding' | 'discount' | 'prepaid';
export type RoleWeights = Partial<Record<Role, number>>;


const R = (src: string) => new RegExp(String.raw`(?<![\p{L}])(?:${src})(?![\p{L}])`, 'iu');
const TAX = String.raw`vat|v\.a\.t\.?|tax(?:es)?|gst|sst|hst|pst|mwst\.?|ust\.?|umsatzsteuer|mehrwertsteuer|steuer|(?:umsatz|mehrwert)?steuer(?:betrag|summe)|(?:mwst|ust)\.?-?betrag|tva|btw|iva|taxe`;
const TOTAL_WORD = String.raw`total|sum|summe|\p{L}*summe|gesamt\p{L}*|montant|amount|betrag|\p{L}*betrag|totaal|bedrag|brutto|sales`;
const INCL = R(String.raw`incl\.?|inkl\.?|including|inclusive|included|inc\.?|ttc|brutto|gross|toutes\s+taxes|w/\s*(?:${TAX})`);
const EXCL = R(String.raw`excl\.?|exkl\.?|excluding|exclusive|before\s+(?:${TAX})|ohne|hors|h\.?t\.?|netto|w/o`);
const HAS_TAX = R(TAX);
const HAS_TOTAL = R(TOTAL_WORD);
const PAID = R(String.raw`paid|payment`);

/**
 * Label meanings in order of precedence: the first rule that matches the label phrase decides ("Total incl.
 * VAT" is a total although it names the tax; "Total excl. VAT" a net; "Total VAT" a tax). Weights say how
 * likely the amount of such a label is each field (a "Balance due" is the amount due, and the total when
 * nothing was prepaid); `strong` labels name their field unambiguously.
 */
const LABEL_RULES: ReadonlyArray<{ test: (t: string) => boolean; weights: RoleWeights; strength: 'strong' | 'weak' }> = [
  // Quantities and counts are never money, whatever the label says.
  { test: (t) => R(String.raw`qty|quantity|menge|anzahl|qt[ée]|quantit[ée]|items?|pcs|stk|articles?|nombre|no\.?\s+of`).test(t), weights: {}, strength: 'weak' },
  { test: (t) => R(String.raw`(?:total|amount|sum|montant|betrag)\s*(?:after\s+)?round(?:ed|ing)?|round(?:ed)?\s*(?:total|amount)|total\s+(?:rounded|arrondi)|gerundet`).test(t), weights: { total: 0.95 }, strength: 'strong' },
  { test: (t) => R(String.raw`round(?:ing)?(?:\s*(?:adj(?:ustment)?\.?|off))?|rundung(?:sdifferenz)?|arrondi|afronding`).test(t), weights: { rounding: 1 }, strength: 'strong' },
  { test: (t) => R(String.raw`change(?:\s*due)?|r[üu]ckgeld|wechselgeld|rendu|monnaie\s+rendue|balance\s+returned|kembali(?:an)?|baki`).test(t), weights: { change: 1 }, strength: 'strong' },
  { test: (t) => R(String.raw`discount|rabatt|nachlass|skonto|remise|korting|savings?|you\s+saved|allowances?|(?:gesamtbetrag\s+der\s+)?(?:ab|zu)schl[äa]ge?`).test(t), weights: { discount: 1 }, strength: 'strong' },
  { test: (t) => R(String.raw`prepaid|prepayment|deposit|down\s+payment|already\s+paid|anzahlung|vorauszahlung|bereits\s+(?:bezahlt|gezahlt)|acompte|d[ée]j[àa]\s+(?:pay[ée]|r[ée]gl[ée])|aanbetaling`).test(t), weights: { prepaid: 1 }, strength: 'strong' },
  { test: (t) => R(String.raw`total\s+(?:paid|payment)|amount\s+(?:paid|tendered)|paid\s+amount`).test(t), weights: { tendered: 0.6, total: 0.5 }, strength: 'weak' },
  // "Amt paid excl GST" is the net and "Amt paid incl GST" the total, not money handed over.
  { test: (t) => EXCL.test(t) && HAS_TAX.test(t) && PAID.test(t), weights: { net: 1, total: 0.3 }, strength: 'strong' },
  { test: (t) => INCL.test(t) && HAS_TAX.test(t) && PAID.test(t), weights: { total: 1 }, strength: 'strong' },
  { test: (t) => R(String.raw`cash|tender(?:ed)?|paid|payment|credit(?!\s*note)|visa|master\s*card|mastercard|amex|debit|credit\s*card|card|bar(?:geld)?|gegeben|esp[èe]ces|carte(?:\s+bancaire)?|cb|ch[èe]que|cheque|eftpos|tunai`).test(t), weights: { tendered: 1 }, strength: 'strong' },
  { test: (t) => R(String.raw`net\s*(?:à|a)\s*payer|(?:reste|somme|montant)\s*(?:à|a)\s*payer|zahlbetrag|zu\s*zahlen(?:der\s*betrag)?|offener\s*betrag|(?:amount|balance|total)\s*(?:now\s+)?due|amount\s*payable|balance|te\s*betalen|do\s*zapłaty`).test(t), weights: { due: 1, total: 0.6 }, strength: 'strong' },
  // "GST 6% included in total", "darin enthaltene MwSt", "dont TVA": the tax inside a total, not the total.
  { test: (t) => HAS_TAX.test(t) && R(String.raw`included\s+in(?:\s+the)?(?:\s+(?:total|price|amount))?|(?:darin\s+)?enthalten\p{L}*|dont`).test(t), weights: { tax: 1 }, strength: 'strong' },
  // "Total 6% supplies (Inc. GST)", "Total 0% supplies" (its 0 often read as an O), "Total zero-rated supplies": the
  // gross of one tax rate, a part of the document's total (the total payable sums them), whatever it says of the tax.
  { test: (t) => R(String.raw`(?:[\dOo]+(?:[.,]\d+)?\s*%|zero[-\s]?rated|standard[-\s]?rated|exempt(?:ed)?|[sz]r)\s+supplies`).test(t), weights: { total: 0.5, net: 0.2 }, strength: 'weak' },
  { test: (t) => INCL.test(t) && (HAS_TOTAL.test(t) || HAS_TAX.test(t)), weights: { total: 1 }, strength: 'strong' },
  { test: (t) => (EXCL.test(t) && (HAS_TOTAL.test(t) || HAS_TAX.test(t))) || R(String.raw`sub\s*-?\s*total|zwischensumme|sous[-\s]*total|subtotaal|nettobetrag|nettosumme|warenwert|nettowert|taxable\s+(?:amount|value)|base\s+(?:ht|imposable)|net\s+(?:amount|total|value)|nett?\s+total|(?:total|summe|gesamt)\s+net(?:to)?|netto`).test(t), weights: { net: 1, total: 0.3 }, strength: 'strong' },
  { test: (t) => HAS_TAX.test(t) && !R(String.raw`invoice|id|no\.?|nr\.?|number|nummer|reg(?:istration)?|identifi\p{L}*|code|exempt|free|base|basis\p{L}*`).test(t), weights: { tax: 1 }, strength: 'strong' },
  { test: (t) => R(String.raw`grand\s*total|invoice\s*total|total\s*(?:amount|invoice|sales|price|payable|to\s+pay)|(?:total|montant)\s*(?:à|a)\s*payer|gesamtbetrag|rechnungsbetrag|endbetrag|gesamtsumme|bruttobetrag|bruttosumme|rechnungssumme|montant\s*total|total\s*facture|totaalbedrag|factuurtotaal|razem`).test(t), weights: { total: 1 }, strength: 'strong' },
  { test: (t) => R(String.raw`total|totaal|gesamt|summe|jumlah`).test(t), weights: { total: 0.85, net: 0.15 }, strength: 'weak' },
  { test: (t) => R(String.raw`amount|betrag|montant|bedrag`).test(t), weights: { total: 0.35 }, strength: 'weak' },
];

/**
 * The meaning of a label phrase (the words left of an amount), or undefined when it names no money field.
 * Only the last chunk of the phrase counts (chunks are separated by column gaps): in "Total 3 items   Cash"
 * the amount is the cash.
 */
export function classifyLabel(label: string): { weights: RoleWeights; strength: 'strong' | 'weak'; at: number } | undefined {
  const text = repairLabelWords(label);
  const chunks = [...text.matchAll(/\S+(?:\s\S+)*/g)].filter((m) => /\p{L}{2}/u.test(m[0].replace(/\b(?:EUR|USD|GBP|CHF|RM|MYR|SGD|Rs)\b/g, '')));
  // A short chunk that names nothing, right before the amount, is OCR noise between a label and its amount
  // ("Final Total  eee\" 3.00", "Total Gross  C RN 85.54"): the label is the chunk before it.
  const noise = (m: RegExpMatchArray) => m[0].replace(/\s/g, '').length <= 4 && LABEL_RULES.every((r) => !r.test(m[0]));
  while (chunks.length > 1 && noise(chunks[chunks.length - 1]!)) chunks.pop();
  const chunk = chunks[chunks.length - 1];
  if (!chunk) return undefined;
  const rule = LABEL_RULES.findIndex((r) => r.test(chunk[0]));
  // A label broken over two columns ("Rechnungssumme Brutto (inkl." | "USt.)") reads whole when the two
  // chunks together make a more specific label than the last one alone (a total incl. tax, not a tax).
  const prev = chunks[chunks.length - 2];
  const joined = prev ? LABEL_RULES.findIndex((r) => r.test(`${prev[0]} ${chunk[0]}`)) : -1;
  const [index, at] = joined >= 0 && (rule < 0 || joined < rule) && LABEL_RULES[rule]?.weights.tax ? [joined, prev!.index] : [rule, chunk.index];
  const found = LABEL_RULES[index];
  return found && { weights: found.weights, strength: found.strength, at };
}

export interface AmountCandidate {
  value: number;
  raw: string;
  page: number;
  box: Box;
  /** Page number - 1 + vertical position (0..1): reading order. */
  position: number;
  hasDecimals: boolean;
  currencyMark?: string;
  weights: RoleWeights;
  strength: 'strong' | 'weak' | 'none';
  relation: 'inline' | 'right' | 'below' | 'none';
  /** Lowest OCR confidence of the amount's tokens (1 for text layers). */
  read: number;
  /** A percentage printed on the label's row (a VAT rate). */
  rate?: number;
  segment: Segment;
  /**
   * A cell of a table column named by a header above it (set when the label came from the header): the
   * column and the body row (0 = first row under the header).
   */
  column?: { id: string; index: number };
  /**
   * Set once the whole column is known: `part` for one of several body rows (a per-rate line of a VAT
   * breakdown, a line item: its own net + tax = gross is the row's arithmetic, not the document's), `sum` for
   * a last row that adds up the rows above it (the column's printed sum).
   */
  cell?: 'part' | 'sum';
  /** A large amount on a "Rounding" line, taken for the rounded total (see settleRoundingLines). */
  roundedTotal?: boolean;
  /** The amount the OCR read (`raw`) differs by one digit from the value, which the page's arithmetic proves (see repairMisreadTotals). */
  repaired?: boolean;
}

interface Row { segments: Segment[]; cy: number; h: number }

function rowsOf(page: PageLayout): Row[] {
  const rows: Row[] = [];
  for (const seg of page.segments) {
    const cy = (seg.pt.y0 + seg.pt.y1) / 2;
    const row = rows.find((r) => Math.abs(r.cy - cy) < Math.min(r.h, seg.pt.h) * 0.6);
    if (row) row.segments.push(seg);
    else rows.push({ segments: [seg], cy, h: seg.pt.h });
  }
  for (const r of rows) r.segments.sort((a, b) => a.pt.x0 - b.pt.x0);
  return rows.sort((a, b) => a.cy - b.cy);
}

const RATE = /(\d{1,2}(?:[.,]\d{1,2})?)\s?%/;

const ROUNDING_WORD = /(?<![\p{L}])(?:round(?:ing|ed)?|rundung|arrondi|afronding)(?![\p{L}])/iu;

/** Whether a rounding line is printed (its amount may be unreadable). */
export function hasRoundingLine(layouts: readonly PageLayout[]): boolean {
  return layouts.some((p) => p.segments.some((s) => ROUNDING_WORD.test(repairLabelWords(s.text))));
}

/** Money amounts of every page with the meaning of their labels. */
export function amountCandidates(layouts: readonly PageLayout[], hint: DecimalSeparator | undefined): AmountCandidate[] {
  const out: AmountCandidate[] = [];
  for (const page of layouts) {
    const rows = rowsOf(page);
    const cells: AmountCandidate[][] = rows.map(() => []);
    rows.forEach((row, ri) => {
      // Amounts of the row left to right, each with the row text before it.
      const found: Array<{ seg: Segment; a: AmountMatch; before: string }> = [];
      let prefix = '';
      for (const seg of row.segments) {
        for (const a of findAmounts(seg.text, hint)) {
          if (!a.hasDecimals && !a.currencyMark) continue;
          found.push({ seg, a, before: `${prefix}${seg.text.slice(0, a.index)}` });
        }
        prefix += `${seg.text}  `;
      }
      const gaps = found.map(({ before }, i) => (i > 0 ? before.slice(before.lastIndexOf(found[i - 1]!.a.raw) + found[i - 1]!.a.raw.length) : before));
      const words = (t: string) => /\p{L}{2}/u.test(t.replace(/\b(?:EUR|USD|GBP|CHF|RM|MYR|SGD|Rs)\b/g, ''));
      found.forEach(({ seg, a }, i) => {
        // A label names the last amount of the run of amounts after it: in "VAT 19 % 100.00 19.00" the tax
        // is the rightmost amount and 100.00 its base; in "Net 100.00  VAT 19.00" each has its own label.
        const endOfRun = i === found.length - 1 || words(gaps[i + 1]!);
        let start = i;
        while (start > 0 && !words(gaps[start]!)) start--;
        let label = endOfRun ? classifyLabel(gaps[start]!) : undefined;
        let relation: AmountCandidate['relation'] = label ? (start === i && a.index > 0 && gaps[i]!.endsWith(seg.text.slice(0, a.index)) ? 'inline' : 'right') : 'none';
        let column: AmountCandidate['column'];
        if (!label) {
          const header = columnHeader(page, rows, cells, ri, seg, a);
          if (header) { label = header.label; relation = 'below'; column = header.column; }
        }
        const rate = RATE.exec(gaps[start]!);
        const tokens = seg.tokens.filter((t, k) => {
          const s = seg.starts[k] ?? 0;
          return s < a.index + a.length && s + t.text.length > a.index;
        });
        // A rounding adjustment is a few cents: a large amount on a "Rounding" line is either the rounded total
        // or a misread adjustment ("0.00" read as "9.00"); settleRoundingLines tells which.
        const roundedTotal = label?.weights.rounding !== undefined && Math.abs(a.value) >= 0.5;
        if (roundedTotal) label = { ...label!, weights: { total: 0.9 } };
        const cand: AmountCandidate = {
          value: a.value, raw: a.raw, page: page.page, box: subBox(seg, a.index, a.index + a.length),
          position: page.page - 1 + seg.box.y, hasDecimals: a.hasDecimals, ...(a.currencyMark ? { currencyMark: a.currencyMark } : {}),
          weights: label?.weights ?? {}, strength: label?.strength ?? 'none', relation,
          read: tokens.length ? Math.min(...tokens.map((t) => t.confidence)) : 1,
          ...(rate ? { rate: Number((rate[1] ?? '').replace(',', '.')) } : {}),
          segment: seg,
          ...(column ? { column } : {}),
          ...(roundedTotal ? { roundedTotal } : {}),
        };
        cells[ri]!.push(cand);
        out.push(cand);
      });
    });
  }
  markColumnCells(out);
  weighRateRows(out);
  settleRoundingLines(out);
  repairMisreadTotals(out);
  return out;
}

/**
 * A tax summary row that names no tax on the row ("SR @6%  15.00  0.90", a till receipt's rate code): when the
 * second amount is the first at the row's rate, the row is a base and its tax, which the arithmetic proves
 * whatever the label (missing, misread: "Total Exel of GST", or a column header's). Only when the document has
 * one such row: with several rates, each row adds up on its own, a part of the document's arithmetic and not the
 * whole.
 */
function weighRateRows(cands: AmountCandidate[]): void {
  const pairs: Array<[AmountCandidate, AmountCandidate]> = [];
  for (let i = 1; i < cands.length; i++) {
    const a = cands[i - 1]!, b = cands[i]!;
    const rate = b.rate;
    if (!rate || a.rate !== rate || !unlabelledRow(a) || !unlabelledRow(b) || a.value <= 0 || b.value <= 0) continue;
    if (a.page !== b.page || Math.abs(a.position - b.position) > Math.max(a.box.h, b.box.h)) continue;
    if (Math.abs((a.value * rate) / 100 - b.value) <= Math.max(0.011, 0.005 * b.value)) pairs.push([a, b]);
  }
  if (pairs.length !== 1) return;
  const [base, tax] = pairs[0]!;
  Object.assign(base, { weights: { net: 0.6 }, strength: 'weak', relation: 'right' } satisfies Partial<AmountCandidate>);
  if (roleScore(tax, 'tax') < 0.6) Object.assign(tax, { weights: { tax: 0.6 }, strength: 'weak', relation: 'right' } satisfies Partial<AmountCandidate>);
}

/**
 * No label on the amount's own row: none at all, or only the header of its column ("GST Summary  Amount  Tax",
 * where "Amount" is the taxable amount of each rate, not a total).
 */
const unlabelledRow = (c: AmountCandidate) => c.relation === 'none' || (c.relation === 'below' && c.cell !== 'part');

/** Whether two amounts are printed one digit apart (a digit misread, dropped or added): 14.85 / 14.65, 11.90 / 111.90. */
function oneDigitApart(a: number, b: number): boolean {
  const x = Math.abs(a).toFixed(2);
  const y = Math.abs(b).toFixed(2);
  if (x === y || Math.abs(x.length - y.length) > 1) return false;
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  // Same length: one substitution; else one insertion into the shorter.
  return short.length === long.length ? short.slice(i + 1) === long.slice(i + 1) : short.slice(i) === long.slice(i + 1);
}

/**
 * A total the OCR misread by one digit, proven by the page's own arithmetic: two independent derivations from
 * other amounts (cash - change, the unrounded total + the rounding line, net + tax; no amount in both) give the
 * same value, and the printed total is one digit away from it ("Total RM 14.85" under "Total incl. GST 14.64",
 * "Rounding 0.01", "Cash 50.00", "Change 35.35"). The total then takes the derived value. Two derivations, not
 * one: a single one may rest on a misread amount itself (a change read 4.90 for 4.70 would "correct" a right
 * total). Text layers are never misread, so only OCR-read totals are repaired.
 */
function repairMisreadTotals(cands: AmountCandidate[]): void {
  const money = cands.filter((c) => c.cell !== 'part' && c.value !== 0);
  const withRole = (role: Role, min: number) => money.filter((c) => roleScore(c, role) > min);
  const totals = withRole('total', 0.5);
  const derivations: Array<{ value: number; from: [AmountCandidate, AmountCandidate] }> = [];
  const derive = (value: number, a: AmountCandidate, b: AmountCandidate) => {
    if (a !== b && value > 0) derivations.push({ value: Math.round(value * 100) / 100, from: [a, b] });
  };
  for (const p of withRole('tendered', 0.5)) for (const ch of withRole('change', 0.5)) derive(Math.abs(p.value) - Math.abs(ch.value), p, ch);
  for (const r of withRole('rounding', 0.5).filter((c) => Math.abs(c.value) <= MAX_ROUNDING)) {
    for (const t of totals.filter((c) => c.position <= r.position + 1e-6)) {
      derive(Math.abs(t.value) + Math.abs(r.value), t, r);
      derive(Math.abs(t.value) - Math.abs(r.value), t, r);
    }
  }
  for (const n of withRole('net', 0.5)) for (const x of withRole('tax', 0.5)) derive(Math.abs(n.value) + Math.abs(x.value), n, x);
  for (const t of totals) {
    if (t.read >= 0.995) continue;
    const near = derivations.filter((d) => !d.from.includes(t) && oneDigitApart(t.value, d.value));
    const proven = near.find((d) => near.some((e) => e !== d && same(e.value, d.value) && !e.from.some((a) => d.from.includes(a))));
    if (proven) {
      t.value = Math.sign(t.value) * proven.value;
      t.repaired = true;
    }
  }
}

/** How far a rounded total may be from the amount it rounds (cash rounding is to 5 or 10 cents). */
const MAX_ROUNDING = 0.1;

/**
 * A large amount on a "Rounding" line is the rounded total only when another total-like amount on the page lies
 * within a rounding step of it (Total 45.28, Rounding 45.30). Otherwise it is an adjustment the OCR misread
 * ("0.01" as "60,01", "0.00" as "9.00"): it then means nothing, rather than a total that outranks the printed one.
 */
function settleRoundingLines(cands: AmountCandidate[]): void {
  for (const c of cands) {
    if (!c.roundedTotal) continue;
    const rounds = cands.some((o) => o !== c && !o.roundedTotal && (o.weights.total ?? 0) + (o.weights.net ?? 0) + (o.weights.due ?? 0) > 0
      && Math.abs(Math.abs(o.value) - Math.abs(c.value)) <= MAX_ROUNDING + 1e-9);
    if (!rounds) {
      c.weights = {};
      c.strength = 'none';
    }
  }
}

/**
 * Marks the cells of columns with several body rows: a VAT breakdown (one row per rate: base, tax, gross), a
 * table of line items (net, VAT, gross per line). Each row's own arithmetic (base + tax = gross) is not the
 * document's: the document's amounts are the column's sums. A last row that equals the sum of the rows above
 * it is the column's printed sum.
 */
function markColumnCells(cands: AmountCandidate[]): void {
  const columns = new Map<string, AmountCandidate[]>();
  for (const c of cands) if (c.column) columns.set(c.column.id, [...(columns.get(c.column.id) ?? []), c]);
  for (const col of columns.values()) {
    if (col.length < 2) continue;
    col.sort((a, b) => a.column!.index - b.column!.index);
    const last = col[col.length - 1]!;
    const rest = col.slice(0, -1);
    const restSum = rest.reduce((s, c) => s + Math.abs(c.value), 0);
    // With a single row above, the sum repeats it (a VAT breakdown of one rate and its sum row).
    const isSum = Math.abs(Math.abs(last.value) - restSum) < 0.005;
    for (const c of col) c.cell = isSum && c === last ? 'sum' : 'part';
  }
}

/**
 * The column header naming an amount that has no label on its own row, with the column it belongs to. Walking
 * up from the amount: an amount right above in the same column that belongs to a header's column continues
 * that column (the next body row); an amount above that does not (labelled on its own row, or under no
 * header), or other text in the column, ends the search; a short label over the amount is the header.
 */
function columnHeader(page: PageLayout, rows: readonly Row[], cells: readonly AmountCandidate[][], ri: number, seg: Segment, a: AmountMatch):
  { label: NonNullable<ReturnType<typeof classifyLabel>>; column: { id: string; index: number } } | undefined {
  const box = subBox(seg, a.index, a.index + a.length);
  const x0 = box.x * page.width, x1 = (box.x + box.w) * page.width;
  const cy = rows[ri]!.cy, h = rows[ri]!.h;
  for (let k = ri - 1; k >= 0; k--) {
    const row = rows[k]!;
    // A header is at most a few lines above its first row; the body rows of one column are closer than a
    // dozen lines apart (an item's description may wrap over several lines).
    if (cy - row.cy > h * 12) return undefined;
    const above = cells[k]!.find((c) => c.box.x * page.width < x1 + 4 && (c.box.x + c.box.w) * page.width > x0 - 4);
    if (above) {
      if (!above.column || above.strength === 'none') return undefined;
      return { label: { weights: above.weights, strength: above.strength, at: 0 }, column: { id: above.column.id, index: above.column.index + 1 } };
    }
    const over = row.segments.filter((s) => s.pt.x0 < x1 + 4 && s.pt.x1 > x0 - 4);
    for (const s of over) {
      if (findAmounts(s.text).some((x) => x.hasDecimals)) return undefined; // an amount above that is not a cell
      const label = classifyLabel(s.text);
      if (label && s.text.trim().split(/\s+/).length <= 5 && ri - k <= 3) {
        // One header segment may span several columns: the column is the header and the first cell's place.
        return { label, column: { id: `${page.page}:${s.id}:${Math.round(x0)}-${Math.round(x1)}`, index: 0 } };
      }
    }
    if (over.length > 0) return undefined;
  }
  return undefined;
}

export interface AmountEvidence {
  /** Independent agreements found for the chosen total (net + tax, cash - change, rounding, lines, repeats). */
  agreements: string[];
  /** Joint score of the reading chosen and of the best reading with another total. */
  score: number;
  runnerUp: number;
  /** A table body amount above the total exceeds it, with no discount printed: a part larger than the whole. */
  partExceeds?: boolean;
}

export interface JointAmounts {
  total?: AmountCandidate & { derived?: boolean };
  net?: AmountCandidate;
  tax?: AmountCandidate;
  due?: AmountCandidate;
  evidence: AmountEvidence;
  /** Net and tax agree with the chosen total. */
  consistent: boolean;
  /** A prepayment or deposit is printed: the amount due is not the total. */
  prepaid: boolean;
}

/** Net + tax may differ from the total by a cent of rounding; money handed over and printed twice may not. */
const close = (a: number, b: number) => Math.abs(a - b) <= Math.max(0.011, 0.0005 * Math.abs(b));
const same = (a: number, b: number) => Math.abs(a - b) < 0.005;
const LABEL_FACTOR = { inline: 1, right: 0.95, below: 0.8, none: 0 } as const;

function roleScore(c: AmountCandidate, role: Role): number {
  return (c.weights[role] ?? 0) * LABEL_FACTOR[c.relation] * (c.hasDecimals ? 1 : 0.85);
}

function top<T>(items: readonly T[], score: (t: T) => number, k: number): T[] {
  return items.map((t) => ({ t, s: score(t) })).filter((x) => x.s > 0).sort((a, b) => b.s - a.s).slice(0, k).map((x) => x.t);
}

/**
 * The joint reading of the money fields. `lineSum` is the sum of the line items read from a table (if any),
 * `vatSum` the sum of the VAT breakdown lines, both only used as agreement evidence.
 */
export function chooseAmounts(
  cands: readonly AmountCandidate[],
  context: { lineSum?: number | undefined; vatSum?: number | undefined; roundingLine?: boolean } = {},
): JointAmounts {
  const roundingLine = context.roundingLine ?? false;
  const all = cands.filter((c) => c.value !== 0 || c.strength !== 'none');
  // The body rows of a table column are parts of the document's amounts, never the amounts themselves: what
  // they prove is their column's sum.
  const money = all.filter((c) => c.cell !== 'part');
  const columnSums = sumsOfColumns(all);
  const totals = top(money, (c) => roleScore(c, 'total'), 8);
  const nets = top(money, (c) => roleScore(c, 'net'), 5);
  const taxes = top(money, (c) => roleScore(c, 'tax'), 6);
  const tendered = money.filter((c) => roleScore(c, 'tendered') > 0.5);
  const changes = money.filter((c) => roleScore(c, 'change') > 0.5);
  const roundings = money.filter((c) => roleScore(c, 'rounding') > 0.5);
  const legibleRoundings = roundings.filter((r) => r.value !== 0 && Math.abs(r.value) <= MAX_ROUNDING);
  // An amount that equals cash minus change is what was paid, whatever its (misread) label says.
  const paid = money.filter((c) => !totals.includes(c) && c.value > 0
    && tendered.some((p) => changes.some((ch) => ch.value !== 0 && same(Math.abs(p.value) - Math.abs(ch.value), c.value))));
  // Without any total label: a payment with nothing given back (a card pays the total exactly) is the total;
  // else the largest amount of the page, weakly (a receipt whose label was misread).
  const exact = totals.length === 0 && paid.length === 0 && !changes.some((c) => c.value !== 0) ? tendered.filter((p) => p.value > 0) : [];
  const fallback = totals.length === 0 && paid.length === 0 && exact.length === 0 ? largest(money) : undefined;
  // A payment equal to a total adjusted by the rounding line printed between them is the rounded total, where the
  // slip prints none of its own ("Total 65.53 / Rounding Adj 0.02 / VISA 65.55"); the total above it is unrounded.
  const unrounded = new Set<AmountCandidate>();
  const rounded = tendered.filter((p) => p.value > 0 && !totals.includes(p) && !paid.includes(p) && totals.some((s) => {
    const adjusts = s.position < p.position && !same(Math.abs(s.value), p.value) && roundings.some((r) => r.value !== 0
      && r.position > s.position - 1e-6 && r.position < p.position + 1e-6 && roundedBy(Math.abs(s.value), r.value, p.value));
    if (adjusts) unrounded.add(s);
    return adjusts;
  }));
  // A payment equal to a labelled net plus a labelled tax is the total, whatever the total line says (its digits
  // misread, or "TOTAL" labelling the net and tax columns of a tax summary): "Amt excl GST 105.57 / GST summary
  // TOTAL 105.57 6.33 / PAID BY CARD RM111.90".
  const settled = tendered.filter((p) => p.value > 0 && !totals.includes(p) && !paid.includes(p) && !rounded.includes(p)
    && nets.some((n) => n !== p && taxes.some((x) => x !== p && x !== n && close(Math.abs(n.value) + Math.abs(x.value), p.value))));
  // With no total to read, a net and a tax that each name their field (a tax summary's base and tax at its rate,
  // "SR @ 6%  8.21  0.49") add up to the total, whatever amount happens to be the largest (often the net itself).
  const summed = fallback ? netPlusTax(nets, taxes) : undefined;
  const pool = fallback ? [fallback, ...(summed ? [summed] : [])] : [...totals, ...paid, ...exact, ...rounded, ...settled];
  const roundingLabel = cands.some((c) => c.weights.rounding !== undefined) || roundingLine;

  const values = (xs: readonly AmountCandidate[]) => [...new Set(xs.map((x) => x.value))];
  const taxSums = (() => {
    const distinct = values(taxes.filter((t) => t.rate !== undefined));
    return distinct.length > 1 ? [distinct.reduce((s, v) => s + v, 0)] : [];
  })();

  type Reading = { t: AmountCandidate; n?: AmountCandidate | undefined; x?: AmountCandidate | undefined; score: number; agreements: string[]; consistent: boolean };
  const readings: Reading[] = [];
  for (const t of pool) {
    const T = Math.abs(t.value);
    const base = t === fallback ? 0.25 : t === summed ? 0.3 : paid.includes(t) || exact.includes(t) || rounded.includes(t) || settled.includes(t) ? 0.3 : roleScore(t, 'total');
    const agreements: string[] = [];
    let bonus = 0;
    // Independent agreements of this total with the rest of the page. What was handed over is the amount
    // printed between the total and the change, whatever its (misread) label: cash - change = total.
    const payers = [...tendered, ...money.filter((p) => !tendered.includes(p) && p !== t && p.position > t.position + 1e-6
      && changes.some((c) => c !== p && c.position >= p.position - 1e-6))];
    if (payers.some((p) => changes.some((c) => c !== p && same(Math.abs(p.value) - Math.abs(c.value), T) && Math.abs(c.value) > 0))) { bonus += 0.8; agreements.push('tendered-change'); }
    // A "total" that minus the change gives another total printed above it is what was handed over.
    if (changes.some((c) => c !== t && Math.abs(c.value) > 0 && totals.some((o) => o !== t && o.position < t.position - 1e-6 && same(T - Math.abs(c.value), Math.abs(o.value))))) bonus -= 0.6;
    else if (tendered.length > 0 && changes.every((c) => c.value === 0) && tendered.some((p) => p !== t && same(Math.abs(p.value), T))) { bonus += 0.3; agreements.push('tendered'); }
    if (tendered.length > 0 && changes.length > 0 && tendered.every((p) => Math.abs(p.value) + 0.011 < T)) bonus -= 0.5;
    // The rounded total comes after its rounding line, the unrounded amount before it.
    if (roundings.some((r) => r.value !== 0 && r.position <= t.position + 1e-6 && money.some((s) => s !== t && s !== r && s.position <= r.position + 1e-6 && roleScore(s, 'total') + roleScore(s, 'net') > 0
      && roundedBy(Math.abs(s.value), r.value, T)))) { bonus += 0.5; agreements.push('rounding'); }
    if (unrounded.has(t)) bonus -= 0.6;
    if (!agreements.includes('rounding')) {
      const fewCentsFrom = (s: AmountCandidate) => s !== t && Math.abs(Math.abs(s.value) - T) > 0.004 && Math.abs(Math.abs(s.value) - T) <= MAX_ROUNDING;
      // A total a few cents from one above a legible rounding line, but not by that line's amount: one of its
      // digits was misread ("Total 177.22 / Rounding -.02 / Rounded 177.26").
      if (legibleRoundings.some((r) => r.position <= t.position + 1e-6 && totals.some((s) => s.position <= r.position + 1e-6 && fewCentsFrom(s)))) bonus -= 0.5;
      // A rounding line whose amount was lost: the later of two totals a few cents apart is the rounded one.
      else if (roundingLabel && legibleRoundings.length === 0 && totals.some((s) => s.position < t.position && fewCentsFrom(s))) {
        bonus += 0.3; agreements.push('rounding');
      }
    }
    // A grand total is the sum of partial totals printed above it (per tax rate, goods and services); a total
    // that is one of those parts is a subtotal, whatever its own net and tax say.
    const partial = (c: AmountCandidate) => roleScore(c, 'total') + roleScore(c, 'net') > 0.3;
    const above = values(money.filter((s) => s !== t && s.position < t.position && partial(s)));
    const grossColumn = columnSums.some((c) => c.weights.total !== undefined && c.weights.total >= 0.5 && same(c.sum, T));
    const netTaxColumns = columnSums.some((n) => (n.weights.net ?? 0) >= 0.5 && columnSums.some((x) => (x.weights.tax ?? 0) >= 0.5 && close(n.sum + x.sum, T)));
    if (grossColumn || netTaxColumns || above.some((a, i) => above.some((b, j) => j > i && a > 0 && b > 0 && same(a + b, T)))) { bonus += 1.0; agreements.push('parts'); }
    if (totals.some((g) => g.position > t.position && money.some((a) => a !== g && a.value > 0 && !same(a.value, T) && partial(a) && same(T + a.value, Math.abs(g.value))))) bonus -= 0.6;
    // Line tables are often misread (a wrapped description, a repeated header): weak evidence.
    if (context.lineSum !== undefined && close(context.lineSum, T)) { bonus += 0.15; agreements.push('lines'); }
    // A per-rate partial equal to a total confirms it (every supply at that rate) only when the total's own label is strong.
    const repeats = money.filter((o) => o !== t && same(Math.abs(o.value), T) && (roleScore(o, 'total') > (t.strength === 'strong' ? 0.3 : 0.5) || roleScore(o, 'due') > 0.3) && (o.page !== t.page || Math.abs(o.position - t.position) > 0.005));
    if (repeats.length > 0) { bonus += 0.25; agreements.push('repeated'); }
    // Rounding leaves a total at most a few cents from an unrounded one: a later total that differs by a
    // rounding line is the amount paid; otherwise, among equal labels, the later one is after the adjustments.
    bonus += 0.02 * Math.min(1, t.position);

    const nOptions: Array<AmountCandidate | undefined> = [undefined, ...nets.filter((n) => n !== t)];
    const xOptions: Array<AmountCandidate | undefined> = [undefined, ...taxes.filter((x) => x !== t)];
    for (const n of nOptions) {
      for (const x of xOptions) {
        if (n && x && n === x) continue;
        let s = base + bonus;
        const agree = [...agreements];
        let consistent = false;
        if (n) s += 0.35 * roleScore(n, 'net');
        if (x) s += 0.35 * roleScore(x, 'tax');
        if (n && x) {
          const N = Math.abs(n.value), X = Math.abs(x.value);
          if (close(N + X, T)) { s += 1.0; agree.push('net+tax'); consistent = true; }
          else s -= 0.6;
        } else if (n) {
          const N = Math.abs(n.value);
          if (N > T + 0.011 && !money.some((d) => roleScore(d, 'discount') > 0.5 || roleScore(d, 'prepaid') > 0.5)) s -= 0.4;
          if (taxSums.some((ts) => close(N + ts, T))) { s += 0.6; agree.push('net+vat-lines'); }
        } else if (x) {
          const X = Math.abs(x.value);
          if (X >= T) s -= 0.5;
        }
        if (x && context.vatSum !== undefined && close(context.vatSum, Math.abs(x.value))) { s += 0.15; agree.push('vat-lines'); }
        readings.push({ t, n, x, score: s, agreements: agree, consistent });
      }
    }
  }

  const prepaid = money.some((c) => roleScore(c, 'prepaid') > 0.5);
  readings.sort((a, b) => b.score - a.score || b.t.position - a.t.position);
  const best = readings[0];
  const dueCand = top(money, (c) => roleScore(c, 'due'), 3)[0];

  if (!best) {
    // No total label and no amount at all, or only net and tax: the total is their sum.
    const n = nets[0], x = taxes[0];
    if (n && x) {
      const derived = { ...n, value: Math.round((n.value + x.value) * 100) / 100, raw: '', weights: { total: 0.5 }, derived: true };
      return { total: derived, net: n, tax: x, evidence: { agreements: ['derived'], score: 0.5, runnerUp: 0 }, consistent: true, prepaid };
    }
    return { ...(n ? { net: n } : {}), ...(x ? { tax: x } : {}), ...(dueCand ? { due: dueCand } : {}), evidence: { agreements: [], score: 0, runnerUp: 0 }, consistent: false, prepaid };
  }
  const runnerUp = readings.find((r) => !same(Math.abs(r.t.value), Math.abs(best.t.value)))?.score ?? 0;
  // A total made of its net and tax cannot count their sum as an agreement: it is that sum.
  if (best.t === summed) return { total: summed, net: best.n ?? summed.from[0], tax: best.x ?? summed.from[1], evidence: { agreements: ['derived'], score: best.score, runnerUp }, consistent: true, prepaid };
  // Net and tax that did not take part in the best reading are still reported (they may be right and the
  // total wrong), but only the ones with their own strong label.
  const net = best.n ?? nets.find((n) => n.strength === 'strong' && n !== best.t);
  const tax = best.x ?? taxes.find((x) => x.strength === 'strong' && x !== best.t);
  return {
    total: best.t,
    ...(net ? { net } : {}),
    ...(tax ? { tax } : {}),
    ...(dueCand ? { due: dueCand } : {}),
    evidence: { agreements: best.agreements, score: best.score, runnerUp, ...(partExceeds(all, best.t) ? { partExceeds: true } : {}) },
    consistent: best.consistent,
    prepaid,
  };
}

/**
 * The total as the sum of the best net and tax that each carry their own label (a weak one will do: a tax
 * summary row proven by its rate, see weighRateRows) and the net larger than the tax; undefined without both.
 */
function netPlusTax(nets: readonly AmountCandidate[], taxes: readonly AmountCandidate[]): (AmountCandidate & { derived: true; from: [AmountCandidate, AmountCandidate] }) | undefined {
  const n = nets.find((c) => roleScore(c, 'net') > 0.5 && c.value > 0);
  const x = taxes.find((c) => c !== n && roleScore(c, 'tax') > 0.5 && c.value > 0 && c.value < (n?.value ?? 0));
  if (!n || !x) return undefined;
  return { ...n, value: Math.round((n.value + x.value) * 100) / 100, raw: '', weights: { total: 0.5 }, strength: 'weak', derived: true, from: [n, x] };
}

/** The sums of the table columns with several body rows, with the meaning of their header. */
function sumsOfColumns(cands: readonly AmountCandidate[]): Array<{ sum: number; weights: RoleWeights }> {
  const columns = new Map<string, AmountCandidate[]>();
  for (const c of cands) if (c.cell === 'part' && c.column) columns.set(c.column.id, [...(columns.get(c.column.id) ?? []), c]);
  return [...columns.values()].filter((col) => col.length >= 2).map((col) => ({ sum: Math.round(col.reduce((s, c) => s + Math.abs(c.value), 0) * 100) / 100, weights: col[0]!.weights }));
}

/**
 * A body amount of a table above the total (an item, a tax base) larger than the total, with no discount or
 * prepayment printed: a part cannot exceed the whole, so a digit of the total was most likely lost ("11.25" read
 * "1.25"). It lowers the total's confidence, never its choice: nothing says which digit was lost.
 */
function partExceeds(cands: readonly AmountCandidate[], t: AmountCandidate): boolean {
  if (cands.some((c) => (c.weights.discount ?? 0) > 0.5 || (c.weights.prepaid ?? 0) > 0.5)) return false;
  return cands.some((c) => c.cell === 'part' && c.position < t.position && c.value > Math.abs(t.value) + 0.011);
}

/** `to` is `from` adjusted by a rounding line of `by`: the sign of a rounding amount is often lost, either sign agrees. */
function roundedBy(from: number, by: number, to: number): boolean {
  return same(from + by, to) || same(from - Math.abs(by), to) || same(from + Math.abs(by), to);
}

function largest(cands: readonly AmountCandidate[]): AmountCandidate | undefined {
  let best: AmountCandidate | undefined;
  for (const c of cands) {
    if (!c.hasDecimals || c.strength === 'strong') continue;
    if (!best || Math.abs(c.value) > Math.abs(best.value)) best = c;
  }
  return best;
}

import type { Box } from '../geometry.js';
import { findDates, type DateMatch } from './dates.js';
import { subBox, type PageLayout, type Segment } from './layout.js';

/**
 * Invoice and due date chosen among every date on the pages by what their labels mean. A delivery, service,
 * order or period date is never the invoice date, whatever its position; a due date is the due date; an
 * explicit invoice-date label beats a bare "Date"; an unlabelled date counts only when nothing labels one,
 * and then the one at the top of the first page, or printed with a time of day (till receipts), is the date.
 * An invoice date after the due date is not a consistent reading.
 */

export type DateRole = 'invoice' | 'generic' | 'due' | 'other' | 'none';

const R = (src: string) => new RegExp(String.raw`(?<![\p{L}])(?:${src})(?![\p{L}])`, 'iu');

const DATE_RULES: ReadonlyArray<{ re: RegExp; role: DateRole }> = [
  { re: R(String.raw`due\s*date|date\s*due|payment\s*due|due\s*(?:on|by)?|pay(?:able)?\s*(?:by|until|before)|f[äa]llig(?:keits?-?\s?datum)?(?:\s*(?:am|bis))?|zahlbar\s*(?:bis|am)|zahlungsziel|date\s*d['’]?[ée]ch[ée]ance|[ée]ch[ée]ance|date\s*limite(?:\s*de\s*paiement)?|[àa]\s*payer\s*avant|vervaldatum|uiterste\s*betaaldatum|termin\s*płatności`), role: 'due' },
  { re: R(String.raw`(?:delivery|despatch|dispatch|shipping|ship(?:ment)?|service|supply|performance|order|purchase\s*order|po|period|start|end|valid(?:ity)?|expiry|expires?|birth|check[\s-]?(?:in|out)|arrival|departure|booking|contract|print(?:ed)?|due)\s*(?:date|on|dated)?|(?:date\s*(?:of|de|du)\s*(?:delivery|service|supply|order|shipment|livraison|commande|prestation|exp[ée]dition))|liefer(?:ungs)?\s*-?\s*datum|liefer(?:ung|datum|zeitraum|tag)|leistungs\s*-?\s*(?:datum|zeitraum|ende|beginn)|leistung|bestell\s*-?\s*datum|bestellung\s*vom|auftrags?\s*-?\s*datum|auftrag\s*vom|zeitraum|versand\s*-?\s*datum|abrechnungszeitraum|ursprungs\p{L}*|g[üu]ltig\s*bis|date\s*de\s*livraison|livraison|date\s*de\s*commande|commande|p[ée]riode|prestation|exp[ée]dition|leverdatum|besteldatum|periode`), role: 'other' },
  { re: R(String.raw`invoice\s*date|date\s*of\s*(?:invoice|issue)|issue\s*date|issued\s*(?:on)?|invoice\s*dated|date\s*of\s*receipt|receipt\s*date|bill\s*date|document\s*date|tax\s*invoice\s*date|credit\s*note\s*date|rechnungs\s*-?\s*datum|datum\s*der\s*rechnung|ausstellungsdatum|ausgestellt\s*am|beleg\s*-?\s*datum|gutschrifts?\s*-?\s*datum|date\s*(?:de\s+(?:la\s+)?)?factur(?:e|ation)|date\s*d['’]?[ée]mission|date\s*de\s*l['’]avoir|date\s*d['’]avoir|factuur\s*-?\s*datum|data\s*wystawienia`), role: 'invoice' },
  { re: R(String.raw`date|dated|datum|le|fecha|data|tarikh`), role: 'generic' },
];

export function classifyDateLabel(text: string): DateRole {
  let best: { role: DateRole; end: number; order: number } | undefined;
  DATE_RULES.forEach((rule, order) => {
    for (const m of text.matchAll(new RegExp(rule.re.source, 'giu'))) {
      const end = m.index + m[0].length;
      // The label nearest the date decides; at the same place the more specific rule (earlier) wins.
      if (!best || end > best.end + 1 || (Math.abs(end - best.end) <= 1 && order < best.order)) best = { role: rule.role, end, order };
    }
  });
  return best?.role ?? 'none';
}

export interface DateCandidate {
  value: DateMatch;
  raw: string;
  page: number;
  box: Box;
  position: number;
  role: DateRole;
  relation: 'inline' | 'right' | 'below' | 'none';
  /** A time of day printed right next to it (receipts print date and time together). */
  withTime: boolean;
  /** One end of a range ("01.03.2024 - 31.03.2024"): a period, not an issue date. */
  inRange: boolean;
  read: number;
  segment: Segment;
}

const TIME = /^\s*(?:[,;/-]\s*)?(?:\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)/i;
const TIME_BEFORE = /\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?\s*[,;/-]?\s*$/i;
const RANGE_AFTER = /^\s*(?:-|–|—|to|bis|au|until|tot)\s*$/i;

/** Every date on the pages with the meaning of its label. */
export function dateCandidates(layouts: readonly PageLayout[]): DateCandidate[] {
  const out: DateCandidate[] = [];
  for (const page of layouts) {
    for (const seg of page.segments) {
      const dates = findDates(seg.text);
      dates.forEach((d, i) => {
        const prevEnd = i > 0 ? dates[i - 1]!.index + dates[i - 1]!.length : 0;
        const before = seg.text.slice(prevEnd, d.index);
        let role = classifyDateLabel(before);
        let relation: DateCandidate['relation'] = role === 'none' ? 'none' : 'inline';
        if (role === 'none' && i === 0) {
          const left = leftOnRow(page, seg);
          if (left) { role = classifyDateLabel(left.text.slice(-40)); relation = role === 'none' ? 'none' : 'right'; }
        }
        if (role === 'none' && i === 0) {
          const above = headerAbove(page, seg);
          if (above) { role = classifyDateLabel(above.text); relation = role === 'none' ? 'none' : 'below'; }
        }
        const after = seg.text.slice(d.index + d.length);
        const next = dates[i + 1];
        const inRange = (next !== undefined && RANGE_AFTER.test(seg.text.slice(d.index + d.length, next.index)))
          || (i > 0 && RANGE_AFTER.test(before));
        const tokens = seg.tokens.filter((t, k) => {
          const s = seg.starts[k] ?? 0;
          return s < d.index + d.length && s + t.text.length > d.index;
        });
        out.push({
          value: d, raw: d.raw, page: page.page, box: subBox(seg, d.index, d.index + d.length), position: page.page - 1 + seg.box.y,
          role, relation, withTime: TIME.test(after) || TIME_BEFORE.test(before), inRange,
          read: tokens.length ? Math.min(...tokens.map((t) => t.confidence)) : 1, segment: seg,
        });
      });
    }
  }
  return out;
}

function leftOnRow(page: PageLayout, seg: Segment): Segment | undefined {
  const cy = (seg.pt.y0 + seg.pt.y1) / 2;
  let best: Segment | undefined;
  for (const s of page.segments) {
    if (s === seg || s.pt.x1 > seg.pt.x0 + 1) continue;
    if (Math.abs((s.pt.y0 + s.pt.y1) / 2 - cy) > Math.max(Math.min(s.pt.h, seg.pt.h) * 0.6, 2)) continue;
    if (!best || s.pt.x1 > best.pt.x1) best = s;
  }
  return best;
}

/**
 * The short label stacked right above a date. Above means its middle is above the date's top: PP-OCR's boxes
 * are grown around the text, so a label and its value stacked tightly overlap by a few points.
 */
function headerAbove(page: PageLayout, seg: Segment): Segment | undefined {
  let best: Segment | undefined;
  for (const s of page.segments) {
    if (s === seg || (s.pt.y0 + s.pt.y1) / 2 > seg.pt.y0 || seg.pt.y0 - s.pt.y1 > seg.pt.h * 2.2) continue;
    if (s.pt.x0 > seg.pt.x1 + 2 || s.pt.x1 < seg.pt.x0 - 2) continue;
    if (!best || s.pt.y1 > best.pt.y1) best = s;
  }
  return best && best.text.trim().split(/\s+/).length <= 5 ? best : undefined;
}

const ROLE_SCORE: Record<DateRole, number> = { invoice: 1, generic: 0.7, none: 0.3, due: 0, other: 0 };
const RELATION_FACTOR = { inline: 1, right: 0.95, below: 0.85, none: 1 } as const;

export interface DateChoice {
  invoice?: DateCandidate & { score: number };
  due?: DateCandidate & { score: number };
  /** The best invoice-date candidate with another date, for the confidence (0 when none). */
  runnerUp: number;
  /** How many candidates name the same calendar date as the chosen one under some label. */
  repeats: number;
}

/**
 * The invoice and due dates. `sameDay` compares two candidates as calendar dates (the caller knows the
 * document's day/month order); `receipt` favours a date printed with a time.
 */
export function chooseDates(cands: readonly DateCandidate[], sameDay: (a: DateMatch, b: DateMatch) => boolean, after: (a: DateMatch, b: DateMatch) => boolean, receipt: boolean): DateChoice {
  const dueList = cands.filter((c) => c.role === 'due').map((c) => ({ ...c, score: RELATION_FACTOR[c.relation] })).sort((a, b) => b.score - a.score || a.position - b.position);
  const due = dueList[0];
  const labelled = cands.some((c) => c.role === 'invoice' || c.role === 'generic');
  const scored = cands.map((c) => {
    let s = ROLE_SCORE[c.role] * RELATION_FACTOR[c.relation];
    if (c.role === 'none') {
      if (labelled) s *= 0.5;
      if (c.page === 1 && c.box.y < 0.35) s += 0.1;
      if (c.withTime) s += receipt ? 0.3 : 0.1;
    }
    if (c.role === 'generic' && c.withTime) s += 0.1;
    if (c.inRange) s *= 0.3;
    if (due && !sameDay(c.value, due.value) && after(c.value, due.value)) s *= 0.4;
    // Earlier in reading order wins ties: the header comes before the body's dates.
    s -= 0.01 * Math.min(1, c.position);
    return { ...c, score: s };
  }).filter((c) => c.score > 0.05).sort((a, b) => b.score - a.score);
  const invoice = scored[0];
  const runnerUp = invoice ? (scored.find((c) => !sameDay(c.value, invoice.value))?.score ?? 0) : 0;
  const repeats = invoice ? scored.filter((c) => c !== invoice && sameDay(c.value, invoice.value)).length : 0;
  return { ...(invoice ? { invoice } : {}), ...(due ? { due } : {}), runnerUp, repeats };
}

import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { findLabels } from './labels.js';
import { below, rightOf, subBox, subExtent, type PageLayout, type Segment } from './layout.js';
import type { Pick } from './header-fields.js';

/**
 * Parties and their identifiers: supplier and receiver names, VAT ids, the supplier's IBAN.
 * Supplier name evidence, strongest first: a seller label ("Verkäufer", "Sold by"), the one-line sender
 * address above the address window, a company name with a legal form in the letterhead, the footer.
 */

const LEGAL_FORM = /(?<![\p{L}])(?:gmbh(?:\s*&\s*co\.?(?:\s*kg)?)?|ag|kg|ohg|e\.\s?k\.|ug|b\.\s?v\.?|n\.\s?v\.?|bv|nv|inc\.?|ltd\.?|limited|llc|llp|plc|corp\.?|corporation|sas|sarl|s\.a\.r\.l\.|s\.a\.?|sa|spa|s\.p\.a\.|pvt\.?|gbr|a\.g\.|co\.)(?![\p{L}])/iu;
const TITLE_WORDS = /^(?:invoice|tax\s+invoice|rechnung|facture|factuur|receipt|payment\s+receipt|bill|credit\s+note|gutschrift|avoir|kopie\s+factuur|retail\s+invoices?\/bill)[.:]?$/i;
const STRIP_TITLE = /^(?:invoice|rechnung|facture|factuur)[.:]?\s+|\s+(?:invoice|rechnung|facture|factuur)$/i;
const NOT_NAME = /@|www\.|https?:|^\+?\d|\b(?:tel|fax|phone|telefon|gln|nummer|number|iban|bic|page|seite|datum|date|nr\.?|no\.?)\b|^\d{4,5}\s/i;
const NAME_PREFIX = /^(?:name|firma|company|raison\s+sociale|attn|z\.\s?hd\.?|t\.a\.v\.)\s*[:.]?\s*/i;

function cleanName(text: string): string {
  return text.replace(NAME_PREFIX, '').replace(STRIP_TITLE, '').replace(/[,;:\s]+$/, '').trim();
}

function nameLike(text: string): boolean {
  const t = cleanName(text);
  return t.length >= 2 && /\p{L}{2}/u.test(t) && !NOT_NAME.test(t) && !TITLE_WORDS.test(t) && !/^\d/.test(t);
}

/** The first name-like text inline after, right of, or below a label segment. */
function nameNear(page: PageLayout, seg: Segment, index: number, length: number, extraSkip?: RegExp): { text: string; seg: Segment; score: number } | undefined {
  const after = seg.text.slice(index + length).replace(/^[\s:;.\-–]*/, '');
  if (after && nameLike(after) && !findLabelsAny(after)) return { text: cleanName(after), seg, score: 0.9 };
  const ext = subExtent(seg, page, index, index + length);
  const right = rightOf(page, seg, ext.x1)[0];
  if (right && nameLike(right.text) && !findLabelsAny(right.text)) return { text: cleanName(right.text), seg: right, score: 0.8 };
  const column = below(page, seg, ext.x0, Math.max(ext.x1, ext.x0 + 60), 3).slice(0, 4);
  // A block line may be a "Name:" label with its value in the next column segment.
  const rows = column.map((s) => ({ s, text: [s, ...rightOf(page, s, s.pt.x1)].map((x) => x.text).join(' ') }));
  // Prefer a "Name:" line or a company form in the block; else the first name-like line.
  for (const r of rows) if (/^name\s*:/i.test(r.text) && nameLike(r.text)) return { text: cleanName(r.text), seg: r.s, score: 0.85 };
  for (const r of rows) {
    // "ACME GMBH   OTHER GMBH  Beleg-Nr: 1" (two address columns on one line): the first company only.
    const m = LEGAL_FORM.exec(r.text);
    const company = m ? r.text.slice(0, m.index + m[0].length) : '';
    if (company && nameLike(company) && !extraSkip?.test(company)) return { text: cleanName(company), seg: r.s, score: 0.8 };
  }
  for (const r of rows) if (nameLike(r.text) && !findLabelsAny(r.text) && !extraSkip?.test(r.text)) return { text: cleanName(r.text), seg: r.s, score: 0.65 };
  return undefined;
}

function findLabelsAny(text: string): boolean {
  return findLabels(text, 'supplier').length + findLabels(text, 'receiver').length + findLabels(text, 'invoice_id').length > 0
    && !LEGAL_FORM.test(text);
}

export interface PartyPicks {
  supplier?: Pick<string>;
  receiver?: Pick<string>;
}

export function extractParties(layouts: readonly PageLayout[]): PartyPicks {
  const first = layouts[0];
  if (!first) return {};
  let receiver: Pick<string> | undefined;
  const receiverSegs = new Set<Segment>();
  for (const seg of first.segments) {
    const hit = findLabels(seg.text, 'receiver')[0];
    if (!hit || hit.index > 2) continue;
    const near = nameNear(first, seg, hit.index, hit.length);
    if (near) {
      receiverSegs.add(near.seg);
      receiver ??= { value: near.text, raw: near.text, score: near.score, page: first.page, box: near.seg.box, source: 'layout' };
    }
  }
  let supplier: Pick<string> | undefined;
  for (const page of layouts.slice(0, 1)) {
    for (const seg of page.segments) {
      const hit = findLabels(seg.text, 'supplier')[0];
      if (!hit || hit.index > 2) continue;
      const near = nameNear(page, seg, hit.index, hit.length);
      if (near && !receiverSegs.has(near.seg)) {
        supplier = { value: near.text, raw: near.text, score: near.score, page: page.page, box: near.seg.box, source: 'layout' };
        break;
      }
    }
    if (supplier) break;
  }
  supplier ??= senderLine(first) ?? letterheadCompany(first, receiverSegs, receiver?.value) ?? footerCompany(layouts, receiver?.value) ?? firstLine(first, receiverSegs);
  return { ...(supplier ? { supplier } : {}), ...(receiver ? { receiver } : {}) };
}

/** The small one-line sender address printed above a window envelope's address ("ACME GmbH - Street 1 - 12345 City"). */
function senderLine(page: PageLayout): Pick<string> | undefined {
  for (const seg of page.segments) {
    if (seg.box.y > 0.4) break;
    const parts = seg.text.split(/\s+[-–•·|]\s+|\s*[•·|]\s*/);
    if (parts.length >= 3 && /\b\d{4,5}\b/.test(seg.text) && nameLike(parts[0] ?? '')) {
      const name = cleanName(parts[0] ?? '');
      return { value: name, raw: name, score: 0.7, page: page.page, box: subBox(seg, 0, name.length), source: 'layout' };
    }
  }
  return undefined;
}

function similar(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const n = (s: string) => s.toLowerCase().replace(/[^\p{L}\d]/gu, '');
  return n(a).includes(n(b)) || n(b).includes(n(a));
}

/** A company name (with a legal form) in the top quarter of page 1, outside the receiver's block. */
function letterheadCompany(page: PageLayout, receiverSegs: Set<Segment>, receiverName: string | undefined): Pick<string> | undefined {
  for (const seg of page.segments) {
    if (seg.box.y > 0.3) break;
    if (receiverSegs.has(seg) || similar(receiverName, seg.text)) continue;
    if (!LEGAL_FORM.test(seg.text) || !nameLike(seg.text)) continue;
    const m = LEGAL_FORM.exec(seg.text)!;
    const text = cleanName(seg.text.slice(0, m.index + m[0].length));
    if (text.split(/\s+/).length > 8 || !nameLike(text)) continue;
    return { value: text, raw: text, score: 0.55, page: page.page, box: seg.box, source: 'layout' };
  }
  return undefined;
}

/** A company name with a legal form in the footer of any page (letterhead repeated at the bottom). */
function footerCompany(layouts: readonly PageLayout[], receiverName: string | undefined): Pick<string> | undefined {
  for (const page of layouts) {
    for (const seg of page.segments) {
      if (seg.box.y < 0.8 || similar(receiverName, seg.text)) continue;
      const m = LEGAL_FORM.exec(seg.text);
      if (!m) continue;
      const text = cleanName(seg.text.slice(0, m.index + m[0].length));
      if (text.split(/\s+/).length > 6 || !nameLike(text)) continue;
      return { value: text, raw: text, score: 0.45, page: page.page, box: seg.box, source: 'layout' };
    }
  }
  return undefined;
}

/** Last resort: the first name-like line at the top of page 1 that is not a document title. */
function firstLine(page: PageLayout, receiverSegs: Set<Segment>): Pick<string> | undefined {
  for (const seg of page.segments) {
    if (seg.box.y > 0.25) break;
    if (receiverSegs.has(seg) || !nameLike(seg.text) || findLabelsAny(seg.text)) continue;
    const text = cleanName(seg.text);
    return { value: text, raw: text, score: 0.3, page: page.page, box: seg.box, source: 'layout' };
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------ identifiers

const VAT_FORMATS: Record<string, RegExp> = {
  AT: /^ATU\d{8}$/, BE: /^BE[01]\d{9}$/, DE: /^DE\d{9}$/, FR: /^FR[0-9A-Z]{2}\d{9}$/, NL: /^NL\d{9}B\d{2}$/,
  GB: /^GB(?:\d{9}|\d{12})$/, IT: /^IT\d{11}$/, ES: /^ES[0-9A-Z]\d{7}[0-9A-Z]$/, LU: /^LU\d{8}$/, PL: /^PL\d{10}$/,
  CH: /^CHE\d{9}(?:MWST|TVA|IVA)?$/, DK: /^DK\d{8}$/, SE: /^SE\d{12}$/, PT: /^PT\d{9}$/, IE: /^IE\d{7}[A-Z]{1,2}$/,
};
const VAT_CANDIDATE = /(?<![\p{L}\d])(?:ATU|CHE|[A-Z]{2})[\s.-]?(?:[0-9A-Z][\s.]?){7,13}(?:MWST|TVA|IVA)?(?![\p{L}\d])/gu;
const RECEIVER_CONTEXT = /(?:your|uw|ihre?|votre|customer|kunden?|client|klant|buyer|käufer|empfänger)[^\n]{0,20}$/i;

/** A VAT id normalized to its compact form when it matches its country's format, else null. */
export function normalizeVatId(raw: string): string | null {
  const compact = raw.toUpperCase().replace(/[\s.-]/g, '');
  const format = VAT_FORMATS[compact.slice(0, 2)];
  return format && format.test(compact) ? compact : null;
}

export interface TaxIdPicks {
  supplier?: Pick<string>;
  receiver?: Pick<string>;
}

/** VAT ids anywhere on the pages; one after "your/customer" wording belongs to the receiver. */
export function extractTaxIds(layouts: readonly PageLayout[]): TaxIdPicks {
  let supplier: Pick<string> | undefined;
  let receiver: Pick<string> | undefined;
  for (const page of layouts) {
    for (const seg of page.segments) {
      for (const m of seg.text.matchAll(VAT_CANDIDATE)) {
        const id = normalizeVatId(m[0]);
        if (!id) continue;
        const before = seg.text.slice(0, m.index);
        const labelled = findLabels(before.slice(-30), 'tax_id').length > 0;
        const pick: Pick<string> = { value: id, raw: m[0], score: labelled ? 0.85 : 0.6, page: page.page, box: subBox(seg, m.index, m.index + m[0].length), source: 'pattern' };
        if (RECEIVER_CONTEXT.test(before)) receiver ??= pick;
        else if (!supplier || (pick.score > supplier.score && supplier.value !== id)) supplier = supplier && supplier.score >= pick.score ? supplier : pick;
      }
    }
  }
  return { ...(supplier ? { supplier } : {}), ...(receiver ? { receiver } : {}) };
}

const IBAN_CANDIDATE = /(?<![\p{L}\d])[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?(?![\p{L}\d])/gu;

/** The first checksum-valid IBAN printed on the document (ibantools validates country length and mod-97). */
export function extractIban(layouts: readonly PageLayout[]): Pick<string> | undefined {
  for (const page of layouts) {
    for (const seg of page.segments) {
      for (const m of seg.text.matchAll(IBAN_CANDIDATE)) {
        const iban = electronicFormatIBAN(m[0]);
        if (iban && isValidIBAN(iban)) {
          return { value: iban, raw: m[0], score: 0.95, page: page.page, box: subBox(seg, m.index, m.index + m[0].length), source: 'pattern' };
        }
      }
    }
  }
  return undefined;
}

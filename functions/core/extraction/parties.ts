import { findLabels } from './labels.js';
import { repairLabelWords } from './ocr-words.js';
import { below, rightOf, subBox, subExtent, type PageLayout, type Segment } from './layout.js';
import type { Pick } from './header-fields.js';

export { normalizeVatId, extractIban, extractTaxIds } from './identifiers.js';

/**
 * Party names. The receiver is read from its label's block ("Bill to", "Rechnungsempfänger") or from the
 * window address under a one-line sender address. The supplier name is chosen among several kinds of
 * evidence (a seller label, the sender line, the letterhead in the largest type, a company form at the top
 * or in the footer) and its confidence grows with independent corroboration: the same name printed again
 * elsewhere, in the e-mail or web domain, or heading the block that carries the supplier's VAT id.
 */

// Not after a digit either: "5KG" on an item line is a weight, not a Kommanditgesellschaft.
const LEGAL_FORM = /(?<![\p{L}\d])(?:gmbh(?:\s*&\s*co\.?(?:\s*kg)?)?|ag|kg|ohg|e\.\s?k\.|ug|b\.\s?v\.?|n\.\s?v\.?|bv|nv|inc\.?|ltd\.?|limited|llc|llp|plc|corp\.?|corporation|sas|sarl|s\.a\.r\.l\.|s\.a\.?|sa|spa|s\.p\.a\.|pvt\.?|gbr|a\.g\.|co\.|sdn\.?\s*bhd\.?|bhd\.?|berhad|s\/b|pte\.?\s*ltd\.?|pty\.?\s*ltd\.?)(?![\p{L}])/iu;
const TITLE_WORDS = /^(?:invoice|tax\s+invoice|rechnung|facture|factuur|receipt|payment\s+receipt|bill|credit\s+note|gutschrift|avoir|kopie\s+factuur|retail\s+invoices?\/bill)[.:]?$/i;
const STRIP_TITLE = /^(?:invoice|rechnung|facture|factuur)[.:]?\s+|\s+(?:(?:tax\s+)?invoice|rechnung|facture|factuur|(?:payment\s+|cash\s+|official\s+)?receipt)$/i;
// A delivery address's heading beside the billing one ("Factuuradres ... Afleveradres") is no party's name.
const NOT_NAME = /@|www\.|https?:|^\+?\d|\b(?:thank|thanks|please|welcome|goods\s+sold|danke|merci)\b|\b(?:ship(?:ping)?\s+to|deliver(?:y|ed)?\s+(?:to|address)|liefer(?:adresse|anschrift)|adresse\s+de\s+livraison|livr[ée]\s+[àa]|afleveradres|bezorgadres)\b|[a-zäöü]+nummer\b|\b(?:tel|fax|phone|telefon|gln|nummer|number|iban|bic|page|seite|datum|date|nr\.?|no\.?)\b|^\d{4,5}\s/i;
const PAYEE = /(?<![\p{L}])(?:(?:account\s+holder|beneficiary|payee|kontoinhaber(?:in)?|begünstigte[rn]?|titulaire(?:\s+du\s+compte)?|bénéficiaire|rekeninghouder)\s*[:.]|payment\s+received\s+by\s*:?)\s*/iu;
const NAME_PREFIX = /^(?:name|firma|company|raison\s+sociale|attn|z\.\s?hd\.?|t\.a\.v\.)\s*[:.]?\s*/i;

// "SDN BHD" as scans misread it ("SON BHD", "CON BHD", "SEN BHD", "SDN BND"): a one-letter slip in a form this
// common is the form, and a name scored without its form would otherwise keep a stray "CON".
const MISREAD_SDN_BHD = /(?<![\p{L}\d])(?!sdn\.?\s*bhd)[sc5][do0e][nm]\.?(\s*)(?:bhd|8hd|bnd|bho)\.?(?![\p{L}])/giu;

function cleanName(text: string): string {
  return text.replace(NAME_PREFIX, '').replace(STRIP_TITLE, '').replace(MISREAD_SDN_BHD, (_m, gap: string) => `SDN${gap || ' '}BHD`).replace(/[,;:\s]+$/, '').trim();
}

/** A document title, also with one glyph misread ("TAX INYOICE"). */
const isTitle = (text: string): boolean => TITLE_WORDS.test(repairLabelWords(text.trim()));

function nameLike(text: string): boolean {
  const t = cleanName(text);
  // The title is checked before and after cleaning: "PAYMENT RECEIPT" cleaned of its "RECEIPT" is no name either.
  return t.length >= 2 && /\p{L}{2}/u.test(t) && !NOT_NAME.test(t) && !isTitle(t) && !isTitle(text) && !/^\d/.test(t);
}

/** The first name-like text inline after, right of, or below a label segment. */
function nameNear(page: PageLayout, seg: Segment, index: number, length: number): { text: string; seg: Segment; score: number } | undefined {
  const after = seg.text.slice(index + length).replace(/^[\s:;.\-–]*/, '');
  if (after && nameLike(after) && !findLabelsAny(after)) return { text: cleanName(after), seg, score: 0.9 };
  const ext = subExtent(seg, page, index, index + length);
  const right = rightOf(page, seg, ext.x1)[0];
  if (right && nameLike(right.text) && !findLabelsAny(right.text)) return { text: cleanName(right.text), seg: right, score: 0.8 };
  const column = below(page, seg, ext.x0, Math.max(ext.x1, ext.x0 + 60), 3).slice(0, 4);
  // Only a "Name:" line takes its value from the next column segment; any other line ends at its column
  // gap, or the party printed beside it (the other address block, the meta column) would be glued on.
  const rows = column.map((s) => ({ s, text: /^\S.*:\s*$/.test(s.text) ? [s, ...rightOf(page, s, s.pt.x1).slice(0, 1)].map((x) => x.text).join(' ') : s.text }));
  for (const r of rows) if (/^name\s*:/i.test(r.text) && nameLike(r.text)) return { text: cleanName(r.text), seg: r.s, score: 0.85 };
  for (const r of rows) {
    const m = LEGAL_FORM.exec(r.text);
    const company = m ? r.text.slice(0, m.index + m[0].length) : '';
    if (company && nameLike(company)) return { text: cleanName(company), seg: r.s, score: 0.8 };
  }
  // The line right under the label is the name on almost every invoice; further down it is a guess.
  for (const [i, r] of rows.entries()) if (nameLike(r.text) && !findLabelsAny(r.text)) return { text: cleanName(r.text), seg: r.s, score: i === 0 ? 0.8 : 0.55 };
  return undefined;
}

function findLabelsAny(text: string): boolean {
  return findLabels(text, 'supplier').length + findLabels(text, 'receiver').length + findLabels(text, 'invoice_id').length > 0
    && !LEGAL_FORM.test(text);
}

// "Customer No.", "Client ID": the label of a number, not of a party's name.
const ID_AFTER = /^\s*(?:no\.?|nr\.?|n[°º]|number|nummer|numéro|id|#|ref\.?)(?![\p{L}])/iu;

function partyLabel(text: string, field: 'supplier' | 'receiver') {
  const hit = findLabels(text, field)[0];
  return hit && hit.index <= 2 && !ID_AFTER.test(text.slice(hit.index + hit.length)) ? hit : undefined;
}

export interface ReceiverPick {
  receiver?: Pick<string>;
  /** Segments of the receiver's address block: what is printed there (a VAT id) belongs to the receiver. */
  block: Set<Segment>;
}

/** The receiver's name and address block: after a receiver label, else the window address under a sender line. */
export function extractReceiver(layouts: readonly PageLayout[]): ReceiverPick {
  const first = layouts[0];
  const block = new Set<Segment>();
  if (!first) return { block };
  let receiver: Pick<string> | undefined;
  for (const seg of first.segments) {
    const hit = partyLabel(seg.text, 'receiver');
    if (!hit) continue;
    const near = nameNear(first, seg, hit.index, hit.length);
    if (!near) continue;
    block.add(near.seg);
    if (!receiver) {
      receiver = { value: near.text, raw: near.text, score: near.score, page: first.page, box: near.seg.box, source: 'layout' };
      const ext = subExtent(seg, first, hit.index, hit.index + hit.length);
      for (const s of below(first, seg, ext.x0, Math.max(ext.x1, near.seg.pt.x1), 2.6).slice(0, 8)) block.add(s);
    }
  }
  if (receiver) return { receiver, block };
  // DIN 5008 / window envelopes: the recipient's address starts right under the small sender line.
  const sender = senderLineSegment(first);
  if (sender) {
    const window = below(first, sender, sender.pt.x0, sender.pt.x1, 2.5).slice(0, 7);
    const name = window[0];
    if (name && nameLike(name.text) && !findLabelsAny(name.text)) {
      for (const s of window) block.add(s);
      const text = cleanName(name.text);
      return { receiver: { value: text, raw: text, score: 0.75, page: first.page, box: name.box, source: 'layout' }, block };
    }
  }
  const address = windowAddress(first);
  if (address) {
    for (const s of address) block.add(s);
    const text = cleanName(address[0]!.text);
    return { receiver: { value: text, raw: text, score: 0.6, page: first.page, box: address[0]!.box, source: 'layout' }, block };
  }
  return { block };
}

/** Where a window envelope shows the address (DIN 5008, and the same window elsewhere): left, upper third. */
const WINDOW = { maxX: 0.25, top: 0.1, bottom: 0.4 };
/**
 * A postcode and a place ("23805 Caen", "D-10115 Berlin", "SW1A 1AA London"; "55188Neustadt", the space an OCR
 * engine dropped), a state and ZIP ("Austin, TX 78701"), or a British postcode on a line of its own, where
 * British addresses print it (its last two letters as an OCR engine may read them: "FK9 4LA", "FK9 4L4").
 */
const POSTCODE_LINE = /(?<![\p{L}\d])(?:[A-Z]{1,2}-)?(?:\d{4,5}(?:\s+\p{L}|\p{Lu}\p{Ll})|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\s+\p{L})|,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?(?!\d)|^[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z\d]{2}$/u;

/**
 * The recipient's address in the envelope window when neither a label nor the small sender line above it was
 * read (the sender line is the smallest type on the page, and an OCR engine may drop it whole): the first
 * name-like line of the window area heading a block of 3 to 6 lines set flush left in one type size, one under
 * the other, one of them a postcode line. A block of the page's largest type is a letterhead, not an address.
 */
function windowAddress(page: PageLayout): Segment[] | undefined {
  const area = page.segments.filter((s) => s.box.x < WINDOW.maxX && s.box.y >= WINDOW.top && s.box.y <= WINDOW.bottom)
    .sort((a, b) => a.pt.y0 - b.pt.y0);
  const largest = Math.max(...page.segments.map((s) => s.pt.h));
  // Fragments of a sender line the OCR did read stand above the block: each name-like line is tried in turn.
  for (const name of area.filter((s) => nameLike(s.text) && !findLabelsAny(s.text) && s.pt.h < largest * 0.95)) {
    const lines = [name];
    for (const s of area.filter((x) => x.pt.y0 > name.pt.y0)) {
      const last = lines[lines.length - 1]!;
      if (Math.abs(s.pt.x0 - name.pt.x0) > name.pt.h) continue;
      // Another type size is another block: the sender line right above the address is set much smaller.
      const sameType = Math.min(s.pt.h, name.pt.h) >= 0.7 * Math.max(s.pt.h, name.pt.h);
      if (s.pt.y0 - last.pt.y1 > last.pt.h || !sameType || findLabelsAny(s.text) || lines.length === 6) break;
      lines.push(s);
    }
    if (lines.length >= 3 && lines.slice(1).some((s) => POSTCODE_LINE.test(s.text))) return lines;
  }
  return undefined;
}

/** Parts of a one-line address; dashes separate parts only when no dot or bar does ("Rodriguez - Connelly · ..."). */
function senderParts(text: string): string[] {
  return /[•·|]/.test(text) ? text.split(/\s*[•·|]\s*/) : text.split(/\s+[-–]\s+/);
}

/**
 * The one-line sender address above a window address ("ACME GmbH · Street 1 · 12345 City"): three or more
 * parts, with a postcode or set in smaller type than the body (postcodes like "HD37 6SS" have no digit run).
 */
function senderLineSegment(page: PageLayout): Segment | undefined {
  const hs = page.segments.map((s) => s.pt.h).sort((a, b) => a - b);
  const median = hs[Math.floor(hs.length / 2)] ?? 0;
  for (const seg of page.segments) {
    if (seg.box.y > 0.4) break;
    const parts = senderParts(seg.text);
    // The first part is the name: a part with a house number ("Via Roma, 7") means an address line.
    if (parts.length >= 3 && (/\b\d{4,5}\b/.test(seg.text) || seg.pt.h < median * 0.85) && nameLike(parts[0] ?? '') && !/(?<![\p{L}\d])\d+[a-z]?(?![\p{L}\d])/iu.test(parts[0] ?? '')) return seg;
  }
  return undefined;
}

interface Evidence { text: string; seg: Segment; score: number }

const normKey = (s: string) => s.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\p{L}\d]/gu, '');

function similar(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = normKey(a), y = normKey(b);
  return x.length > 0 && y.length > 0 && (x.includes(y) || y.includes(x));
}

export interface SupplierContext {
  receiverBlock: ReadonlySet<Segment>;
  /** A till receipt: the shop's name heads the slip (type size says little there). */
  receipt?: boolean;
  receiverName?: string | undefined;
  /** Segment holding the supplier's VAT id (see extractTaxIds). */
  taxIdSegment?: Segment | undefined;
}

/**
 * The supplier's name, or undefined. Each kind of evidence gives a probability that it names the supplier;
 * independent pieces for the same name combine as 1 - Π(1 - p), so a name seen once in the letterhead stays
 * uncertain and one repeated in the footer and the e-mail domain becomes confident.
 */
export function extractSupplier(layouts: readonly PageLayout[], ctx: SupplierContext): Pick<string> | undefined {
  const first = layouts[0];
  if (!first) return undefined;
  const evidence: Evidence[] = [];
  // A shop's name may start with a number ("7-Eleven", "99 Speed Mart"); elsewhere a leading number is an address.
  const usable = (seg: Segment, text: string) => !ctx.receiverBlock.has(seg) && !similar(ctx.receiverName, text)
    && (nameLike(text) || (ctx.receipt === true && nameLike(text.replace(/^\d+[-\s]+/, ''))));
  const add = (text: string, seg: Segment, score: number) => { if (usable(seg, text)) evidence.push({ text, seg, score }); };

  for (const seg of first.segments) {
    const hit = partyLabel(seg.text, 'supplier');
    if (!hit) continue;
    const near = nameNear(first, seg, hit.index, hit.length);
    // The first seller label in reading order; a later "label" is often a word of a name ("Lieferant GmbH").
    if (near) { add(near.text, near.seg, near.score); break; }
  }
  const sender = senderLineSegment(first);
  if (sender) add(cleanName(senderParts(sender.text)[0] ?? ''), sender, 0.7);
  const head = ctx.receipt ? undefined : letterheadType(first, ctx.receiverBlock);
  if (head) add(cleanName(head.text), head, 0.65);
  if (ctx.receipt) {
    // Heading the slip and carrying a company form are independent signs of the shop's legal name.
    const top = receiptHeader(first);
    if (top) add(top.text, top.seg, top.legal && top.first ? 0.75 : top.legal ? 0.5 : 0.45);
  }
  for (const seg of ctx.receipt ? [] : first.segments) {
    if (seg.box.y > 0.3) break;
    const m = LEGAL_FORM.exec(seg.text);
    if (!m) continue;
    const text = cleanName(seg.text.slice(0, m.index + m[0].length));
    if (text.split(/\s+/).length <= 8) { add(text, seg, 0.55); break; }
  }
  for (const page of layouts) {
    const seg = page.segments.find((s) => s.box.y >= 0.8 && LEGAL_FORM.test(s.text));
    const m = seg && LEGAL_FORM.exec(seg.text);
    if (seg && m) {
      // "Sarl au capital de 10 000 €": a footer line that starts with the legal form describes the company
      // named on the footer line above it.
      const named = m.index === 0 ? footerLineAbove(page, seg) : seg;
      const text = named === seg ? cleanName(seg.text.slice(0, m.index + m[0].length)) : cleanName(named?.text ?? '');
      if (named && text.split(/\s+/).length <= 6) { add(text, named, 0.45); break; }
    }
  }
  // The holder of the account the invoice is paid to, or who received the payment, is the supplier (or its legal name).
  for (const page of layouts) {
    const hit = page.segments.map((seg) => ({ seg, m: PAYEE.exec(seg.text) })).find((x) => x.m);
    const name = hit?.m && cleanName(hit.seg.text.slice(hit.m.index + hit.m[0].length).split(/\s+[-–|]\s+|,\s/)[0] ?? '');
    if (hit && name && name.split(/\s+/).length <= 6) { add(name, hit.seg, 0.6); break; }
  }
  if (evidence.length === 0) {
    const seg = first.segments.find((s) => s.box.y <= 0.25 && !ctx.receiverBlock.has(s) && nameLike(s.text) && !ADDRESS.test(s.text) && !findLabelsAny(s.text));
    if (seg) add(cleanName(seg.text), seg, 0.3);
  }

  const groups = new Map<string, Evidence[]>();
  for (const e of evidence) {
    const key = normKey(e.text);
    if (key.length < 2) continue;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const domains = webDomains(layouts);
  let top: { e: Evidence; p: number } | undefined;
  for (const [key, list] of groups) {
    const segs = new Set(list.map((e) => e.seg));
    const lead = list.reduce((a, b) => (b.score > a.score ? b : a));
    const probs = [...new Set(list.map((e) => e.seg))].map((s) => Math.max(...list.filter((e) => e.seg === s).map((e) => e.score)));
    if (repeatedElsewhere(layouts, lead.text, segs, ctx.receiverBlock)) probs.push(0.5);
    if (key.length >= 5 && domains.some((d) => key.includes(d) || d.includes(key))) probs.push(0.5);
    if (ctx.taxIdSegment && [...segs].some((s) => headsBlockWith(layouts, s, ctx.taxIdSegment!))) probs.push(0.5);
    const p = Math.min(0.97, 1 - probs.reduce((q, x) => q * (1 - x), 1));
    if (!top || p > top.p + 1e-9) top = { e: lead, p };
  }
  if (!top) return undefined;
  const { e, p } = top;
  return { value: e.text, raw: e.text, score: p * nameShape(e.text), page: e.seg.page, box: subBox(e.seg, 0, e.text.length), source: 'layout' };
}

/**
 * How much a text looks like a printed company name rather than a fragment or OCR noise (it lowers the
 * confidence only, never the choice): signs other than the punctuation of names, fewer than six letters,
 * a single short word, no capital letter at all.
 */
export function nameShape(text: string): number {
  const letters = (text.match(/\p{L}/gu) ?? []).length;
  const junk = (text.match(/[^\p{L}\d\s.,&'’()/-]/gu) ?? []).length;
  const words = text.split(/\s+/).filter((w) => w.replace(/[^\p{L}]/gu, '').length >= 2).length;
  let f = 1;
  if (junk > 0) f *= 0.6;
  if (letters < 6) f *= 0.6;
  if (words < 2 && letters < 10) f *= 0.8;
  if (!/\p{Lu}/u.test(text)) f *= 0.8;
  return f;
}

const ADDRESS = /(?<![\p{L}])(?:jalan|jln|lot|lorong|taman|bandar|persiaran|lebuh(?:raya)?|kampung|seksyen|street|st\.|road|rd\.?|avenue|ave\.?|blvd|floor|level|block|unit|suite|strasse|straße|str\.|rue|platz|weg|allee|tel|fax|phone|gst|vat|reg(?:istration)?|company\s*(?:reg|no\.?|#)|co\.\s*reg|no\.?)(?![\p{L}])|(?<!\d)\d{5}(?!\d)|\d+\s*,|,\s*\d/iu;

/** An address line: address words or a postcode, and no company form (a name may carry its street). */
const addressLine = (text: string) => ADDRESS.test(text) && !LEGAL_FORM.test(text);

/** A receipt's header row: the segments of one visual row joined when their gaps are word gaps stretched by print. */
function rowText(page: PageLayout, seg: Segment): string {
  const cy = (seg.pt.y0 + seg.pt.y1) / 2;
  const row = page.segments.filter((s) => Math.abs((s.pt.y0 + s.pt.y1) / 2 - cy) < Math.min(s.pt.h, seg.pt.h) * 0.5).sort((a, b) => a.pt.x0 - b.pt.x0);
  let text = '';
  let prev: Segment | undefined;
  for (const s of row) {
    if (prev && s.pt.x0 - prev.pt.x1 > 3 * Math.max(s.pt.h, prev.pt.h)) {
      if (row.indexOf(seg) < row.indexOf(s)) break;
      text = '';
    }
    text = text ? `${text} ${s.text}` : s.text;
    prev = s;
  }
  return text;
}

/**
 * The shop's name on a till receipt: the first name-like row at the top of the slip, above its address, that is
 * not an address, a phone or registration line, or a title ("TAX INVOICE"); a row ending in "&" continues on the
 * next one. Preferred to it: a row with a company form ("Sdn Bhd", "GmbH") among the first rows (the legal name,
 * with the rows above it when a bracket joins them), then the row right above a bracketed registration number.
 */
function receiptHeader(page: PageLayout): { text: string; seg: Segment; legal: boolean; first: boolean } | undefined {
  const rows: Array<{ text: string; seg: Segment }> = [];
  const seen = new Set<string>();
  for (const seg of page.segments) {
    if (seg.box.y > 0.35) break;
    const text = rowText(page, seg);
    if (seen.has(text) || !/\p{L}{2}/u.test(text)) continue;
    seen.add(text);
    rows.push({ text, seg });
  }
  const usable = (t: string) => {
    // A registration number in brackets ("(51753-X)") follows many names: it is not part of the name.
    const c = cleanName(t.replace(/\s*\([^)]*\d[^)]*\)?\s*$/, ''));
    return c.length >= 3 && /\p{L}{3}/u.test(c) && !isTitle(c) && !isTitle(t) && !/@|www\.|https?:/i.test(c) && !addressLine(c)
      && (c.match(/\p{L}/gu) ?? []).length >= c.replace(/\s/g, '').length * 0.6;
  };
  const legalAt = rows.slice(0, 6).findIndex((r, i) => LEGAL_FORM.test(r.text)
    && (usable(r.text.slice(0, LEGAL_FORM.exec(r.text)!.index)) || (i > 0 && usable(rows[i - 1]!.text))));
  const legal = rows[legalAt];
  const named = rows.findIndex((r) => usable(r.text));
  if (legal) {
    const m = LEGAL_FORM.exec(legal.text)!;
    let text = cleanName(legal.text.slice(0, m.index + m[0].length));
    // The form alone on its row ("BHD", "SDN BHD"): the name is on the row above.
    if (!usable(legal.text.slice(0, m.index)) && legalAt > 0) text = `${cleanName(rows[legalAt - 1]!.text)} ${text}`;
    // A name broken across rows ("AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" / "ALAM) SDN BHD"): a row that closes
    // a bracket it did not open continues the name-like rows right above it, unless they open more brackets than
    // it closes. The opening bracket itself may be missing: OCR drops a bracket more often than a word.
    else if (bracketDepth(text) < 0) {
      const above = nameRowsAbove(rows, legalAt, usable);
      if (above.length > 0 && bracketDepth(`${above.join(' ')} ${text}`) <= 0) text = `${above.join(' ')} ${text}`;
    }
    return { text, seg: legal.seg, legal: true, first: named === legalAt || named === legalAt - 1 };
  }
  // The row right above a bracketed registration number ("(002107265-V)") is the registered name, even below
  // another name-like row (a customer's name typed in, a footer line of the previous slip cut by the tear).
  const lineBelow = (seg: Segment) => page.segments.find((s) => s.pt.y0 >= seg.pt.y1 - seg.pt.h * 0.3 && s.text.trim().length >= 3);
  const registered = rows.slice(0, 6).findIndex((r) => usable(r.text) && REGISTRATION_ROW.test(lineBelow(r.seg)?.text.trim() ?? ''));
  // The shop's name heads its address: a name-like row below the first address row continues the address
  // ("NO 1&3, Jalan Wangsa Delima 12," / "Wangsa Link, Wangsa Maju,").
  const address = rows.findIndex((r) => !usable(r.text) && ADDRESS.test(r.text) && /\p{L}{3}/u.test(r.text));
  const i = registered >= 0 ? registered : address >= 0 && named > address ? -1 : named;
  const row = rows[i];
  if (!row) return undefined;
  let text = cleanName(row.text);
  const next = rows[i + 1];
  if (next && /(?:&|\band|-)$/i.test(text) && usable(next.text)) text = `${text} ${cleanName(next.text)}`;
  return { text, seg: row.seg, legal: false, first: true };
}

/**
 * A row that is only a company registration number in brackets: "(002107265-V)", "(JM0517726)", "(65351-M)"; OCR
 * reads a bracket as a brace now and then ("(1935683-T}").
 */
const REGISTRATION_ROW = /^[({[]\s*[A-Z]{0,3}\d[\d\s-]{3,}[A-Z]?\s*[)}\]]$/i;

/** Opened minus closed brackets: negative when a text closes a bracket opened before it. */
const bracketDepth = (t: string): number => (t.match(/\(/g) ?? []).length - (t.match(/\)/g) ?? []).length;

/**
 * The name-like rows stacked right above row `at` (at most three), nearest last: each no further above the next
 * than its own height, so that a slogan or a logo separated by space does not join the name.
 */
function nameRowsAbove(rows: ReadonlyArray<{ text: string; seg: Segment }>, at: number, usable: (t: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = at - 1; i >= 0 && out.length < 3; i--) {
    const row = rows[i]!, below = rows[i + 1]!.seg;
    if (!usable(row.text) || below.pt.y0 - row.seg.pt.y1 > Math.max(row.seg.pt.h, below.pt.h)) break;
    out.unshift(cleanName(row.text));
  }
  return out;
}

/** The name-like line set in clearly larger type than the body, in the top third of page 1. */
function letterheadType(page: PageLayout, receiverBlock: ReadonlySet<Segment>): Segment | undefined {
  const hs = page.segments.map((s) => s.pt.h).sort((a, b) => a - b);
  const median = hs[Math.floor(hs.length / 2)] ?? 0;
  let top: Segment | undefined;
  for (const seg of page.segments) {
    if (seg.box.y > 0.3) break;
    if (seg.pt.h < median * 1.25 || receiverBlock.has(seg) || !nameLike(seg.text) || !/\p{L}{3}/u.test(seg.text) || findLabelsAny(seg.text)) continue;
    // An address line set large (a scan's enlarged street or town line) is no name.
    if (addressLine(seg.text)) continue;
    if (!top || seg.pt.h > top.pt.h) top = seg;
  }
  return top;
}

/** The name printed again in another segment: alone, or leading a "Name | street | city" line. */
function repeatedElsewhere(layouts: readonly PageLayout[], name: string, own: ReadonlySet<Segment>, receiverBlock: ReadonlySet<Segment>): boolean {
  for (const page of layouts) {
    for (const seg of page.segments) {
      if (own.has(seg) || receiverBlock.has(seg) || !seg.text.startsWith(name)) continue;
      // A dash may continue the name ("Rodriguez - Connelly"); only a bar, dot or comma ends it.
      if (/^\s*(?:$|[|·•,]\s)/.test(seg.text.slice(name.length))) return true;
    }
  }
  return false;
}

/** Second-level labels of e-mail and web domains printed on the pages ("acme" of billing@acme.de). */
function webDomains(layouts: readonly PageLayout[]): string[] {
  const out = new Set<string>();
  for (const page of layouts) {
    for (const seg of page.segments) {
      for (const m of seg.text.matchAll(/(?:@|www\.)([\p{L}\d-]+(?:\.[\p{L}\d-]+)*)\.[a-z]{2,6}(?![\p{L}])/giu)) {
        const label = normKey((m[1] ?? '').split('.').pop() ?? '');
        if (label.length >= 4) out.add(label);
      }
    }
  }
  return [...out];
}

/** True when `target` lies in the address block that `seg` heads (same column, within a few lines). */
function headsBlockWith(layouts: readonly PageLayout[], seg: Segment, target: Segment): boolean {
  if (seg === target) return true;
  const page = layouts.find((p) => p.page === seg.page);
  if (!page || target.page !== seg.page) return false;
  return below(page, seg, seg.pt.x0, seg.pt.x1, 2.6).slice(0, 8).includes(target);
}

/**
 * The name printed above `seg` in the same footer block: going up line by line (each within two line heights of
 * the one below, overlapping it horizontally), past at most two address lines, the first line that looks like a
 * name and not like an address.
 */
function footerLineAbove(page: PageLayout, seg: Segment): Segment | undefined {
  let current = seg;
  for (let k = 0; k < 3; k++) {
    const next = page.segments
      .filter((s) => s !== current && s.pt.y1 <= current.pt.y0 + current.pt.h * 0.3 && current.pt.y0 - s.pt.y1 < current.pt.h * 2
        && s.pt.x0 < current.pt.x1 && s.pt.x1 > current.pt.x0)
      .sort((a, b) => b.pt.y1 - a.pt.y1)[0];
    if (!next) return undefined;
    if (nameLike(next.text) && !ADDRESS.test(next.text)) return next;
    current = next;
  }
  return undefined;
}

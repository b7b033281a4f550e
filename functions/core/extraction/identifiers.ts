import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { findLabels } from './labels.js';
import { subBox, type PageLayout, type Segment } from './layout.js';
import type { Pick } from './header-fields.js';

/**
 * Party identifiers: VAT ids (and US EINs) assigned to supplier or receiver by where they are printed, and
 * the supplier's IBAN. Format checks only: VAT checksums need per-country code that core does not carry.
 */

const VAT_FORMATS: Record<string, RegExp> = {
  AT: /^ATU\d{8}$/, BE: /^BE[01]\d{9}$/, DE: /^DE\d{9}$/, FR: /^FR[0-9A-Z]{2}\d{9}$/, NL: /^NL\d{9}B\d{2}$/,
  GB: /^GB(?:\d{9}|\d{12})$/, IT: /^IT\d{11}$/, ES: /^ES[0-9A-Z]\d{7}[0-9A-Z]$/, LU: /^LU\d{8}$/, PL: /^PL\d{10}$/,
  CH: /^CHE\d{9}(?:MWST|TVA|IVA)?$/, DK: /^DK\d{8}$/, SE: /^SE\d{12}$/, PT: /^PT\d{9}$/, IE: /^IE\d{7}[A-Z]{1,2}$/,
};
const VAT_CANDIDATE = /(?<![\p{L}\d])(?:ATU|CHE|[A-Z]{2})[\s.-]?(?:[0-9A-Z][\s.]?){7,13}(?:MWST|TVA|IVA)?(?![\p{L}\d])/gu;
// A US employer id is only told apart from any other "12-3456789" by its label.
const EIN_CANDIDATE = /(?<![\p{L}])(?:EIN|FEIN|[Ee]mployer\s+[Ii]d(?:entification)?(?:\s+(?:[Nn]o\.?|[Nn]umber))?)\s*[:#.]?\s*(\d{2}-\d{7})(?!\d)/gu;
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
  /** The segment the supplier's id was read from (its block names the supplier). */
  supplierSegment?: Segment;
}

interface TaxIdHit { pick: Pick<string>; seg: Segment; labelled: boolean; receiver: boolean; order: number }

/**
 * VAT ids and EINs anywhere on the pages. One printed inside the receiver's address block, or after
 * "your/customer" wording, belongs to the receiver; the others to the supplier. The supplier's id is
 * confident when it was labelled and is the only candidate left; several different ones halve the trust.
 */
export function extractTaxIds(layouts: readonly PageLayout[], receiverBlock: ReadonlySet<Segment> = new Set()): TaxIdPicks {
  const hits: TaxIdHit[] = [];
  for (const page of layouts) {
    for (const seg of page.segments) {
      const found: Array<{ id: string; index: number; raw: string; labelled: boolean }> = [];
      // The first groups of an IBAN ("BE10 3747 3817 ...") can take the shape of a VAT id.
      const ibans = ibanSpans(seg.text);
      for (const m of seg.text.matchAll(VAT_CANDIDATE)) {
        const id = normalizeVatId(m[0]);
        if (!id || ibans.some(([a, b]) => m.index < b && m.index + m[0].length > a)) continue;
        found.push({ id, index: m.index, raw: m[0], labelled: findLabels(seg.text.slice(Math.max(0, m.index - 30), m.index), 'tax_id').length > 0 });
      }
      for (const m of seg.text.matchAll(EIN_CANDIDATE)) {
        const raw = m[1] ?? '';
        found.push({ id: raw, index: m.index + m[0].length - raw.length, raw, labelled: true });
      }
      for (const f of found) {
        const before = seg.text.slice(0, f.index);
        hits.push({
          pick: { value: f.id, raw: f.raw, score: 0, page: page.page, box: subBox(seg, f.index, f.index + f.raw.length), source: 'pattern' },
          seg, labelled: f.labelled, receiver: receiverBlock.has(seg) || RECEIVER_CONTEXT.test(before), order: hits.length,
        });
      }
    }
  }
  const receiverHit = hits.find((h) => h.receiver);
  const receiverIds = new Set(hits.filter((h) => h.receiver).map((h) => h.pick.value));
  const own = hits.filter((h) => !h.receiver && !receiverIds.has(h.pick.value));
  const distinct = new Set(own.map((h) => h.pick.value)).size;
  const ranked = own.slice().sort((a, b) => Number(b.labelled) - Number(a.labelled) || a.order - b.order);
  const top = ranked[0];
  const out: TaxIdPicks = {};
  if (top) {
    const base = top.labelled ? 0.9 : 0.65;
    out.supplier = { ...top.pick, score: distinct > 1 ? base * 0.55 : base };
    out.supplierSegment = top.seg;
  }
  if (receiverHit) out.receiver = { ...receiverHit.pick, score: receiverHit.labelled ? 0.85 : 0.65 };
  return out;
}

const IBAN_CANDIDATE = /(?<![\p{L}\d])[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?(?![\p{L}\d])/gu;

function ibanSpans(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of text.matchAll(IBAN_CANDIDATE)) {
    const iban = electronicFormatIBAN(m[0]);
    if (iban && isValidIBAN(iban)) out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

/**
 * The supplier's IBAN: the first checksum-valid one printed (ibantools checks country length and mod-97).
 * A checksum-valid IBAN is almost never a misread; several different ones leave the choice uncertain.
 */
export function extractIban(layouts: readonly PageLayout[]): Pick<string> | undefined {
  const found: Array<Pick<string>> = [];
  for (const page of layouts) {
    for (const seg of page.segments) {
      for (const m of seg.text.matchAll(IBAN_CANDIDATE)) {
        const iban = electronicFormatIBAN(m[0]);
        if (iban && isValidIBAN(iban)) {
          found.push({ value: iban, raw: m[0], score: 0.97, page: page.page, box: subBox(seg, m.index, m.index + m[0].length), source: 'pattern' });
        }
      }
    }
  }
  const first = found[0];
  if (!first) return undefined;
  return new Set(found.map((f) => f.value)).size > 1 ? { ...first, score: 0.6 } : first;
}

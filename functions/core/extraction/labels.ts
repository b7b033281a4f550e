/**
 * Multilingual label dictionaries (English, German, French, Dutch, some Polish) for the fields found by
 * "label -> value" search; the money fields and the dates are chosen by what their labels mean instead
 * (amounts.ts, date-fields.ts), and the money labels here only end line-item tables and find VAT rows. Each
 * label is a regular expression source matched on whole words, with a weight (how surely it names the
 * field) and a language tag used to tell the document's language. Kept as data so that adding a language is adding rows, not code.
 */

export type Lang = 'en' | 'de' | 'fr' | 'nl' | 'pl';

export interface LabelDef {
  re: string;
  weight: number;
  lang: Lang;
}

export type LabelField =
  | 'invoice_id' | 'total_amount' | 'net_amount' | 'total_tax_amount' | 'payment_terms' | 'purchase_order' | 'supplier' | 'receiver' | 'tax_id';

const L = (lang: Lang, weight: number, ...res: string[]): LabelDef[] => res.map((re) => ({ re, weight, lang }));

/** Follows a party label that is not the label of a number of that party ("Customer No.", "client n°"). */
const NOT_A_NUMBER = String.raw`(?!\s*(?:n[°º]|no\b|nr\b|num|number|#|id\b|code|ref))`;

export const LABELS: Record<LabelField, LabelDef[]> = {
  invoice_id: [
    ...L('en', 1, String.raw`invoice\s*(?:number|num\.?|no\.?|nr\.?|n[°º]|#|id)`, String.raw`inv\.?\s*(?:no\.?|#)`),
    ...L('en', 0.7, String.raw`(?:document|bill|receipt)\s*(?:number|no\.?|#)`),
    ...L('en', 0.55, String.raw`booking\s*id`, String.raw`invoice`),
    // A document title followed by its number label: "Gutschrift (Selbst ausgestellte Rechnung) (389) Nr.".
    ...L('de', 0.95, String.raw`(?:\p{L}*rechnung\p{L}*|gutschrift)[^:\n]{0,48}?\s(?:nr\.?|no\.?|nummer)`),
    ...L('en', 0.95, String.raw`(?:invoice|credit\s*(?:note|memo))[^:\n]{0,48}?\s(?:no\.?|number|#)`, String.raw`credit\s*(?:note|memo)\s*(?:no\.?|number|#|nr\.?)`),
    ...L('de', 1, String.raw`gutschrifts?[-\s]?(?:nummer|nr\.?|no\.?)`, String.raw`rechnungs?[-\s]?(?:nummer|nr\.?|no\.?)`, String.raw`\p{L}*rechnung(?:\s*\(\d+\))?\s*(?:nr\.?|no\.?|nummer)`),
    ...L('de', 0.85, String.raw`beleg[-\s]?(?:nr\.?|nummer)`, String.raw`belegnummer`),
    ...L('de', 0.5, String.raw`rechnung`),
    ...L('fr', 1, String.raw`(?:n[°º]|no\.?|numéro|num\.?)\s*(?:de\s+)?(?:la\s+)?facture`, String.raw`facture\s*(?:n[°º]|no\.?|numéro|nr\.?|#)`),
    // Credit notes: "Avoir n°", "N° d'avoir", "Note de crédit n°".
    ...L('fr', 1, String.raw`(?:n[°º]|no\.?|numéro|num\.?)\s*(?:de\s+l['’]\s*|d['’]\s*)avoir`, String.raw`avoir\s*(?:n[°º]|no\.?|numéro|nr\.?|#)`, String.raw`note\s+de\s+cr[ée]dit\s*(?:n[°º]|no\.?|numéro|#)`),
    ...L('fr', 0.5, String.raw`facture`, String.raw`avoir`),
    ...L('nl', 1, String.raw`factuur\s*(?:nummer|nr\.?|no\.?)`, String.raw`factuurnummer`),
    ...L('nl', 0.55, String.raw`factuur`),
    ...L('pl', 1, String.raw`faktura\s*(?:vat\s*)?(?:nr\.?|numer)`),
  ],
  total_amount: [
    ...L('en', 1, String.raw`grand\s*total`, String.raw`invoice\s*total`, String.raw`total\s*for\s*this\s*invoice`, String.raw`total\s*(?:incl\.?|including|inc\.?)\s*(?:vat|tax|gst)`, String.raw`total\s*amount(?:\s*due)?`, String.raw`amount\s*total`),
    ...L('en', 0.8, String.raw`total`),
    ...L('en', 0.65, String.raw`(?:amount|balance|total)\s*due`, String.raw`amount\s*payable`),
    ...L('de', 1, String.raw`gesamtbetrag`, String.raw`bruttosumme`, String.raw`bruttobetrag`, String.raw`rechnungsbetrag`, String.raw`endbetrag`, String.raw`gesamtsumme`, String.raw`(?:rechnungs)?summe\s*brutto`, String.raw`brutto`),
    ...L('de', 0.7, String.raw`rechnungssumme`, String.raw`gesamt`),
    ...L('de', 0.8, String.raw`\p{L}*(?:betrag|beitrag|summe)\s+(?:inkl\.?|inklusive)`),
    ...L('en', 0.8, String.raw`amount\s+(?:incl\.?|including)`),
    ...L('de', 0.6, String.raw`zahlbetrag`, String.raw`zu\s*zahlen(?:der\s*betrag)?`),
    ...L('fr', 1, String.raw`montant\s*(?:total\s*)?ttc`, String.raw`total\s*ttc`, String.raw`total\s*facture`, String.raw`montant\s*total`, String.raw`total\s*à\s*payer`),
    ...L('fr', 0.75, String.raw`net\s*à\s*payer`, String.raw`somme\s*à\s*payer`, String.raw`montant\s*à\s*payer`),
    ...L('nl', 1, String.raw`factuur\s*totaal`, String.raw`totaal\s*(?:bedrag|incl\.?\s*btw)?`, String.raw`totaalbedrag`),
    ...L('nl', 0.6, String.raw`te\s*betalen`),
    ...L('pl', 1, String.raw`razem(?:\s*do\s*zapłaty)?`, String.raw`do\s*zapłaty`, String.raw`należność(?:\s*ogółem)?`),
  ],
  net_amount: [
    ...L('en', 1, String.raw`sub\s*-?total`, String.raw`net\s*(?:amount|total)`, String.raw`total\s*(?:excl\.?|excluding|before)\s*(?:vat|tax)`),
    ...L('de', 1, String.raw`nettobetrag`, String.raw`nettosumme`, String.raw`(?:rechnungs)?summe\s*netto`, String.raw`zwischensumme`, String.raw`netto`, String.raw`gesamt\s*netto`),
    ...L('fr', 1, String.raw`(?:total|montant)\s*h\.?t\.?`, String.raw`total\s*hors\s*taxes?`, String.raw`sous[-\s]total`),
    ...L('nl', 1, String.raw`subtotaal`, String.raw`exclusief\s*btw`, String.raw`totaal\s*excl\.?\s*btw`),
  ],
  total_tax_amount: [
    ...L('en', 1, String.raw`(?:total\s*)?(?:vat|tax|gst|sales\s*tax)\s*(?:amount|total)?`),
    ...L('de', 1, String.raw`(?:gesamt\s*)?(?:mwst\.?|ust\.?|umsatzsteuer|mehrwertsteuer)(?:-?betrag)?`, String.raw`steuerbetrag`),
    ...L('fr', 1, String.raw`(?:montant|total)\s*(?:de\s+la\s+)?tva`, String.raw`tva`),
    ...L('nl', 1, String.raw`btw(?:\s*bedrag)?`),
  ],
  payment_terms: [
    ...L('en', 1, String.raw`payment\s*terms`, String.raw`terms\s*of\s*payment`),
    ...L('de', 1, String.raw`zahlungsbedingungen`, String.raw`zahlungsziel`),
    ...L('fr', 1, String.raw`conditions\s*de\s*(?:paiement|règlement)`),
    ...L('nl', 1, String.raw`betalingsvoorwaarden`),
  ],
  purchase_order: [
    ...L('en', 1, String.raw`p\.?o\.?\s*(?:number|no\.?|#)`, String.raw`purchase\s*order(?:\s*(?:number|no\.?|#))?`),
    ...L('en', 0.7, String.raw`order\s*(?:number|no\.?|id|#)`),
    ...L('de', 1, String.raw`bestell-?\s?(?:nummer|nr\.?)`, String.raw`bestellung`, String.raw`ihre\s*bestellung`),
    ...L('fr', 1, String.raw`(?:bon|n[°º])\s*de\s*commande`, String.raw`commande\s*n[°º]`),
    ...L('nl', 0.8, String.raw`ordernummer`, String.raw`bestelnummer`),
  ],
  supplier: [
    ...L('en', 1, String.raw`seller`, String.raw`vendor`, String.raw`supplier`, String.raw`sold\s*by`, String.raw`bill\s*from`, String.raw`issued\s*by`, String.raw`service\s*provider`),
    ...L('de', 1, String.raw`verkäufer`, String.raw`lieferant`, String.raw`rechnungssteller`, String.raw`rechnungsersteller`, String.raw`absender`),
    ...L('fr', 1, String.raw`vendeur`, String.raw`fournisseur`, String.raw`émetteur`),
    ...L('nl', 1, String.raw`leverancier`, String.raw`verkoper`),
    ...L('en', 0.8, String.raw`from`),
    ...L('pl', 1, String.raw`sprzedawca`),
  ],
  receiver: [
    // "Customer No." and "N° client" label the customer's number, not the customer.
    ...L('en', 1, String.raw`bill(?:ed)?\s*to`, String.raw`invoice\s*to`, String.raw`sold\s*to`, String.raw`customer${NOT_A_NUMBER}`, String.raw`buyer`, String.raw`billing\s*address`),
    ...L('de', 1, String.raw`rechnungsempfänger`, String.raw`käufer(?:/leistungsempfänger)?`, String.raw`leistungsempfänger`, String.raw`rechnungsadresse`),
    ...L('fr', 1, String.raw`facturé\s*à`, String.raw`(?<!(?:^|[^\p{L}])(?:n[°º]?|no\.?|num[ée]ro)\s{0,2}(?:de\s+)?)client${NOT_A_NUMBER}`, String.raw`destinataire`, String.raw`acheteur`, String.raw`adresse\s*de\s*facturation`),
    // "Facture a:" is the heading read without its accents (PP-OCR writes no à), told from a number ("Facture
    // A-12") by the colon or the end of the line right after it.
    ...L('fr', 1, String.raw`factur[ée]\s*a(?=\s*:|\s*$)`),
    ...L('nl', 1, String.raw`factuuradres`, String.raw`klant`),
    ...L('en', 0.8, String.raw`to`),
    ...L('pl', 1, String.raw`nabywca`),
  ],
  tax_id: [
    ...L('en', 1, String.raw`vat\s*(?:id|reg(?:istration)?|no\.?|number|nr\.?)?`, String.raw`tax\s*id`, String.raw`gstin`),
    ...L('de', 1, String.raw`ust\.?-?\s?id(?:ent)?\.?-?\s?(?:nr\.?)?`, String.raw`ust-?idnr\.?`, String.raw`umsatzsteuer-?id(?:entifikationsnummer)?`, String.raw`uid`),
    ...L('fr', 1, String.raw`(?:n[°º]\s*(?:de\s*)?)?tva(?:\s*intra(?:communautaire)?)?`),
    ...L('nl', 1, String.raw`btw(?:-?\s?(?:nummer|nr\.?|id))?`),
  ],
};

export interface LabelHit {
  field: LabelField;
  weight: number;
  lang: Lang;
  index: number;
  length: number;
}

interface CompiledField {
  defs: Array<LabelDef & { rx: RegExp }>;
  /** All labels of the field in one alternation: an exact, single-pass pre-check (most lines have no label). */
  any: RegExp;
}

const UMLAUT_BASE: Record<string, string> = { ä: 'a', ö: 'o', ü: 'u', Ä: 'A', Ö: 'O', Ü: 'U' };
/**
 * Labels match with or without their umlauts: OCR engines drop them ("Rechnungsempfanger", "Kaufer": PP-OCR's
 * alphabet has no ä), and one letter for one keeps every index of the text. Only the German ones: a French
 * accent carries meaning a bare letter does not ("facturé à" against "Facture A-12").
 */
const foldUmlauts = (s: string) => s.replace(/[äöüÄÖÜ]/g, (c) => UMLAUT_BASE[c] ?? c);

const COMPILED = new Map<LabelField, CompiledField>();
function compiled(field: LabelField): CompiledField {
  let entry = COMPILED.get(field);
  if (!entry) {
    // Whole words only: "Total" must not match inside "Subtotal", nor "Datum" inside "Bestell-Datum".
    const wrap = (re: string) => String.raw`(?<![\p{L}\d-])(?:${foldUmlauts(re)})(?![\p{L}])`;
    entry = {
      defs: LABELS[field].map((d) => ({ ...d, rx: new RegExp(wrap(d.re), 'giu') })),
      any: new RegExp(wrap(LABELS[field].map((d) => d.re).join('|')), 'iu'),
    };
    COMPILED.set(field, entry);
  }
  return entry;
}

/**
 * Label occurrences of `field` in `text`; where several labels overlap, the longest (most specific) wins.
 */
export function findLabels(text: string, field: LabelField): LabelHit[] {
  const key = `${field}\u0000${text}`;
  const cached = HIT_CACHE.get(key);
  if (cached) return cached;
  const hits = Object.freeze(scanLabels(text, field)) as LabelHit[];
  // Bounded: extraction asks the same (line, field) many times per document, rarely across documents.
  if (HIT_CACHE.size >= HIT_CACHE_MAX) HIT_CACHE.clear();
  HIT_CACHE.set(key, hits);
  return hits;
}

const HIT_CACHE = new Map<string, LabelHit[]>();
const HIT_CACHE_MAX = 20_000;
const NO_HITS: LabelHit[] = [];

function scanLabels(original: string, field: LabelField): LabelHit[] {
  const { defs, any } = compiled(field);
  const text = foldUmlauts(original);
  if (!any.test(text)) return NO_HITS;
  const hits: LabelHit[] = [];
  for (const def of defs) {
    def.rx.lastIndex = 0;
    for (const m of text.matchAll(def.rx)) {
      hits.push({ field, weight: def.weight, lang: def.lang, index: m.index, length: m[0].length });
    }
  }
  hits.sort((a, b) => a.index - b.index || b.length - a.length);
  const out: LabelHit[] = [];
  for (const h of hits) {
    const prev = out[out.length - 1];
    if (prev && h.index < prev.index + prev.length) continue;
    out.push(h);
  }
  return out;
}

const LANGUAGE_WORDS: Record<Lang, RegExp> = {
  en: /(?<![\p{L}])(?:invoice|the|and|total|amount|date|due|bill|for|payment|tax|of|to|your)(?![\p{L}])/giu,
  de: /(?<![\p{L}])(?:rechnung\p{L}*|und|der|die|das|datum|betrag|summe|steuer|gesamt|mwst|ust|bitte|zahlbar|netto|brutto|für|vom)(?![\p{L}])/giu,
  fr: /(?<![\p{L}])(?:facture|le|la|les|des|du|montant|tva|ttc|paiement|à|date|total|numéro|règlement)(?![\p{L}])/giu,
  nl: /(?<![\p{L}])(?:factuur\p{L}*|het|van|een|bedrag|totaal|btw|betaling|voor|en|uw|wij)(?![\p{L}])/giu,
  pl: /(?<![\p{L}])(?:faktura|razem|nabywca|sprzedawca|zł|wartość|płatności|kwota|należność|ilość)(?![\p{L}])/giu,
};

/** The dominant language of the page text among en/de/fr/nl, or undefined for too little text. */
export function detectLanguage(text: string): Lang | undefined {
  let best: Lang | undefined;
  let bestCount = 0;
  for (const lang of Object.keys(LANGUAGE_WORDS) as Lang[]) {
    const n = text.match(LANGUAGE_WORDS[lang])?.length ?? 0;
    if (n > bestCount) { best = lang; bestCount = n; }
  }
  return bestCount >= 2 ? best : undefined;
}

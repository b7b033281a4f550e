/**
 * Language of an OCR pass, told from stop words. The first pass reads a page with every candidate model, English
 * first (most receipts and many invoices): tesseract tries the others only on words the first is unsure of. When
 * that text clearly is German or French, the page is read again with that model alone, which keeps umlauts,
 * accents, ß and € that the English-led pass loses.
 */

/** Languages whose traineddata ships as an npm dependency of this package. */
export const INSTALLED_LANGUAGES = ['eng', 'deu', 'fra'] as const;
export type OcrLanguage = (typeof INSTALLED_LANGUAGES)[number];

/**
 * Frequent words and invoice vocabulary per language, lower case. An English model reads German and French
 * words well enough for these to match (it may drop an accent: the unaccented spelling is listed too).
 */
const STOP_WORDS: Record<OcrLanguage, readonly string[]> = {
  eng: ['the', 'and', 'of', 'to', 'for', 'invoice', 'total', 'date', 'amount', 'due', 'payment', 'terms', 'thank', 'you',
    'your', 'bill', 'tax', 'number', 'description', 'quantity', 'price'],
  deu: ['der', 'die', 'das', 'und', 'für', 'fur', 'mit', 'von', 'des', 'den', 'ist', 'zu', 'auf', 'rechnung',
    'rechnungsnummer', 'rechnungsdatum', 'betrag', 'datum', 'ust', 'mwst', 'summe', 'zahlbar', 'gesamtbetrag',
    'nettobetrag', 'menge', 'bezeichnung', 'einzelpreis', 'innerhalb', 'tagen', 'vielen', 'dank', 'ihren', 'auftrag',
    'fällig', 'fallig', 'am', 'zzgl'],
  fra: ['le', 'la', 'les', 'des', 'et', 'pour', 'une', 'du', 'de', 'est', 'avec', 'facture', 'montant', 'tva', 'date', 'payer', 'total',
    'désignation', 'designation', 'quantité', 'quantite', 'prix', 'unitaire', 'échéance', 'echeance', 'merci', 'votre',
    'commande', 'jours', 'paiement', 'conditions', 'net', 'ttc', 'ht', 'numéro', 'numero', 'client'],
};
const STOP_SETS = Object.fromEntries(
  Object.entries(STOP_WORDS).map(([lang, words]) => [lang, new Set(words)]),
) as unknown as Record<OcrLanguage, ReadonlySet<string>>;

/** A language other than the first pass's wins with at least this many stop words... */
const MIN_HITS = 3;
/** ...and this many times the first pass language's own count. */
const MIN_MARGIN = 1.2;

export function isInstalledLanguage(code: string): code is OcrLanguage {
  return (INSTALLED_LANGUAGES as readonly string[]).includes(code);
}

/** Keeps the requested languages that are installed, in order; English when none is (a wrong model beats none). */
export function usableLanguages(requested: readonly string[]): OcrLanguage[] {
  const langs = [...new Set(requested.filter(isInstalledLanguage))];
  return langs.length > 0 ? langs : ['eng'];
}

/** The model of the first pass: English when it is among the candidates, else the first candidate. */
export function firstPassLanguage(candidates: readonly OcrLanguage[]): OcrLanguage {
  return candidates.includes('eng') ? 'eng' : (candidates[0] ?? 'eng');
}

/**
 * The models of the first pass: every candidate at once, the first pass language first. Tesseract then reads
 * each word with the first model and tries the others on words it is unsure of: on receipts this found more
 * totals, dates and company names than English alone (19/20/16 against 18/18/13 of 20), at about twice the time.
 */
export function firstPassModels(candidates: readonly OcrLanguage[]): OcrLanguage[] {
  const first = firstPassLanguage(candidates);
  return [first, ...candidates.filter((l) => l !== first)];
}

/**
 * The language of `text` (read with the `first` model) among `candidates`: another candidate only when it
 * clearly wins the stop-word vote (>= 3 hits and more than 1.2x the first language's), else `first`.
 */
export function detectLanguage(text: string, candidates: readonly OcrLanguage[], first: OcrLanguage = firstPassLanguage(candidates)): OcrLanguage {
  const score: Record<OcrLanguage, number> = { eng: 0, deu: 0, fra: 0 };
  for (const word of text.toLowerCase().split(/[^\p{L}]+/u)) {
    if (!word) continue;
    for (const lang of candidates) if (STOP_SETS[lang].has(word)) score[lang]++;
  }
  let best: OcrLanguage | undefined;
  for (const lang of candidates) {
    if (lang === first) continue;
    if (best === undefined || score[lang] > score[best]) best = lang;
  }
  if (best === undefined) return first;
  return score[best] >= MIN_HITS && score[best] > score[first] * MIN_MARGIN ? best : first;
}

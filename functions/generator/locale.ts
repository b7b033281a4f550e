import { z } from 'zod';

export const LanguageSchema = z.enum(['en', 'de', 'fr']);
export type Language = z.infer<typeof LanguageSchema>;

/** Thousands/decimal separators: de 1.234,56 / en 1,234.56 / fr 1 234,56 / ch 1'234.56 (Swiss). */
export const NumberFormatSchema = z.enum(['de', 'en', 'fr', 'ch']);
export type NumberFormat = z.infer<typeof NumberFormatSchema>;

/** dd.mm.yyyy / dd/mm/yyyy / mm/dd/yyyy (US) / yyyy-mm-dd / month names in the document language. */
export const DateStyleSchema = z.enum(['dmy-dot', 'dmy-slash', 'mdy-slash', 'iso', 'long', 'long-us']);
export type DateStyle = z.infer<typeof DateStyleSchema>;

export const CurrencySchema = z.enum(['EUR', 'USD', 'GBP', 'CHF']);
export type Currency = z.infer<typeof CurrencySchema>;

const SEPARATORS: Record<NumberFormat, { group: string; decimal: string }> = {
  de: { group: '.', decimal: ',' },
  en: { group: ',', decimal: '.' },
  fr: { group: ' ', decimal: ',' },
  ch: { group: "'", decimal: '.' },
};

/** Formats a non-negative or negative number with exactly `decimals` decimals in the given convention. */
export function formatNumber(value: number, format: NumberFormat, decimals = 2): string {
  const { group, decimal } = SEPARATORS[format];
  const fixed = Math.abs(value).toFixed(decimals);
  const [int = '0', frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${value < 0 ? '-' : ''}${grouped}${frac !== undefined ? decimal + frac : ''}`;
}

/** Quantities print without decimals when whole (3), else with up to two (2,5). */
export function formatQuantity(value: number, format: NumberFormat): string {
  if (Number.isInteger(value)) return formatNumber(value, format, 0);
  const decimals = Number.isInteger(value * 10) ? 1 : 2;
  return formatNumber(value, format, decimals);
}

export function formatRate(rate: number, format: NumberFormat, language: Language): string {
  const text = formatNumber(rate, format, Number.isInteger(rate) ? 0 : 1);
  return language === 'en' ? `${text}%` : `${text} %`;
}

const SYMBOLS: Record<Currency, string> = { EUR: '€', USD: '$', GBP: '£', CHF: 'CHF' };

/** How a supplier writes money: `€1,234.56` (symbol before), `1.234,56 €` (after), `1.234,56 EUR` (code). */
export const MoneyStyleSchema = z.enum(['symbol-before', 'symbol-after', 'code-after', 'code-before']);
export type MoneyStyle = z.infer<typeof MoneyStyleSchema>;

export function formatMoney(value: number, currency: Currency, format: NumberFormat, style: MoneyStyle): string {
  const n = formatNumber(value, format);
  const symbol = SYMBOLS[currency];
  switch (style) {
    case 'symbol-before':
      return symbol.length > 1 ? `${symbol} ${n}` : `${symbol}${n}`;
    case 'symbol-after':
      return `${n} ${symbol}`;
    case 'code-after':
      return `${n} ${currency}`;
    case 'code-before':
      return `${currency} ${n}`;
  }
}

const MONTHS: Record<Language, string[]> = {
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  de: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
  fr: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
};

/** Formats an ISO date (YYYY-MM-DD) the way a supplier prints it. Throws on a malformed ISO date. */
export function formatDate(iso: string, style: DateStyle, language: Language): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new Error('expected an ISO date');
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  const month = MONTHS[language][Number(mo) - 1]!;
  switch (style) {
    case 'dmy-dot':
      return `${d}.${mo}.${y}`;
    case 'dmy-slash':
      return `${d}/${mo}/${y}`;
    case 'mdy-slash':
      return `${mo}/${d}/${y}`;
    case 'iso':
      return iso;
    case 'long':
      return language === 'de' ? `${Number(d)}. ${month} ${y}` : `${Number(d)} ${month} ${y}`;
    case 'long-us':
      return `${month} ${Number(d)}, ${y}`;
  }
}

export interface Labels {
  invoice: string;
  invoiceNo: string;
  invoiceDate: string;
  dueDate: string;
  purchaseOrder: string;
  customerNo: string;
  billTo: string;
  from: string;
  pos: string;
  code: string;
  description: string;
  quantity: string;
  unitPrice: string;
  vatRate: string;
  amount: string;
  net: string;
  vat: (rate: string) => string;
  totalTax: string;
  total: string;
  prepaid: string;
  amountDue: string;
  vatId: string;
  iban: string;
  bic: string;
  bank: string;
  paymentTerms: string;
  page: string;
  thanks: string;
  payBy: (amount: string, date: string, iban: string) => string;
  termsText: (days: number) => string;
}

export const LABELS: Record<Language, Labels> = {
  en: {
    invoice: 'INVOICE',
    invoiceNo: 'Invoice No.',
    invoiceDate: 'Invoice Date',
    dueDate: 'Due Date',
    purchaseOrder: 'PO Number',
    customerNo: 'Customer No.',
    billTo: 'Bill To',
    from: 'From',
    pos: '#',
    code: 'Item',
    description: 'Description',
    quantity: 'Qty',
    unitPrice: 'Unit Price',
    vatRate: 'VAT',
    amount: 'Amount',
    net: 'Subtotal',
    vat: (rate) => `VAT ${rate}`,
    totalTax: 'Total VAT',
    total: 'Total',
    prepaid: 'Paid',
    amountDue: 'Amount Due',
    vatId: 'VAT No.',
    iban: 'IBAN',
    bic: 'BIC',
    bank: 'Bank',
    paymentTerms: 'Payment Terms',
    page: 'Page',
    thanks: 'Thank you for your business.',
    payBy: (amount, date, iban) => `Please pay ${amount} by ${date} to IBAN ${iban}.`,
    termsText: (days) => (days === 0 ? 'Due on receipt' : `Net ${days} days`),
  },
  de: {
    invoice: 'RECHNUNG',
    invoiceNo: 'Rechnungsnummer',
    invoiceDate: 'Rechnungsdatum',
    dueDate: 'Fällig am',
    purchaseOrder: 'Bestellnummer',
    customerNo: 'Kundennummer',
    billTo: 'Rechnungsempfänger',
    from: 'Absender',
    pos: 'Pos.',
    code: 'Art.-Nr.',
    description: 'Bezeichnung',
    quantity: 'Menge',
    unitPrice: 'Einzelpreis',
    vatRate: 'USt.',
    amount: 'Betrag',
    net: 'Nettobetrag',
    vat: (rate) => `zzgl. USt. ${rate}`,
    totalTax: 'Umsatzsteuer gesamt',
    total: 'Gesamtbetrag',
    prepaid: 'Anzahlung',
    amountDue: 'Zahlbetrag',
    vatId: 'USt-IdNr.',
    iban: 'IBAN',
    bic: 'BIC',
    bank: 'Bank',
    paymentTerms: 'Zahlungsbedingungen',
    page: 'Seite',
    thanks: 'Vielen Dank für Ihren Auftrag.',
    payBy: (amount, date, iban) => `Bitte überweisen Sie ${amount} bis zum ${date} auf IBAN ${iban}.`,
    termsText: (days) => (days === 0 ? 'Sofort fällig ohne Abzug' : `Zahlbar innerhalb von ${days} Tagen ohne Abzug`),
  },
  fr: {
    invoice: 'FACTURE',
    invoiceNo: 'N° de facture',
    invoiceDate: 'Date de facture',
    dueDate: "Date d'échéance",
    purchaseOrder: 'Bon de commande',
    customerNo: 'N° client',
    billTo: 'Facturé à',
    from: 'Émetteur',
    pos: 'N°',
    code: 'Réf.',
    description: 'Désignation',
    quantity: 'Qté',
    unitPrice: 'Prix unitaire HT',
    vatRate: 'TVA',
    amount: 'Montant HT',
    net: 'Total HT',
    vat: (rate) => `TVA ${rate}`,
    totalTax: 'Total TVA',
    total: 'Total TTC',
    prepaid: 'Acompte versé',
    amountDue: 'Net à payer',
    vatId: 'N° TVA intracom.',
    iban: 'IBAN',
    bic: 'BIC',
    bank: 'Banque',
    paymentTerms: 'Conditions de paiement',
    page: 'Page',
    thanks: 'Merci de votre confiance.',
    payBy: (amount, date, iban) => `Merci de régler ${amount} avant le ${date} sur l'IBAN ${iban}.`,
    termsText: (days) => (days === 0 ? 'Paiement à réception' : `Paiement à ${days} jours`),
  },
};

/** Adds days to an ISO date in UTC. */
export function addDays(iso: string, days: number): string {
  const t = Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

const WIN_ANSI_EXTRA = new Set([...'€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ']);

/**
 * Keeps text printable with pdf-lib's standard fonts (WinAnsi): Latin-1 and the cp1252 extras stay,
 * other letters lose their diacritics, anything else is dropped. Applied before a value becomes truth so
 * that the truth equals what is printed.
 */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else {
      const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      if ([...base].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) <= 0x7e)) out += base;
    }
  }
  return out.replace(/\s+/g, ' ').trim();
}

import { describe, expect, it } from 'vitest';
import { detectLanguage, firstPassLanguage, firstPassModels, usableLanguages } from '../../functions/adapters/local/ocr/language.js';

const ALL = ['eng', 'deu', 'fra'] as const;

describe('OCR language of a pass', () => {
  it.each<[string, string]>([
    ['INVOICE 4711 Date 2024-03-15 Total amount due 1234.50 Thank you for your payment', 'eng'],
    ['Rechnung Nr. 4711 Rechnungsdatum 15.03.2024 Gesamtbetrag 1.234,50 zahlbar innerhalb von 14 Tagen, vielen Dank für Ihren Auftrag', 'deu'],
    // What the English model makes of German: umlauts dropped, still German by its words.
    ['Rechnung Menge Bezeichnung Einzelpreis Summe zzgl. MwSt faellig am 01.04.2024 fur die Lieferung', 'deu'],
    ['Facture N° F-25-08539 Date de facture 11/06/2025 Montant TTC 1 234,50 € Conditions de paiement : 30 jours', 'fra'],
    ['Facture Designation Quantite Prix unitaire HT TVA 20 % Total TTC Echeance', 'fra'],
    // A till receipt: names and numbers, no stop words: stays English.
    ['YONGFATT ENTERPRISE NO 122.124 JALAN DEDAP 13 81100 JOHOR BAHRU TOTAL 80.90 CASH 100.00', 'eng'],
    // A German word or two in English text is not enough.
    ['Invoice for the delivery of the goods, total amount due: 100.00 EUR (Rechnung)', 'eng'],
  ])('%s -> %s', (text, lang) => {
    expect(detectLanguage(text, ALL)).toBe(lang);
  });

  it('only chooses among the candidates, and keeps the first pass language on a tie', () => {
    const german = 'Rechnung Rechnungsdatum Gesamtbetrag zahlbar innerhalb Tagen';
    expect(detectLanguage(german, ['eng', 'fra'])).toBe('eng');
    expect(detectLanguage(german, ['eng'])).toBe('eng');
    expect(detectLanguage('facture facture facture', ['deu', 'fra'], 'deu')).toBe('fra');
    expect(detectLanguage('', ALL)).toBe('eng');
  });

  it('keeps the installed languages in order, English when none is, and reads English first when allowed', () => {
    expect(usableLanguages(['fra', 'eng', 'xxx', 'fra'])).toEqual(['fra', 'eng']);
    expect(usableLanguages(['ita'])).toEqual(['eng']);
    expect(firstPassLanguage(['fra', 'eng'])).toBe('eng');
    expect(firstPassLanguage(['deu', 'fra'])).toBe('deu');
    expect(firstPassModels(['fra', 'eng', 'deu'])).toEqual(['eng', 'fra', 'deu']);
  });
});

/**
 * PP-OCR's alphabet has no € or £: it reads "£396.35" as "396.35", so a page whose amounts carry its only
 * currency mark loses the currency (on a German or French page, latin-letters.ts puts back the marks tesseract's
 * reading of the whole page has; this is the last resort). Where nothing on the page names one, the box of the
 * largest bare amount is read again by tesseract (English, a one-line crop: tens of milliseconds once its worker
 * is up) and the € or £ it reads beside the same digits is put back on PP-OCR's token. Only these two marks:
 * PP-OCR reads $ and ¥.
 */
import { detectCurrency } from '../../../core/extraction/currency.js';
import type { Token } from '../../../core/ocr-document.js';
import type { Deadline } from './deadline.js';
import { pgm, raw, toGrey, type GreyImage } from './grey-image.js';
import type { OcrLines, TesseractPool } from './tesseract-pool.js';

const BARE_AMOUNT = /^-?\d{1,3}(?:[.,'\u00a0]?\d{3})*[.,]\d{2}$/u;
/** Height (px) the crop is scaled to: tesseract's LSTM reads lines of about this size best. */
const CROP_LINE_PX = 48;
/** The crop reaches this many box heights to either side: a mark may sit just outside the detector's box. */
const SIDE_MARGIN = 1.2;
/** White border around the crop: tesseract finds no text touching the image edge. */
const BORDER_PX = 12;

const digitsOf = (s: string): string => s.replace(/\D/g, '');

/** A comparable value of a bare amount ("1.234,56" and "1,234.56" alike), only to find the largest. */
function amountValue(text: string): number {
  const digits = digitsOf(text);
  return Number(`${digits.slice(0, -2)}.${digits.slice(-2)}`) || 0;
}

/** Where the € or £ stands in tesseract's reading of the crop, for the amount with these digits. */
export function markBeside(text: string, digits: string): { mark: string; before: boolean } | undefined {
  for (const m of text.matchAll(/([€£])\s?(-?\d[\d.,'\s]*\d)|(-?\d[\d.,'\s]*\d)\s?([€£])/gu)) {
    const before = m[1] !== undefined;
    if (digitsOf((before ? m[2] : m[3]) ?? '') === digits) return { mark: (before ? m[1] : m[4])!, before };
  }
  return undefined;
}

/** PP-OCR's reading with the € or £ of its largest bare amount put back, when tesseract reads one there. */
export async function restoreCurrencyMark(result: OcrLines, page: GreyImage, tesseract: TesseractPool, deadline: Deadline): Promise<OcrLines> {
  if (detectCurrency(result.lines.map((l) => l.text).join('\n'), { scanned: true })) return result;
  let best: { line: number; token: number; value: number } | undefined;
  result.lines.forEach((line, li) => line.tokens.forEach((t, ti) => {
    if (!BARE_AMOUNT.test(t.text)) return;
    const value = amountValue(t.text);
    if (!best || value > best.value) best = { line: li, token: ti, value };
  }));
  if (!best) return result;
  const line = result.lines[best.line]!;
  const token = line.tokens[best.token]!;
  const read = await readCrop(page, token, tesseract, deadline);
  const found = markBeside(read, digitsOf(token.text));
  if (!found) return result;
  const tokens: Token[] = line.tokens.map((t, i) => (i === best!.token ? { ...t, text: found.before ? `${found.mark}${t.text}` : `${t.text}${found.mark}` } : t));
  const lines = result.lines.map((l, i) => (i === best!.line ? { ...l, tokens, text: tokens.map((t) => t.text).join(' ') } : l));
  return { ...result, lines };
}

/** Tesseract's text of the token's box, widened to both sides and scaled to a readable line height. */
async function readCrop(page: GreyImage, token: Token, tesseract: TesseractPool, deadline: Deadline): Promise<string> {
  const h = token.box.h * page.height;
  const left = Math.max(0, Math.floor(token.box.x * page.width - SIDE_MARGIN * h));
  const right = Math.min(page.width, Math.ceil((token.box.x + token.box.w) * page.width + SIDE_MARGIN * h));
  const top = Math.max(0, Math.floor(token.box.y * page.height - h / 4));
  const bottom = Math.min(page.height, Math.ceil((token.box.y + token.box.h) * page.height + h / 4));
  if (right - left < 2 || bottom - top < 2) return '';
  const scale = Math.min(4, Math.max(1, CROP_LINE_PX / (bottom - top)));
  const crop = await toGrey(raw(page)
    .extract({ left, top, width: right - left, height: bottom - top })
    .resize({ width: Math.round((right - left) * scale), kernel: 'lanczos3' })
    .extend({ top: BORDER_PX, bottom: BORDER_PX, left: BORDER_PX, right: BORDER_PX, background: { r: 255, g: 255, b: 255 } }));
  deadline.check();
  const lines = await tesseract.recognize(pgm(crop), crop.width, crop.height, ['eng'], deadline, 300);
  return lines.lines.map((l) => l.text).join(' ');
}

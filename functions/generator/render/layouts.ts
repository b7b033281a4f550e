import { rgb, type Color } from 'pdf-lib';
import type { Labels } from '../locale.js';
import type { LayoutId } from '../layout-ids.js';
import type { Party, Supplier } from '../parties.js';
import type { PrintedInvoice } from '../truth.js';
import { BLACK, GRAY, LIGHT, type Canvas } from './canvas.js';

export interface LayoutInput {
  printed: PrintedInvoice;
  labels: Labels;
  supplier: Supplier;
  receiver: Party;
}

type LineKey = keyof PrintedInvoice['lines'][number];
interface Column {
  key: LineKey;
  header: string;
  /** Left edge for left-aligned columns, right edge for right-aligned ones. */
  x: number;
  align: 'left' | 'right';
  width: number;
}

function columns(l: Labels, left: number, right: number, withCode: boolean): Column[] {
  const w = right - left;
  const cols: Column[] = [{ key: 'pos', header: l.pos, x: left + 4, align: 'left', width: 24 }];
  let descX = left + 30;
  if (withCode) {
    cols.push({ key: 'code', header: l.code, x: descX, align: 'left', width: 56 });
    descX += 60;
  }
  const qtyRight = left + w * 0.64;
  cols.push({ key: 'description', header: l.description, x: descX, align: 'left', width: qtyRight - 40 - descX });
  cols.push({ key: 'quantity', header: l.quantity, x: qtyRight, align: 'right', width: 40 });
  cols.push({ key: 'unitPrice', header: l.unitPrice, x: left + w * 0.8, align: 'right', width: 70 });
  cols.push({ key: 'rate', header: l.vatRate, x: left + w * 0.87, align: 'right', width: 36 });
  cols.push({ key: 'amount', header: l.amount, x: right - 4, align: 'right', width: 70 });
  return cols;
}

interface TableStyle {
  rowHeight?: number;
  size?: number;
  headerFill?: Color;
  headerColor?: Color;
  grid?: boolean;
  zebra?: boolean;
  rules?: boolean;
}

/** Draws the line-item table; returns the y below it. */
function table(c: Canvas, input: LayoutInput, y: number, left: number, right: number, s: TableStyle = {}): number {
  const rh = s.rowHeight ?? 17;
  const size = s.size ?? 8.5;
  const withCode = input.printed.lines.some((l) => l.code !== '');
  const cols = columns(input.labels, left, right, withCode);
  if (s.headerFill) c.rect(left, y, right - left, rh, { fill: s.headerFill });
  for (const col of cols) {
    c.text(col.header, col.x, y + 5, { size, bold: true, align: col.align, color: s.headerColor ?? BLACK, maxWidth: col.width + 20 });
  }
  if (s.rules !== false) c.line(left, y + rh, right, y + rh, 0.8, BLACK);
  let row = y + rh;
  input.printed.lines.forEach((line, i) => {
    if (s.zebra && i % 2 === 1) c.rect(left, row, right - left, rh, { fill: LIGHT });
    for (const col of cols) c.text(line[col.key], col.x, row + 5, { size, align: col.align, maxWidth: col.width });
    if (s.grid) c.rect(left, row, right - left, rh, { border: GRAY, borderWidth: 0.4 });
    row += rh;
  });
  if (s.grid) {
    c.rect(left, y, right - left, rh * (input.printed.lines.length + 1), { border: BLACK, borderWidth: 0.8 });
  } else if (s.rules !== false) c.line(left, row, right, row, 0.8, BLACK);
  return row;
}

function vatLabel(input: LayoutInput, rate: string): string {
  return input.supplier.country === 'US' ? `Sales Tax ${rate}` : input.labels.vat(rate);
}

/** Totals as [label, value, emphasised] rows, in printing order. */
function totalRows(input: LayoutInput, alwaysShowDue: boolean): [string, string, boolean][] {
  const { printed: p, labels: l } = input;
  const rows: [string, string, boolean][] = [[l.net, p.net, false]];
  for (const v of p.vat) rows.push([vatLabel(input, v.rate), v.tax, false]);
  if (p.vat.length > 1) rows.push([l.totalTax, p.totalTax, false]);
  if (p.total) rows.push([l.total, p.total, !p.prepaid && !alwaysShowDue]);
  if (p.prepaid) rows.push([l.prepaid, `- ${p.prepaid}`, false]);
  if (p.amountDue && (p.prepaid || alwaysShowDue)) rows.push([l.amountDue, p.amountDue, true]);
  return rows;
}

function metaRows(input: LayoutInput): [string, string][] {
  const { printed: p, labels: l } = input;
  const rows: [string, string][] = [];
  if (p.invoiceId) rows.push([l.invoiceNo, p.invoiceId]);
  if (p.issueDate) rows.push([l.invoiceDate, p.issueDate]);
  rows.push([l.dueDate, p.dueDate]);
  rows.push([l.customerNo, p.customerNo]);
  if (p.purchaseOrder) rows.push([l.purchaseOrder, p.purchaseOrder]);
  return rows;
}

function taxIdLabel(input: LayoutInput): string {
  return input.supplier.taxIdKind === 'ein' ? 'EIN' : input.labels.vatId;
}

function bankLines(input: LayoutInput): string[] {
  const { printed: p, labels: l } = input;
  const out: string[] = [];
  if (p.iban) out.push(`${l.iban}: ${p.iban}`);
  if (p.bic) out.push(`${l.bic}: ${p.bic}`);
  return out;
}

function payText(input: LayoutInput): string | undefined {
  const { printed: p, labels: l } = input;
  if (!p.amountDue) return undefined;
  return p.iban ? l.payBy(p.amountDue, p.dueDate, p.iban) : `${l.paymentTerms}: ${p.paymentTerms}`;
}

function accent(s: Supplier): Color {
  return rgb(...s.accent);
}

/** Supplier top-left, title and meta (labels left, values right) top-right, plain ruled table. */
function classic(c: Canvas, input: LayoutInput): void {
  const { printed: p, labels: l, supplier: s, receiver: r } = input;
  const L = 50;
  const R = c.width - 50;
  c.text(s.name, L, 45, { size: 15, bold: true, color: accent(s), maxWidth: 280 });
  c.lines([...s.addressLines, s.phone, s.email], L, 66, { size: 8.5, color: GRAY });
  c.text(l.invoice, R, 45, { size: 20, bold: true, align: 'right' });
  let y = 150;
  c.text(l.billTo, L, y, { size: 8, bold: true, color: GRAY });
  c.lines([r.name, ...p.receiverAddress, `${l.vatId}: ${p.receiverTaxId}`], L, y + 13, { size: 9.5 });
  y = 150;
  for (const [label, value] of metaRows(input)) {
    c.text(`${label}:`, R - 215, y, { size: 9 });
    c.text(value, R, y, { size: 9, bold: true, align: 'right' });
    y += 14;
  }
  let ty = table(c, input, 270, L, R);
  ty += 10;
  for (const [label, value, strong] of totalRows(input, false)) {
    if (strong) c.line(R - 200, ty - 3, R, ty - 3, 0.8, BLACK);
    c.text(label, R - 110, ty, { size: strong ? 10.5 : 9, bold: strong, align: 'right' });
    c.text(value, R, ty, { size: strong ? 10.5 : 9, bold: strong, align: 'right' });
    ty += strong ? 18 : 14;
  }
  c.text(`${l.paymentTerms}: ${p.paymentTerms}`, L, ty + 16, { size: 9 });
  c.text(l.thanks, L, ty + 30, { size: 9, color: GRAY });
  const fy = c.height - 70;
  c.line(L, fy - 6, R, fy - 6, 0.5);
  c.lines([s.name, ...s.addressLines], L, fy, { size: 7, color: GRAY });
  c.lines([`${taxIdLabel(input)}: ${p.supplierTaxId}`, s.phone, s.email], L + 180, fy, { size: 7, color: GRAY });
  c.lines(bankLines(input), L + 340, fy, { size: 7, color: GRAY });
}

/** Coloured banner, meta as a header table, two-column addresses, grid table and a totals box. */
function banner(c: Canvas, input: LayoutInput): void {
  const { printed: p, labels: l, supplier: s, receiver: r } = input;
  const L = 40;
  const R = c.width - 40;
  const a = accent(s);
  c.rect(0, 0, c.width, 80, { fill: a });
  c.text(l.invoice, L, 26, { size: 26, bold: true, color: rgb(1, 1, 1) });
  c.text(s.name, R, 24, { size: 12, bold: true, color: rgb(1, 1, 1), align: 'right', maxWidth: 300 });
  c.text(s.email, R, 44, { size: 8.5, color: rgb(1, 1, 1), align: 'right' });
  const meta = metaRows(input);
  const cw = (R - L) / meta.length;
  meta.forEach(([label, value], i) => {
    c.rect(L + i * cw, 100, cw, 36, { border: GRAY });
    c.text(label, L + i * cw + 6, 106, { size: 7.5, color: GRAY, maxWidth: cw - 10 });
    c.text(value, L + i * cw + 6, 120, { size: 9.5, bold: true, maxWidth: cw - 10 });
  });
  const mid = (L + R) / 2 + 10;
  c.text(l.from, L, 160, { size: 8, bold: true, color: a });
  c.lines([s.name, ...s.addressLines, `${taxIdLabel(input)}: ${p.supplierTaxId}`], L, 173, { size: 9 });
  c.text(l.billTo, mid, 160, { size: 8, bold: true, color: a });
  c.lines([r.name, ...p.receiverAddress, `${l.vatId}: ${p.receiverTaxId}`], mid, 173, { size: 9 });
  let ty = table(c, input, 270, L, R, { grid: true, headerFill: LIGHT });
  const rows = totalRows(input, true);
  ty += 14;
  const bx = R - 230;
  c.rect(bx, ty, 230, rows.length * 17 + 10, { border: a, borderWidth: 1.2 });
  let y = ty + 7;
  for (const [label, value, strong] of rows) {
    if (strong) c.rect(bx, y - 4, 230, 18, { fill: LIGHT });
    c.text(label, bx + 8, y, { size: 9, bold: strong });
    c.text(value, R - 8, y, { size: 9, bold: strong, align: 'right' });
    y += 17;
  }
  c.lines([`${l.paymentTerms}: ${p.paymentTerms}`, ...bankLines(input)], L, ty + 4, { size: 8.5 });
  c.text(`${s.name} | ${s.addressLines.join(', ')} | ${s.phone}`, c.width / 2, c.height - 40, { size: 7, color: GRAY, align: 'center', maxWidth: R - L });
}

/** DIN 5008 business letter: sender line above the window address, stacked meta, zebra table, payment sentence. */
function letter(c: Canvas, input: LayoutInput): void {
  const { printed: p, labels: l, supplier: s, receiver: r } = input;
  const L = 60;
  const R = c.width - 50;
  c.text(s.name, R, 40, { size: 16, bold: true, align: 'right', color: accent(s), maxWidth: 300 });
  c.lines(s.addressLines, R, 62, { size: 8.5, align: 'right', color: GRAY });
  const sender = `${s.name} · ${s.addressLines.join(' · ')}`;
  c.text(sender, L, 130, { size: 6.5, color: GRAY, maxWidth: 240 });
  c.line(L, 139, L + 240, 139, 0.3);
  c.lines([r.name, ...p.receiverAddress], L, 146, { size: 10 });
  let y = 130;
  for (const [label, value] of metaRows(input)) {
    c.text(label, R - 150, y, { size: 7, color: GRAY });
    c.text(value, R - 150, y + 8.5, { size: 9.5 });
    y += 23;
  }
  c.text(p.invoiceId ? `${l.invoice.charAt(0)}${l.invoice.slice(1).toLowerCase()} ${p.invoiceId}` : l.invoice, L, 262, { size: 13, bold: true });
  let ty = table(c, input, 290, L, R, { zebra: true, headerFill: accent(s), headerColor: rgb(1, 1, 1), rules: false });
  ty += 12;
  for (const [label, value, strong] of totalRows(input, false)) {
    c.text(label, R - 240, ty, { size: 9.5, bold: strong });
    c.text(value, R, ty, { size: 9.5, bold: strong, align: 'right' });
    if (strong) c.line(R - 240, ty + 14, R, ty + 14, 1.2, BLACK);
    ty += 15;
  }
  const pay = payText(input);
  if (pay) c.text(pay, L, ty + 18, { size: 9, maxWidth: R - L });
  c.text(`${l.paymentTerms}: ${p.paymentTerms}`, L, ty + 32, { size: 9 });
  const fy = c.height - 62;
  c.line(L, fy - 6, R, fy - 6, 0.4);
  const colW = (R - L) / 3;
  c.lines([s.name, ...s.addressLines], L, fy, { size: 6.5, color: GRAY });
  c.lines([s.phone, s.email, `${taxIdLabel(input)} ${p.supplierTaxId}`], L + colW, fy, { size: 6.5, color: GRAY });
  c.lines(bankLines(input), L + 2 * colW, fy, { size: 6.5, color: GRAY });
}

/** Monospaced ERP print-out: "Label: value" pairs on the left, supplier on the right, dashed rules. */
function compact(c: Canvas, input: LayoutInput): void {
  const { printed: p, labels: l, supplier: s, receiver: r } = input;
  const L = 45;
  const R = c.width - 45;
  c.lines([s.name, ...s.addressLines, `${taxIdLabel(input)}: ${p.supplierTaxId}`], R, 40, { size: 8.5, align: 'right' });
  c.text(l.invoice, L, 40, { size: 16, bold: true });
  let y = 70;
  for (const [label, value] of metaRows(input)) {
    c.text(`${label}: ${value}`, L, y, { size: 8.5 });
    y += 12;
  }
  y = Math.max(y, 130) + 14;
  c.text(`${l.billTo}:`, L, y, { size: 8.5, bold: true });
  c.lines([r.name, ...p.receiverAddress, `${l.vatId}: ${p.receiverTaxId}`], L, y + 12, { size: 8.5 });
  const dash = (yy: number) => c.text('-'.repeat(Math.floor((R - L) / c.textWidth('-', 8))), L, yy, { size: 8, color: GRAY });
  dash(252);
  let ty = table(c, input, 262, L, R, { rules: false, rowHeight: 14, size: 8 });
  dash(ty + 2);
  ty += 16;
  for (const [label, value, strong] of totalRows(input, true)) {
    c.text(`${label}:`, R - 250, ty, { size: 8.5, bold: strong });
    c.text(value, R, ty, { size: 8.5, bold: strong, align: 'right' });
    ty += 13;
  }
  c.rect(R - 256, ty - 13 * totalRows(input, true).length - 6, 262, 13 * totalRows(input, true).length + 8, { border: BLACK });
  c.lines([`${l.paymentTerms}: ${p.paymentTerms}`, ...bankLines(input)], L, ty + 20, { size: 8.5 });
}

/** Serif letterhead centred, boxed addresses side by side, meta box on the right, full grid. */
function serifBoxed(c: Canvas, input: LayoutInput): void {
  const { printed: p, labels: l, supplier: s, receiver: r } = input;
  const L = 50;
  const R = c.width - 50;
  c.text(s.name, c.width / 2, 36, { size: 18, bold: true, align: 'center', maxWidth: R - L });
  c.text(s.addressLines.join(' - '), c.width / 2, 60, { size: 9, align: 'center', color: GRAY, maxWidth: R - L });
  c.text(`${s.phone} - ${s.email}`, c.width / 2, 73, { size: 9, align: 'center', color: GRAY });
  c.line(L, 92, R, 92, 1.5, accent(s));
  c.text(l.invoice, L, 108, { size: 22, bold: true, color: accent(s) });
  const boxW = (R - L - 20) / 2;
  c.rect(L, 145, boxW, 86, { border: GRAY });
  c.text(l.billTo, L + 8, 151, { size: 8, bold: true, color: GRAY });
  c.lines([r.name, ...p.receiverAddress, `${l.vatId}: ${p.receiverTaxId}`], L + 8, 164, { size: 9.5 });
  const mx = L + boxW + 20;
  c.rect(mx, 145, boxW, 86, { border: GRAY });
  let y = 152;
  for (const [label, value] of metaRows(input)) {
    c.text(label, mx + 8, y, { size: 9 });
    c.text(value, R - 8, y, { size: 9, bold: true, align: 'right' });
    y += 15;
  }
  let ty = table(c, input, 250, L, R, { grid: true, size: 9 });
  ty += 14;
  const rows = totalRows(input, false);
  const bx = R - 220;
  for (const [label, value, strong] of rows) {
    c.rect(bx, ty, 220, 17, { border: GRAY, fill: strong ? LIGHT : undefined });
    c.text(label, bx + 6, ty + 4.5, { size: 9.5, bold: strong });
    c.text(value, R - 6, ty + 4.5, { size: 9.5, bold: strong, align: 'right' });
    ty += 17;
  }
  c.lines([`${l.paymentTerms}: ${p.paymentTerms}`, `${taxIdLabel(input)}: ${p.supplierTaxId}`, ...bankLines(input)], L, ty + 20, { size: 9 });
}

export const LAYOUTS: Record<LayoutId, (c: Canvas, input: LayoutInput) => void> = {
  classic,
  banner,
  letter,
  compact,
  'serif-boxed': serifBoxed,
};

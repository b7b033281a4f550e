// CI smoke test, part 1: writes a one-page sample invoice PDF with a real text layer.
// Usage: node infra/scripts/smoke-invoice.mjs <out.pdf> <unique-id>
// The unique id (the build id) goes into the invoice number and the amounts so that consecutive smoke runs
// are not flagged as duplicates of each other.
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
import process from 'node:process';
import console from 'node:console';
import { PDFDocument, StandardFonts } from 'pdf-lib';

const [out, uniqueId] = process.argv.slice(2);
if (!out || !uniqueId) {
  console.error('usage: smoke-invoice.mjs <out.pdf> <unique-id>');
  process.exit(2);
}

const seed = createHash('sha256').update(uniqueId).digest();
const cents = 10_000 + (seed.readUInt32BE(0) % 90_000);
const net = cents / 100;
const vat = Math.round(net * 19) / 100;
const total = Math.round((net + vat) * 100) / 100;
const number = `SMOKE-${uniqueId.slice(0, 12).toUpperCase()}`;
const today = new Date().toISOString().slice(0, 10);
const eur = (v) => `${v.toFixed(2)} EUR`;

const pdf = await PDFDocument.create();
// Fixed metadata dates keep the file free of the generation time beyond the invoice date.
pdf.setCreationDate(new Date(`${today}T00:00:00Z`));
pdf.setModificationDate(new Date(`${today}T00:00:00Z`));
pdf.setTitle(`Invoice ${number}`);
const page = pdf.addPage([595.28, 841.89]);
const font = await pdf.embedFont(StandardFonts.Helvetica);
const bold = await pdf.embedFont(StandardFonts.HelveticaBold);

const lines = [
  ['Muster Bürobedarf GmbH', bold, 14],
  ['Hauptstraße 1, 10115 Berlin, Germany', font, 10],
  ['USt-IdNr.: DE136695976', font, 10],
  ['IBAN: DE89 3704 0044 0532 0130 00', font, 10],
  ['', font, 10],
  ['Bill to: LedgerX Smoke Test AG, Bahnhofstrasse 2, 8001 Zürich', font, 10],
  ['', font, 10],
  [`INVOICE ${number}`, bold, 16],
  [`Invoice date: ${today}`, font, 10],
  [`Due date: ${today}`, font, 10],
  ['Payment terms: 14 days net', font, 10],
  ['', font, 10],
  ['Description                      Qty     Unit price        Amount', bold, 10],
  [`Printer paper A4, 80 g           1       ${eur(net)}      ${eur(net)}`, font, 10],
  ['', font, 10],
  [`Net amount: ${eur(net)}`, font, 11],
  [`VAT 19%: ${eur(vat)}`, font, 11],
  [`Total amount due: ${eur(total)}`, bold, 12],
];
let y = 790;
for (const [text, f, size] of lines) {
  if (text) page.drawText(text, { x: 56, y, size, font: f });
  y -= size + 8;
}

await mkdir(dirname(out), { recursive: true });
const bytes = await pdf.save({ useObjectStreams: false });
await writeFile(out, bytes);
console.log(JSON.stringify({ out, bytes: bytes.length, number }));

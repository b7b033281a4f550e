/**
 * The CSV layout of an invoice export, shared by `ledgerx export --format csv` and the API's streamed
 * `GET /v1/invoices/export.csv`: one header line, then one line per record.
 */
import type { InvoiceRecord } from './record.js';

export const CSV_FIELDS = [
  'invoice_id', 'invoice_date', 'due_date', 'supplier_name', 'supplier_tax_id', 'supplier_iban', 'receiver_name',
  'currency', 'net_amount', 'total_tax_amount', 'total_amount', 'amount_due', 'payment_terms', 'purchase_order',
] as const;

export const CSV_HEADER: readonly string[] = [
  'ledgerx_id', 'file', 'status', 'decision', 'reasons', 'reject_code', ...CSV_FIELDS, 'extraction', 'created_at',
];

/** The header line, newline included. */
export function csvHeaderLine(): string {
  return CSV_HEADER.map(csvCell).join(',') + '\n';
}

/** One record as a CSV line, newline included. */
export function csvRow(r: InvoiceRecord): string {
  const fields = r.invoice?.fields ?? {};
  const cells = [
    r.invoiceId, r.fileName, r.status, r.decision?.decision ?? '',
    (r.decision?.reasons ?? []).filter((x) => x.effect !== 'INFO').map((x) => x.code).join(' '),
    r.rejection?.code ?? '',
    ...CSV_FIELDS.map((name) => fields[name]?.value ?? ''),
    r.invoice?.extraction.method ?? '', r.createdAt,
  ];
  return cells.map(csvCell).join(',') + '\n';
}

/**
 * RFC 4180 quoting. Hand-written: it is four lines, and a CSV library would add a dependency for them.
 * Cells starting with = + - @ (or a tab / carriage return) are prefixed with ' so spreadsheets do not run them
 * as formulas (CSV injection).
 */
export function csvCell(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

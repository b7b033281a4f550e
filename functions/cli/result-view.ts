import type { InvoiceRecord } from '../core/invoice/record.js';

/** The per-file result of `ledgerx process --json`: one JSON object per input file. */
export interface ResultLine {
  file: string;
  invoiceId: string | null;
  status: string;
  decision: string | null;
  reasons: Array<{ code: string; effect: string; message: string }>;
  rejection: { code: string; message: string } | null;
  extraction: { method: string; format?: string | undefined; language?: string | undefined } | null;
  fields: Record<string, { value: string | number; confidence: number; source: string }>;
  lineItems: number;
  validations: Array<{ code: string; severity: string; passed: boolean; message: string }>;
  scores: Record<string, number | null> | null;
  basis: string | null;
  timings: Record<string, number>;
}

export function toResultLine(file: string, record: InvoiceRecord | null): ResultLine {
  if (!record) {
    return {
      file, invoiceId: null, status: 'NOT_PROCESSED', decision: null, reasons: [], rejection: null, extraction: null,
      fields: {}, lineItems: 0, validations: [], scores: null, basis: null, timings: {},
    };
  }
  const fields: ResultLine['fields'] = {};
  for (const [name, field] of Object.entries(record.invoice?.fields ?? {})) {
    if (field) fields[name] = { value: field.value, confidence: round(field.confidence), source: field.source };
  }
  const d = record.decision;
  return {
    file,
    invoiceId: record.invoiceId,
    status: record.status,
    decision: d?.decision ?? (record.status === 'REJECTED' ? 'REJECT' : null),
    reasons: d?.reasons.map((r) => ({ code: r.code, effect: r.effect, message: r.message })) ??
      (record.rejection ? [{ code: record.rejection.code, effect: 'REJECT', message: record.rejection.message }] : []),
    rejection: record.rejection ?? null,
    extraction: record.invoice
      ? { method: record.invoice.extraction.method, format: record.invoice.extraction.format, language: record.invoice.extraction.language }
      : null,
    fields,
    lineItems: record.invoice?.line_items.length ?? 0,
    validations: (record.validations ?? []).map((v) => ({ code: v.code, severity: v.severity, passed: v.passed, message: v.message })),
    scores: d ? { ...d.scores } : null,
    basis: d?.basis ?? null,
    timings: record.timings,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A compact human table of results (the demo's and `process`'s default output). */
export function renderTable(lines: ResultLine[]): string {
  const rows = lines.map((l) => [
    truncate(l.file, 34),
    l.status,
    l.decision ?? '-',
    String(l.fields.invoice_id?.value ?? '-'),
    String(l.fields.invoice_date?.value ?? '-'),
    l.fields.total_amount ? `${formatAmount(l.fields.total_amount.value)} ${l.fields.currency?.value ?? ''}`.trim() : '-',
    truncate(topReasons(l), 60),
  ]);
  const header = ['file', 'status', 'decision', 'number', 'date', 'total', 'reasons'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

function topReasons(l: ResultLine): string {
  const codes = l.reasons.filter((r) => r.effect !== 'INFO').map((r) => r.code);
  return codes.length ? codes.join(', ') : l.reasons.map((r) => r.code).join(', ');
}

function formatAmount(v: string | number): string {
  return typeof v === 'number' ? v.toFixed(2) : v;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { InvoiceRecord } from '../../core/invoice/record.js';
import { UsageError } from '../errors.js';
import { openRuntime, type CommonOptions } from '../runtime-options.js';

const CSV_FIELDS = [
  'invoice_id', 'invoice_date', 'due_date', 'supplier_name', 'supplier_tax_id', 'supplier_iban', 'receiver_name',
  'currency', 'net_amount', 'total_tax_amount', 'total_amount', 'amount_due', 'payment_terms', 'purchase_order',
] as const;
const CSV_HEADER = ['ledgerx_id', 'file', 'status', 'decision', 'reasons', 'reject_code', ...CSV_FIELDS, 'extraction', 'created_at'];

export function define(command: Command, common: () => CommonOptions): void {
  command
    .option('--format <format>', 'csv or jsonl', 'jsonl')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (opts: { format: string; out?: string }) => {
      if (opts.format !== 'csv' && opts.format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl, not ${opts.format}`);
      const runtime = await openRuntime({ ...common(), pipeline: false });
      const out: Writable = opts.out ? createWriteStream(opts.out) : process.stdout;
      let count = 0;
      try {
        if (opts.format === 'csv') await write(out, CSV_HEADER.map(csvCell).join(',') + '\n');
        for await (const record of runtime.store.iterate()) {
          await write(out, opts.format === 'csv' ? csvRow(record) : JSON.stringify(record) + '\n');
          count++;
        }
      } finally {
        if (opts.out) out.end();
        await runtime.close();
      }
      if (opts.out) process.stderr.write(`exported ${count} invoices to ${opts.out}\n`);
    });
}

function csvRow(r: InvoiceRecord): string {
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
 * Cells starting with = + - @ are prefixed with ' so spreadsheets do not run them as formulas.
 */
function csvCell(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

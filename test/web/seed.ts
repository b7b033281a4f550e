/** Invoice records written straight into a data folder's database, for the browser tests and the web bench. */
import { join } from 'node:path';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import type { InvoiceRecord } from '../../functions/core/invoice/record.js';

export const HOSTILE_SUPPLIER = '<img src=x onerror=alert(1)>';
const field = <T>(value: T, confidence = 0.93, box?: { x: number; y: number; w: number; h: number }) => ({ value, confidence, source: 'layout' as const, pageNumber: 1, ...(box ? { box } : {}) });
const DECISIONS = ['APPROVE', 'APPROVE', 'APPROVE', 'REVIEW', 'REJECT'] as const;
const REASONS = ['LOW_FIELD_CONFIDENCE', 'DUP_NEAR', 'ARITH_TOTAL_MISMATCH', 'VAT_ID_INVALID', 'HIGH_ANOMALY'];

export function seededRecord(i: number, overrides: { decision?: (typeof DECISIONS)[number]; supplierName?: string } = {}): InvoiceRecord {
  const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
  const decision = overrides.decision ?? DECISIONS[i % DECISIONS.length]!;
  const supplierName = overrides.supplierName ?? `Supplier ${i % 500} GmbH`;
  const supplier = `name:supplier ${i % 500}`;
  return {
    invoiceId: `inv_${i.toString(16).padStart(24, '0')}`, status: 'SCORED', revision: 1,
    source: { bucket: 'inbox', name: `seed/invoice-${i}.pdf`, generation: String(1_700_000_000_000_000 + i) },
    fileName: `invoice-${i}.pdf`, mimeType: 'application/pdf', sizeBytes: 40_000 + (i % 1000), contentSha256: i.toString(16).padStart(64, '0'), pageCount: 0,
    supplierKey: supplier, businessKey: `${supplier}|INV${i}`,
    invoice: {
      documentType: 'invoice', line_items: [], vat: [], extraction: { method: 'ocr', warnings: [] },
      fields: {
        invoice_id: field(`INV-${i}`), invoice_date: field('2025-01-15'), supplier_name: field(supplierName, 0.55), currency: field('EUR'),
        net_amount: field(100 + (i % 900)), total_tax_amount: field(19 + (i % 171)), total_amount: field(119 + (i % 1071), 0.71), supplier_iban: field('DE89370400440532013000'),
      },
    } as unknown as InvoiceRecord['invoice'],
    validations: [{ code: 'ARITH_OK', severity: 'info', passed: true, message: 'The amounts add up', fields: ['total_amount'], details: {} }],
    featureSchemaVersion: 'inv-features-v1',
    decision: {
      decision, basis: 'models+rules', modelVersions: { quality: 'v1-s42-2db4544e86' },
      reasons: decision === 'APPROVE' ? [] : [{ code: REASONS[i % REASONS.length]!, kind: 'validation', effect: decision, message: 'seeded reason' }],
      scores: { quality: 0.62, failureRisk: 0.3, anomaly: 0.2, ruleQuality: 0.9 },
      explanations: { quality: [{ feature: 'key_fields_conf_min', value: 0.55, contribution: -0.4 }, { feature: 'val_arith_ok', value: 1, contribution: 0.2 }] },
    },
    timings: { ocr: 30, features: 5, inference: 1 },
    createdAt: at, updatedAt: at,
  };
}

/** Writes `count` records (ids 0..count-1) plus `extra` into `<dataDir>/ledgerx.db`, in batches of one transaction. */
export async function seedInvoices(dataDir: string, count: number, extra: InvoiceRecord[] = []): Promise<void> {
  const db = openLedgerDatabase(join(dataDir, 'ledgerx.db'));
  try {
    const store = new SqliteInvoiceStore(db);
    const all = [...Array.from({ length: count }, (_, i) => seededRecord(i)), ...extra];
    for (let start = 0; start < all.length; start += 2_000) {
      db.connection.transaction(() => {
        for (const r of all.slice(start, start + 2_000)) void store.createIfAbsent(r);
      })();
    }
  } finally {
    db.close();
  }
}

/** Invoice records written straight into a data folder's database, for the browser tests and the web bench. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import type { InvoiceRecord } from '../../functions/core/invoice/record.js';
import { runDriftCheck } from '../../functions/core/monitoring/drift-check.js';
import { openLocalLearning } from '../../functions/platform/local-learning.js';
import { openLocalMonitoring } from '../../functions/platform/local-monitoring.js';
import { silentLogger } from '../../functions/platform/logger.js';

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

interface Golden {
  featureNames: string[];
  rows: Array<Array<number | null>>;
}

/**
 * A drift report and pending operations actions made by the real drift check over real prediction-log rows:
 * the shipped production models' golden rows (their features and each model's real calibrated outputs), 48
 * rows as the previous window and 48 in the current one with the reading-confidence and scan features shifted
 * (a scanner that got worse) and every second invoice rejected. The check finds data drift (a retraining,
 * low risk, queued by the policy at once: cancelled here, so that the server under test does not train) and a
 * rising REJECT share (hold promotions, medium risk: waits for an admin). The window ends at the last 6-hour
 * boundary, the one `ledgerx serve`'s own scheduled check would take: a re-run is the same report. The
 * previous window is checked too (the history then has two reports).
 */
export async function seedMonitoring(dataDir: string): Promise<{ reportId: string; pending: Array<{ id: string; type: string }> }> {
  const models = resolve(import.meta.dirname, '../../models');
  writeFileSync(join(dataDir, 'monitoring.json'), JSON.stringify({ drift: { minRows: 20, datasetDriftShare: 0.1 }, shares: { minRows: 20 } }));
  const learning = await openLocalLearning({ dataDir, seedDir: models });
  try {
    const monitoring = openLocalMonitoring(learning, { dataDir, logger: silentLogger });
    const production = await learning.registry.production();
    const dir = (name: string) => join(models, name, production[name]!, 'test_data');
    const golden = JSON.parse(readFileSync(join(dir('quality'), 'inputs.json'), 'utf8')) as Golden;
    const outputs = Object.fromEntries(Object.keys(production).map((name) => [name, JSON.parse(readFileSync(join(dir(name), 'expected.json'), 'utf8')) as { raw: number[]; calibrated: number[] }]));
    const featureSchemaVersion = (JSON.parse(readFileSync(join(models, 'quality', production.quality!, 'metadata.json'), 'utf8')) as { featureSchemaVersion: string }).featureSchemaVersion;
    const SHIFTED: Record<string, number> = { ocr_conf_mean: 0.41, ocr_conf_p10: 0.18, ocr_conf_min: 0.05, ocr_low_conf_share: 0.62, is_scanned: 1, img_quality: 0.35, key_fields_conf_mean: 0.44, key_fields_conf_min: 0.2 };
    const HOUR = 3_600_000;
    const windowEnd = new Date(Math.floor(Date.now() / (6 * HOUR)) * 6 * HOUR);
    const span = monitoring.config.drift.windowHours * HOUR;
    // The last hours of each window: the current rows are also within the API's live performance view (the last window up to now).
    for (const [window, start] of [['previous', windowEnd.getTime() - span - 2 * HOUR], ['current', windowEnd.getTime() - 2 * HOUR]] as const) {
      for (let i = 0; i < 48; i++) {
        const g = i % golden.rows.length;
        const features = Object.fromEntries(golden.featureNames.map((n, f) => [n, golden.rows[g]![f] ?? null]));
        if (window === 'current') for (const [n, v] of Object.entries(SHIFTED)) if (n in features) features[n] = v;
        await learning.predictions.record({
          invoiceId: `inv_mon_${window}_${i}`, revision: 1, featureSchemaVersion, features,
          scores: Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, { raw: o.raw[g] ?? null, calibrated: o.calibrated[g] ?? null }])),
          modelVersions: production, decision: window === 'current' && i % 2 === 0 ? 'REJECT' : 'APPROVE', basis: 'models+rules',
          scoredAt: new Date(start + i * 60_000).toISOString(),
        });
      }
    }
    // The previous window's own check first: the history then has two points.
    await runDriftCheck(monitoring.driftCheckDeps(silentLogger), new Date(windowEnd.getTime() - span));
    const { report } = await runDriftCheck(monitoring.driftCheckDeps(silentLogger), windowEnd);
    for (const job of await learning.jobs.list({ kind: 'retrain', status: 'queued', limit: 10 })) await learning.jobs.cancel(job.id, new Date());
    const pending = await monitoring.ops.actions({ status: 'pending-approval', limit: 10 });
    return { reportId: report.id, pending: pending.map((a) => ({ id: a.id, type: a.type })) };
  } finally {
    learning.close();
  }
}

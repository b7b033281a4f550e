/**
 * API latency on the embedded database at 100,000 invoices (BENCH_API_INVOICES): the listing (no filter, each
 * filter, a deep cursor), one invoice in detail, and the review queue, called in-process through the whole app
 * (authentication, rate limit, validation, serialization). Target: p99 under 50 ms.
 * The review action round trip: a reviewer approves one REVIEW invoice with a corrected field (POST, stored as a
 * review label) and loads the next page of the review queue (which now leaves it out). The queue is REVIEW
 * decisions plus the audit sample drawn at scoring (5 % of the approvals), one range of its index.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedgerDatabase } from '../../functions/adapters/local/sqlite/migrations.js';
import { SqliteInvoiceStore } from '../../functions/adapters/local/sqlite/invoice-store.js';
import { SqliteApiKeyStore } from '../../functions/adapters/local/sqlite/api-key-store.js';
import { SqliteWebhookStore } from '../../functions/adapters/local/sqlite/webhook-store.js';
import { createFsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { MemoryRateLimiter } from '../../functions/adapters/local/memory-rate-limiter.js';
import { createApiApp } from '../../functions/api/app.js';
import { issueApiKey } from '../../functions/api/api-keys.js';
import { defaultSettings } from '../../functions/api/settings.js';
import { localUploadTarget } from '../../functions/api/uploads.js';
import { pushedUpdates } from '../../functions/api/updates.js';
import { silentLogger } from '../../functions/platform/logger.js';
import type { InvoiceRecord } from '../../functions/core/invoice/record.js';
import { localLearningModules } from '../../functions/api/local/learning-modules.js';
import { DEFAULT_AUDIT_SAMPLE_RATE, inAuditSample } from '../../functions/core/api/audit-sample.js';

const field = <T>(value: T, confidence = 0.93) => ({ value, confidence, source: 'layout' as const, pageNumber: 1, box: { x: 0.1, y: 0.2, w: 0.2, h: 0.02 } });
const DECISIONS = ['APPROVE', 'APPROVE', 'APPROVE', 'REVIEW', 'REJECT'] as const;
const REASONS = ['LOW_FIELD_CONFIDENCE', 'DUP_NEAR', 'ARITH_TOTAL_MISMATCH', 'VAT_ID_INVALID', 'HIGH_ANOMALY'];

function record(i: number): InvoiceRecord {
  const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
  const decision = DECISIONS[i % DECISIONS.length]!;
  const supplier = `name:supplier ${i % 500}`;
  return {
    invoiceId: `inv_${i.toString(16).padStart(24, '0')}`, status: 'SCORED', revision: 1,
    source: { bucket: 'inbox', name: `api/2025/01/01/${i}/invoice-${i}.pdf`, generation: String(1_700_000_000_000_000 + i) },
    fileName: `invoice-${i}.pdf`, mimeType: 'application/pdf', sizeBytes: 40_000 + (i % 1000), contentSha256: i.toString(16).padStart(64, '0'), pageCount: 1,
    supplierKey: supplier, businessKey: `${supplier}|INV${i}`,
    invoice: {
      documentType: 'invoice', line_items: [], vat: [], extraction: { method: 'ocr', warnings: [] },
      fields: {
        invoice_id: field(`INV-${i}`), invoice_date: field('2025-01-15'), supplier_name: field(`Supplier ${i % 500} GmbH`), currency: field('EUR'),
        net_amount: field(100 + (i % 900)), total_tax_amount: field(19 + (i % 171)), total_amount: field(119 + (i % 1071)), supplier_iban: field('DE89370400440532013000'),
      },
    } as unknown as InvoiceRecord['invoice'],
    validations: [{ code: 'ARITH_OK', severity: 'info', passed: true, message: 'totals add up', fields: ['total_amount'], details: {} }],
    featureSchemaVersion: 'inv-features-v1',
    decision: {
      decision, basis: 'models+rules', modelVersions: { quality: 'v1-s42', failure: 'v1-s42', anomaly: i < 50_000 ? 'v1-s42' : 'v2-s7' },
      reasons: decision === 'APPROVE' ? [] : [{ code: REASONS[i % REASONS.length]!, kind: 'validation', effect: decision, message: 'x' }],
      scores: { quality: 0.97, failureRisk: 0.05, anomaly: 0.2, ruleQuality: 0.9 },
      explanations: { quality: [{ feature: 'f1', value: 1, contribution: 0.2 }, { feature: 'f2', value: 0, contribution: -0.1 }] },
      // As the inference stage records it: the audit draw at the default rate, decided when scored.
      auditSample: decision === 'APPROVE' && inAuditSample(`inv_${i.toString(16).padStart(24, '0')}`, DEFAULT_AUDIT_SAMPLE_RATE),
    },
    timings: { ocr: 30, features: 5, inference: 1 },
    createdAt: at, updatedAt: at,
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function benchApi(): Promise<Record<string, number>> {
  const count = Number(process.env.BENCH_API_INVOICES ?? 100_000);
  const dir = await mkdtemp(join(tmpdir(), 'ledgerx-bench-api-'));
  const db = openLedgerDatabase(join(dir, 'ledgerx.db'));
  try {
    const store = new SqliteInvoiceStore(db);
    const seedStart = performance.now();
    const batch = 5_000;
    for (let start = 0; start < count; start += batch) {
      db.connection.transaction(() => {
        for (let i = start; i < Math.min(count, start + batch); i++) void store.createIfAbsent(record(i));
      })();
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const keys = new SqliteApiKeyStore(db);
    const admin = issueApiKey('bench', 'admin', 'bench', new Date());
    await keys.create(admin.record);
    const app = createApiApp({
      runtime: 'local', store, blobs: createFsBlobStore(join(dir, 'buckets')), buckets: { inbox: 'inbox', artifacts: 'artifacts' },
      keys, webhooks: new SqliteWebhookStore(db), rateLimiter: new MemoryRateLimiter(), uploads: localUploadTarget('k', () => ''),
      users: new Map(), updates: pushedUpdates(), modules: localLearningModules(db, { promotion: { mode: 'auto', admins: [] } }), settings: { ...defaultSettings('local'), rateLimitPerMinute: 10_000_000 }, clock: { now: () => new Date() }, log: silentLogger,
    });
    const headers = { authorization: `Bearer ${admin.key}` };
    const get = async (path: string) => {
      const res = await app.request(path, { headers });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    // A cursor 100 pages deep.
    let deep: string | undefined;
    for (let p = 0; p < 100; p++) deep = ((await (await app.request(`/v1/invoices?limit=50${deep ? `&cursor=${deep}` : ''}`, { headers })).json()) as { nextCursor?: string }).nextCursor;
    const cases: Record<string, (i: number) => string> = {
      'list newest 50': () => '/v1/invoices?limit=50',
      'list decision=REVIEW': () => '/v1/invoices?decision=REVIEW&limit=50',
      'list reason': (i) => `/v1/invoices?reason=${REASONS[i % REASONS.length]}&limit=50`,
      'list supplier + received range': (i) => `/v1/invoices?supplier=${encodeURIComponent(`name:supplier ${i % 500}`)}&from=2025-01-10&to=2025-02-20&limit=50`,
      'list model + decision + reason': () => '/v1/invoices?model=anomaly@v2-s7&decision=REJECT&reason=HIGH_ANOMALY&limit=50',
      'list page 101 (cursor)': () => `/v1/invoices?limit=50&cursor=${deep}`,
      'invoice detail': (i) => `/v1/invoices/inv_${((i * 7919) % count).toString(16).padStart(24, '0')}`,
      'review queue page': () => '/v1/review-queue?limit=50',
    };
    const out: Record<string, number> = { [`seed ${count} invoices s`]: Math.round(seedSeconds * 10) / 10 };
    for (const [name, path] of Object.entries(cases)) {
      for (let i = 0; i < 20; i++) await get(path(i));
      const times: number[] = [];
      for (let i = 0; i < 300; i++) {
        const t = performance.now();
        await get(path(i));
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      out[`${name} p50 ms`] = Math.round(quantile(times, 0.5) * 100) / 100;
      out[`${name} p99 ms`] = Math.round(quantile(times, 0.99) * 100) / 100;
    }
    // A reviewer's walk: load a queue page, approve each item with a corrected field (stored as a review label),
    // then load the next page by its cursor, as the web app does.
    const actions: number[] = [];
    const pages: number[] = [];
    let queueCursor: string | undefined;
    for (let p = 0; p < 16; p++) {
      let t = performance.now();
      const page = (await (await app.request(`/v1/review-queue?limit=20${queueCursor ? `&cursor=${queueCursor}` : ''}`, { headers })).json()) as { items: Array<{ invoiceId: string }>; nextCursor?: string };
      if (p > 0) pages.push(performance.now() - t);
      for (const item of page.items) {
        t = performance.now();
        const res = await app.request(`/v1/invoices/${item.invoiceId}/review`, {
          method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ decision: 'approve', corrections: { total_amount: 120.5 }, note: 'bench' }),
        });
        if (res.status !== 200) throw new Error(`review ${item.invoiceId}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        if (p > 0) actions.push(performance.now() - t);
      }
      queueCursor = page.nextCursor;
    }
    actions.sort((a, b) => a - b);
    pages.sort((a, b) => a - b);
    out['review action p50 ms'] = Math.round(quantile(actions, 0.5) * 100) / 100;
    out['review action p99 ms'] = Math.round(quantile(actions, 0.99) * 100) / 100;
    out['next queue page (cursor) p50 ms'] = Math.round(quantile(pages, 0.5) * 100) / 100;
    out['next queue page (cursor) p99 ms'] = Math.round(quantile(pages, 0.99) * 100) / 100;
    return out;
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

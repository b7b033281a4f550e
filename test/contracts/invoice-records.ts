import type { InvoiceRecord } from '../../functions/core/invoice/record.js';
import type { InvoiceStatus } from '../../functions/core/invoice/status.js';
import type { Decision } from '../../functions/core/scoring/decision.js';
import type { InvoiceSummary } from '../../functions/core/ports.js';

export interface RecordSpec {
  id: string;
  /** Seconds after a fixed epoch; ISO strings then sort like the times they denote. */
  at: number;
  status?: InvoiceStatus;
  sha?: string;
  supplierKey?: string;
  businessKey?: string;
  total?: number;
  currency?: string;
  date?: string;
  iban?: string;
  decision?: Decision;
  /** Reason codes of the decision (with `decision`). */
  reasons?: string[];
  /** Model name -> version of the decision (with `decision`). */
  models?: Record<string, string>;
  /** The audit draw of an APPROVE decision (with `decision`); absent = a decision recorded before the draw existed. */
  auditSample?: boolean;
}

const EPOCH = Date.parse('2025-03-01T08:00:00.000Z');

export function isoAt(seconds: number): string {
  return new Date(EPOCH + seconds * 1000).toISOString();
}

const field = <T>(value: T) => ({ value, confidence: 0.9, source: 'einvoice' as const });

/** A valid {@link InvoiceRecord} with just the fields the store indexes. */
export function makeRecord(spec: RecordSpec): InvoiceRecord {
  const at = isoAt(spec.at);
  const fields: Record<string, unknown> = {};
  if (spec.total !== undefined) fields.total_amount = field(spec.total);
  if (spec.currency !== undefined) fields.currency = field(spec.currency);
  if (spec.date !== undefined) fields.invoice_date = field(spec.date);
  if (spec.iban !== undefined) fields.supplier_iban = field(spec.iban);
  const hasInvoice = Object.keys(fields).length > 0;
  return {
    invoiceId: spec.id,
    status: spec.status ?? 'RECEIVED',
    revision: 1,
    source: { bucket: 'inbox', name: `${spec.id}.pdf`, generation: String(1_000 + spec.at) },
    fileName: `${spec.id}.pdf`,
    contentSha256: spec.sha,
    supplierKey: spec.supplierKey,
    businessKey: spec.businessKey,
    invoice: hasInvoice
      ? {
          documentType: 'invoice',
          fields: fields as NonNullable<InvoiceRecord['invoice']>['fields'],
          line_items: [],
          vat: [],
          extraction: { method: 'einvoice', warnings: [] },
        }
      : undefined,
    decision: spec.decision
      ? {
          decision: spec.decision,
          reasons: (spec.reasons ?? []).map((code) => ({ code, kind: 'validation' as const, effect: 'REVIEW' as const, message: code })),
          scores: { quality: null, failureRisk: null, anomaly: null, ruleQuality: 1 },
          basis: spec.models ? 'models+rules' : 'rules',
          modelVersions: spec.models ?? {},
          explanations: {},
          ...(spec.auditSample !== undefined ? { auditSample: spec.auditSample } : {}),
        }
      : undefined,
    timings: {},
    createdAt: at,
    updatedAt: at,
  };
}

/** The summary a caller would pass as `before` for `record`. */
export function summaryOf(record: InvoiceRecord): InvoiceSummary {
  return { invoiceId: record.invoiceId, fileName: record.fileName, status: record.status, createdAt: record.createdAt };
}

export const sha = (c: string) => c.repeat(64).slice(0, 64);

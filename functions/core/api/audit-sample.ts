import { createHash } from 'node:crypto';

/** The audit sample's rate when none is configured (`--audit-rate`, `LEDGERX_AUDIT_SAMPLE_RATE`). */
export const DEFAULT_AUDIT_SAMPLE_RATE = 0.05;

/** Where an invoice falls in [0, 1) for the audit sample: a hash of its id and the sample's salt. */
export function auditFraction(invoiceId: string, salt = 'audit-v1'): number {
  const h = createHash('sha256').update(`${salt}:${invoiceId}`).digest();
  // The first 6 bytes as a uniform fraction in [0, 1).
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * Whether an auto-approved invoice is drawn for the audit sample at `rate` (0..1). Deterministic per invoice
 * (a hash of its id and the sample's salt), so the sample is stable: the same invoices are in it on every call,
 * on every instance and at every redelivery, and raising the rate only adds invoices to it. The inference stage
 * decides it once, when it scores (DecisionRecord.auditSample), so that the review queue reads an index.
 */
export function inAuditSample(invoiceId: string, rate: number, salt = 'audit-v1'): boolean {
  if (!(rate > 0)) return false;
  if (rate >= 1) return true;
  return auditFraction(invoiceId, salt) < rate;
}

import { createHash } from 'node:crypto';

/**
 * Whether an auto-approved invoice is drawn for the audit sample at `rate` (0..1). Deterministic per invoice
 * (a hash of its id and the sample's salt), so the sample is stable: the same invoices are in it on every call,
 * on every instance, and raising the rate only adds invoices to it.
 */
export function inAuditSample(invoiceId: string, rate: number, salt = 'audit-v1'): boolean {
  if (!(rate > 0)) return false;
  if (rate >= 1) return true;
  const h = createHash('sha256').update(`${salt}:${invoiceId}`).digest();
  // The first 6 bytes as a uniform fraction in [0, 1).
  return h.readUIntBE(0, 6) / 2 ** 48 < rate;
}

import type { InvoiceSummary } from '../ports.js';
import { outcome, skipped } from './check.js';
import { ValidationCodes as C } from './codes.js';
import type { DuplicateCandidates } from './config.js';
import type { ValidationResult } from './result.js';

/**
 * An earlier upload that never became an invoice (REJECTED: unreadable; FAILED: processing gave up) cannot be
 * paid twice, so a re-upload of it is a retry, not a duplicate.
 */
function counts(candidate: InvoiceSummary): boolean {
  return candidate.status !== 'REJECTED' && candidate.status !== 'FAILED';
}

/**
 * DUP_CONTENT_HASH (error): the same bytes were processed before. DUP_BUSINESS_KEY (error): the same supplier
 * and invoice number. DUP_NEAR (warning): same supplier, amount within 1 %, date within the window, not
 * already an exact or business duplicate.
 */
export function checkDuplicates(candidates: DuplicateCandidates = {}): ValidationResult[] {
  const exact = candidates.byContentHash?.filter(counts);
  const business = candidates.byBusinessKey?.filter(counts);
  const known = new Set([...(exact ?? []), ...(business ?? [])].map((c) => c.invoiceId));
  const near = candidates.nearDuplicates?.filter((c) => counts(c) && !known.has(c.invoiceId));
  return [
    exact === undefined
      ? skipped(C.dupContentHash, 'content hash not looked up', ['contentSha256'])
      : outcome(C.dupContentHash, 'error', exact.length === 0,
          exact.length === 0 ? 'no earlier file with the same content' : `${exact.length} earlier file(s) with the same content`,
          ['contentSha256'], { matches: exact.length }),
    business === undefined
      ? skipped(C.dupBusinessKey, 'business key not looked up (supplier or invoice_id missing)', ['supplier_tax_id', 'supplier_name', 'invoice_id'])
      : outcome(C.dupBusinessKey, 'error', business.length === 0,
          business.length === 0 ? 'no earlier invoice with the same supplier and number' : `${business.length} earlier invoice(s) with the same supplier and number`,
          ['supplier_tax_id', 'supplier_name', 'invoice_id'], { matches: business.length }),
    near === undefined
      ? skipped(C.dupNear, 'near duplicates not looked up', ['total_amount', 'invoice_date'])
      : outcome(C.dupNear, 'warning', near.length === 0,
          near.length === 0 ? 'no similar invoice of the same supplier' : `${near.length} similar invoice(s) of the same supplier (amount and date)`,
          ['supplier_name', 'total_amount', 'invoice_date'], { matches: near.length }),
  ];
}

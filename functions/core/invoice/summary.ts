import type { InvoiceSummary } from '../ports.js';
import type { InvoiceRecord } from './record.js';

/** The lightweight view of a record that duplicate checks and listings use. */
export function summarizeRecord(record: InvoiceRecord): InvoiceSummary {
  const fields = record.invoice?.fields;
  return {
    invoiceId: record.invoiceId,
    fileName: record.fileName,
    status: record.status,
    contentSha256: record.contentSha256,
    supplierKey: record.supplierKey,
    businessKey: record.businessKey,
    totalAmount: fields?.total_amount?.value,
    currency: fields?.currency?.value,
    invoiceDate: fields?.invoice_date?.value,
    decision: record.decision?.decision,
    createdAt: record.createdAt,
  };
}

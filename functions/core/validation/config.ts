import { z } from 'zod';
import { HeaderFieldsSchema, type HeaderFieldName } from '../invoice/invoice.js';
import type { InvoiceSummary } from '../ports.js';

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const HeaderFieldNameSchema = z.enum(Object.keys(HeaderFieldsSchema.shape) as [HeaderFieldName, ...HeaderFieldName[]]);

/**
 * Tunables of {@link validateInvoice}. Every part has defaults, so `{}` is a complete config.
 * `prefault` (not `default`) so that a partial object is parsed and its missing keys filled in.
 */
export const ValidationConfigSchema = z.object({
  arithmetic: z
    .object({
      /** Absolute tolerance in currency units (rounding to cents on several lines). */
      absTolerance: z.number().nonnegative().default(0.02),
      /** Relative tolerance, as a fraction of the larger compared amount (0.005 = 0.5 %). */
      relTolerance: z.number().nonnegative().default(0.005),
    })
    .prefault({}),
  dates: z
    .object({
      /** An invoice dated up to this many days after `now` is accepted (time zones, pre-dated invoices). */
      futureGraceDays: z.number().nonnegative().default(1),
      /** Invoice dates before this are implausible (usually a misread year). */
      earliest: IsoDate.default('2000-01-01'),
      /** Invoices older than this many years are implausible for a payables inbox. */
      maxAgeYears: z.number().positive().default(5),
      /** Allowed gap between the due date and invoice date + payment-terms days. */
      paymentTermsToleranceDays: z.number().nonnegative().default(3),
    })
    .prefault({}),
  requiredFields: z
    .array(HeaderFieldNameSchema)
    .default(['invoice_id', 'invoice_date', 'supplier_name', 'total_amount', 'currency']),
  /**
   * Required on a receipt (a till receipt or simplified tax invoice): paid on the spot, it often has no
   * number the buyer books against and prints no currency where only one is in use.
   */
  receiptRequiredFields: z
    .array(HeaderFieldNameSchema)
    .default(['invoice_date', 'supplier_name', 'total_amount']),
});
export type ValidationConfig = z.output<typeof ValidationConfigSchema>;
export type ValidationConfigInput = z.input<typeof ValidationConfigSchema>;

/** Earlier invoices found by each duplicate index (see InvoiceStore). */
export interface DuplicateCandidates {
  byContentHash?: InvoiceSummary[] | undefined;
  byBusinessKey?: InvoiceSummary[] | undefined;
  nearDuplicates?: InvoiceSummary[] | undefined;
}

/**
 * Everything the validations need besides the invoice. Duplicate candidates are looked up by the caller
 * (InvoiceStore.findByContentHash / findByBusinessKey / findNearDuplicates); an `undefined` list means "not looked up"
 * (the check is reported as skipped), `[]` means "looked up, none found".
 */
export interface ValidationContext {
  now: Date;
  duplicates?: DuplicateCandidates | undefined;
  /** Parsed with {@link ValidationConfigSchema}; omitted = defaults. */
  config?: ValidationConfigInput | undefined;
}

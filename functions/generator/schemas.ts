import { z } from 'zod';
import { RejectReason } from '../core/errors.js';
import { CurrencySchema, DateStyleSchema, LanguageSchema, MoneyStyleSchema, NumberFormatSchema } from './locale.js';
import { LayoutIdSchema } from './layout-ids.js';
import { CountrySchema } from './parties.js';

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const Rate = z.number().min(0).max(1);

export const ScanFormatSchema = z.enum(['png', 'jpeg', 'tiff', 'pdf']);
export type ScanFormat = z.infer<typeof ScanFormatSchema>;

/** Per-document probabilities of each injected problem. Independent draws; duplicates and bad files replace a new invoice. */
export const ProblemRatesSchema = z.object({
  missingField: Rate.default(0.03),
  arithmetic: Rate.default(0.03),
  invalidVatId: Rate.default(0.02),
  invalidIban: Rate.default(0.02),
  futureDate: Rate.default(0.01),
  dueBeforeIssue: Rate.default(0.01),
  unusualAmount: Rate.default(0.01),
  exactDuplicate: Rate.default(0.02),
  businessDuplicate: Rate.default(0.02),
  nearDuplicate: Rate.default(0.02),
  badFile: Rate.default(0.02),
});
export type ProblemRates = z.infer<typeof ProblemRatesSchema>;

/** Relative weights of the document kinds among new invoices. */
export const KindMixSchema = z.object({
  bornDigital: z.number().min(0).default(0.75),
  scan: z.number().min(0).default(0.1),
  einvoicePdf: z.number().min(0).default(0.1),
  einvoiceXml: z.number().min(0).default(0.05),
});

export const GenerateOptionsSchema = z.object({
  outDir: z.string().min(1),
  seed: z.number().int().default(1),
  /** Number of files written (new invoices, duplicates and bad files together). */
  count: z.number().int().positive().max(1_000_000).default(100),
  /** "Today" of the corpus: issue dates fall in the `spanDays` before it; future dates lie after it. */
  asOf: IsoDate.default('2025-06-30'),
  spanDays: z.number().int().positive().default(365),
  supplierCount: z.number().int().positive().default(40),
  receiverCount: z.number().int().positive().default(4),
  mix: KindMixSchema.default(KindMixSchema.parse({})),
  problemRates: ProblemRatesSchema.default(ProblemRatesSchema.parse({})),
  scanFormats: z.array(ScanFormatSchema).min(1).default(['png', 'jpeg', 'tiff', 'pdf']),
  /** Restrict suppliers to these document languages (default: all). */
  languages: z.array(LanguageSchema).min(1).optional(),
  /** Files are named `${prefix}${index}.${ext}`. */
  filePrefix: z.string().regex(/^[\w.-]*$/).default('doc-'),
  /** Called after each file (for progress bars); never receives invoice content. */
  onProgress: z.custom<(done: number, total: number) => void>((v) => typeof v === 'function').optional(),
});
export type GenerateOptions = z.input<typeof GenerateOptionsSchema>;
export type ResolvedOptions = z.output<typeof GenerateOptionsSchema>;

export const ProblemTypeSchema = z.enum([
  'missing-field',
  'line-sum-mismatch',
  'total-mismatch',
  'invalid-vat-id',
  'invalid-iban',
  'future-date',
  'due-before-issue',
  'unusual-amount',
  'exact-duplicate',
  'business-duplicate',
  'near-duplicate',
]);
export type ProblemType = z.infer<typeof ProblemTypeSchema>;

export const ProblemSchema = z.object({
  type: ProblemTypeSchema,
  /** Header field concerned, in the names of core/invoice/invoice.ts. */
  field: z.string().optional(),
  /** The earlier document this one duplicates (file name). */
  of: z.string().optional(),
  details: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** Plain values of the header fields as printed (amounts as exact numbers, dates ISO). */
export const TruthFieldsSchema = z.object({
  invoice_id: z.string().optional(),
  invoice_date: IsoDate.optional(),
  due_date: IsoDate.optional(),
  supplier_name: z.string(),
  supplier_tax_id: z.string().optional(),
  /** Electronic format (no spaces), as printed modulo grouping. */
  supplier_iban: z.string().optional(),
  receiver_name: z.string(),
  receiver_tax_id: z.string().optional(),
  currency: CurrencySchema,
  net_amount: z.number(),
  total_tax_amount: z.number(),
  total_amount: z.number().optional(),
  amount_due: z.number().optional(),
  payment_terms: z.string().optional(),
  purchase_order: z.string().optional(),
});
export type TruthFields = z.infer<typeof TruthFieldsSchema>;

export const TruthSchema = z.object({
  documentType: z.literal('invoice'),
  fields: TruthFieldsSchema,
  /** Prepaid amount when the invoice shows one (amount_due = total_amount - amount_paid). */
  amount_paid: z.number().optional(),
  supplier_address: z.array(z.string()),
  receiver_address: z.array(z.string()),
  line_items: z.array(
    z.object({
      description: z.string(),
      quantity: z.number(),
      unit_price: z.number(),
      amount: z.number(),
      product_code: z.string().optional(),
      tax_rate: z.number(),
    }),
  ),
  vat: z.array(z.object({ tax_rate: z.number(), tax_amount: z.number(), amount: z.number(), category_code: z.string() })),
  /** The same header fields exactly as printed in the document (what an OCR engine should see). */
  printed: z.record(z.string(), z.string()),
});
export type Truth = z.infer<typeof TruthSchema>;

export const DegradationsSchema = z.object({
  dpi: z.number().int(),
  rotationDegrees: z.number(),
  quarterTurns: z.number().int().min(0).max(3),
  blurSigma: z.number(),
  noiseSigma: z.number(),
  jpegQuality: z.number().int().optional(),
  stain: z.boolean(),
  shadow: z.boolean(),
  format: ScanFormatSchema,
});
export type Degradations = z.infer<typeof DegradationsSchema>;

export const DocumentKindSchema = z.enum(['born-digital', 'scan', 'einvoice-pdf', 'einvoice-xml', 'bad-file']);
export type DocumentKind = z.infer<typeof DocumentKindSchema>;

export const RejectReasonSchema = z.enum(Object.values(RejectReason) as [RejectReason, ...RejectReason[]]);

export const ManifestEntrySchema = z.object({
  file: z.string(),
  kind: DocumentKindSchema,
  mimeType: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  language: LanguageSchema.optional(),
  layout: LayoutIdSchema.optional(),
  supplierId: z.string().optional(),
  receiverId: z.string().optional(),
  numberFormat: NumberFormatSchema.optional(),
  dateStyle: DateStyleSchema.optional(),
  /** CII profile of e-invoices. */
  einvoiceProfile: z.string().optional(),
  truth: TruthSchema.optional(),
  problems: z.array(ProblemSchema),
  degradations: DegradationsSchema.optional(),
  badFile: z.enum(['zero-byte', 'truncated-pdf', 'non-invoice-image', 'unsupported-type']).optional(),
  /** Reject reason the pipeline should record for a bad file. */
  expectedReject: RejectReasonSchema.optional(),
});
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

export const ManifestSupplierSchema = z.object({
  id: z.string(),
  name: z.string(),
  country: CountrySchema,
  language: LanguageSchema,
  currency: CurrencySchema,
  taxId: z.string(),
  iban: z.string().optional(),
  layout: LayoutIdSchema,
  numberFormat: NumberFormatSchema,
  dateStyle: DateStyleSchema,
  moneyStyle: MoneyStyleSchema,
  amountRange: z.object({ min: z.number(), max: z.number() }),
});

export const ManifestSchema = z.object({
  schemaVersion: z.literal(1),
  generator: z.literal('ledgerx-generator'),
  seed: z.number().int(),
  asOf: IsoDate,
  count: z.number().int(),
  suppliers: z.array(ManifestSupplierSchema),
  receivers: z.array(z.object({ id: z.string(), name: z.string(), country: CountrySchema, taxId: z.string() })),
  documents: z.array(ManifestEntrySchema),
});
export type Manifest = z.infer<typeof ManifestSchema>;

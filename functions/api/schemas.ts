/** Schemas of the API's answers that several modules share. */
import { z } from '@hono/zod-openapi';
import { InvoiceStatusSchema } from '../core/invoice/status.js';
import { DecisionSchema } from '../core/scoring/decision.js';

export const InvoiceIdParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'an invoice id (letters, digits, _ and -)')
  .openapi({ param: { name: 'id', in: 'path' }, example: 'inv_3f9a0c1d2e4b5a6978a1b2c3' });

export const InvoiceSummarySchema = z
  .object({
    invoiceId: z.string(),
    fileName: z.string(),
    status: InvoiceStatusSchema,
    decision: DecisionSchema.optional(),
    supplierKey: z.string().optional(),
    totalAmount: z.number().optional(),
    currency: z.string().optional(),
    invoiceDate: z.string().optional(),
    createdAt: z.string(),
    supplierName: z.string().optional().openapi({ description: 'As printed on the invoice: untrusted text.' }),
    invoiceNumber: z.string().optional(),
    reasons: z.array(z.string()).optional().openapi({ description: 'Reason codes of the decision.' }),
    href: z.string(),
  })
  .openapi('InvoiceSummary');

export const PageSchema = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional().openapi({ description: 'Pass as `cursor` for the next page; absent at the end.' }) }).openapi(name);

export const LimitQuery = z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Page size (1-200).' });
export const CursorQuery = z.string().max(500).optional().openapi({ description: 'Opaque cursor from the previous page.' });

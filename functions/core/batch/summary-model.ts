/** The daily summary's document (summaries/<day>/summary.json). */
import { z } from 'zod';

export const DailySummarySchema = z.object({
  day: z.string(),
  invoices: z.object({
    total: z.number(),
    byStatus: z.record(z.string(), z.number()),
    byDecision: z.record(z.string(), z.number()),
    byReason: z.record(z.string(), z.number()),
  }),
  ocrPages: z.object({ month: z.string(), pages: z.number(), budget: z.number().nullable(), share: z.number().nullable() }),
  monitoring: z.object({ drift: z.string(), performance: z.string(), checkedAt: z.string(), details: z.array(z.string()).optional() }).nullable(),
  payables: z.object({
    /** Currency -> amount due within 7 days after the day (inclusive), and the number of invoices. */
    next7: z.record(z.string(), z.object({ amount: z.number(), invoices: z.number() })),
    next30: z.record(z.string(), z.object({ amount: z.number(), invoices: z.number() })),
    overdue: z.record(z.string(), z.object({ amount: z.number(), invoices: z.number() })),
  }),
  topSuppliers: z.array(z.object({ supplier: z.string(), currency: z.string(), spend: z.number(), invoices: z.number() })),
});
export type DailySummary = z.infer<typeof DailySummarySchema>;
